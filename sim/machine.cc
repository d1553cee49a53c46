#include "sim/machine.h"

#include <stdexcept>

namespace pkusim::sim {

Machine::Machine(const MachineConfig& cfg, mmu::PhysMem* shared_mem, MachineHooks* hooks)
    : cfg_(cfg),
      own_mem_(shared_mem ? nullptr : std::make_unique<mmu::PhysMem>(cfg.mmu.maxphyaddr)),
      mem_(shared_mem ? *shared_mem : *own_mem_),
      port_(mem_),
      hooks_(hooks),
      kernel_(cfg.kernel, mem_, hooks) {
  switch_thread(0);
}

void Machine::switch_thread(unsigned tid) {
  if (tid >= abi::kMaxThreads) throw std::invalid_argument("thread id out of range");
  if (!kernel_.thread_exists(tid)) {
    // clone(): the new thread starts with the creator's PKRU (Linux
    // copy_thread: p->thread.pkru = read_pkru()); thread 0 with the default.
    const isa::Pkru pkru = kernel_.thread_exists(current_) ? kernel_.pkru(current_) : isa::Pkru{};
    mmu::MemoryPort& port = hooks_ ? hooks_->thread_created(tid) : port_;
    if (tid >= mmus_.size()) mmus_.resize(tid + 1);
    mmus_[tid] = std::make_unique<mmu::Mmu>(cfg_.mmu, port);
    if (tid >= fetch_lines_.size()) fetch_lines_.resize(tid + 1);
    mmus_[tid]->regs().cr3 = kernel_.cr3();
    // Without invalidations, count the accesses that stale entries allow.
    if (!cfg_.kernel.flushes()) mmus_[tid]->set_verify_port(&port_, &judge_);
    kernel_.create_thread(tid, pkru);
    kernel_.attach_mmu(tid, mmus_[tid].get());
    ++stats_.threads;
    if (hooks_) hooks_->mmu_created(tid, *mmus_[tid]);
  }
  current_ = tid;
}

mmu::MmuStats Machine::mmu_totals() const {
  mmu::MmuStats t;
  for (const auto& m : mmus_) {
    if (!m) continue;
    const mmu::MmuStats& s = m->stats();
    t.translations += s.translations;
    t.walks += s.walks;
    t.dirty_assists += s.dirty_assists;
    t.walk_entry_reads += s.walk_entry_reads;
    for (unsigned p = 0; p < isa::kNumPageSizes; ++p) t.walks_by_size[p] += s.walks_by_size[p];
    t.page_faults += s.page_faults;
    t.general_protection += s.general_protection;
    t.invlpg += s.invlpg;
    t.flush_pcid += s.flush_pcid;
    t.flush_global += s.flush_global;
    t.stale_permission_hits += s.stale_permission_hits;
  }
  return t;
}

bool Machine::access_page(uint64_t la, AccessKind kind, Outcome& out) {
  const mmu::AccessType type = kind == AccessKind::kLoad    ? mmu::AccessType::kRead
                               : kind == AccessKind::kFetch ? mmu::AccessType::kFetch
                                                            : mmu::AccessType::kWrite;
  mmu::Mmu& m = *mmus_[current_];
  // A resolved fault retries the access; a handful of rounds covers demand
  // paging followed by a copy-on-write upgrade.
  for (int attempt = 0; attempt < 6; ++attempt) {
    const mmu::TranslateResult r =
        m.translate(la, type, /*user_mode=*/true, kernel_.pkru(current_));
    if (hooks_) hooks_->translated(current_, kind, la, r);
    if (r.exception == isa::Exception::kNone) {
      if (hooks_) hooks_->accessed(current_, kind, r.pa);
      return true;
    }
    const FaultOutcome f = kernel_.page_fault(current_, la, type, r.exception, r.error);
    if (f.resolved) {
      if (hooks_) hooks_->fault_resolved(current_, la, f.zero_page);
      continue;
    }
    if (cfg_.auto_map && auto_map(la, kind, f.si_code)) continue;
    if (hooks_) hooks_->signal_delivered(current_, la);
    out.fault = true;
    out.si_code = f.si_code;
    out.pkey = f.pkey;
    out.fault_addr = f.si_code == abi::kSiKernel ? 0 : la;
    out.fault_kind = kind;
    return false;
  }
  throw std::logic_error("page fault not resolved after repeated retries");
}

bool Machine::auto_map(uint64_t la, AccessKind kind, int si_code) {
  const uint64_t page = la & ~(isa::kPageBytes4K - 1);
  const uint8_t prot =
      isa::kProtRead | isa::kProtWrite | (kind == AccessKind::kFetch ? isa::kProtExec : uint8_t{0});
  if (si_code == abi::kSegvMaperr) {
    if (kernel_.mmap(current_, page, isa::kPageBytes4K, prot, 0).err) return false;
    auto_mapped_.insert(page);
    ++stats_.auto_mapped_pages;
    return true;
  }
  // A page mapped on first touch by data and now fetched from: add exec.
  if (si_code == abi::kSegvAccerr && kind == AccessKind::kFetch && auto_mapped_.count(page)) {
    auto_mapped_.erase(page);  // once: a second ACCERR is real
    return kernel_.mprotect(current_, page, isa::kPageBytes4K, prot, -1).err == 0;
  }
  return false;
}

bool Machine::access(uint64_t la, unsigned size, AccessKind kind, Outcome& out) {
  ++stats_.accesses[unsigned(kind)];
  const uint64_t last = la + size - 1;
  if ((la >> isa::kPageShift4K) != (last >> isa::kPageShift4K)) {
    ++stats_.page_straddles;
    if (!access_page(la, kind, out)) return false;
    return access_page(last & ~(isa::kPageBytes4K - 1), kind, out);
  }
  return access_page(la, kind, out);
}

bool Machine::fetch(uint64_t ip, unsigned size, Outcome& out) {
  // The front end fetches by 64-byte line: an instruction within the line
  // of the thread's previous fetch, with no invalidation or fault since,
  // needs no new translation or L1I access (its outcome and costs would be
  // those of the last one: an L1 ITLB hit and an L1I hit on the MRU entries).
  FetchLine& f = fetch_lines_[current_];
  const uint64_t line = ip >> kFetchLineShift;
  const uint64_t generation = mmus_[current_]->generation();
  if (line == f.line && ((ip + size - 1) >> kFetchLineShift) == line &&
      generation == f.generation) {
    return true;
  }
  if (!access(ip, size, AccessKind::kFetch, out)) {
    f.line = ~uint64_t{0};
    return false;
  }
  f.line = ((ip + size - 1) >> kFetchLineShift) == line ? line : ~uint64_t{0};
  f.generation = mmus_[current_]->generation();
  return true;
}

void Machine::record_fault(const Outcome& out) {
  ++stats_.faults;
  const unsigned code = abi::si_code_index(out.si_code);
  if (code < stats_.faults_by_code.size()) ++stats_.faults_by_code[code];
  if (out.si_code == abi::kSegvPkuerr) ++stats_.pkuerr_by_key[unsigned(out.pkey)];
  if (stats_.first_faults.size() < MachineStats::kMaxFaultDetails) {
    stats_.first_faults.push_back(
        {current_, stats_.instructions, out.fault_addr, out.fault_kind, out.si_code, out.pkey});
  }
}

Outcome Machine::execute(const isa::Instr& in) {
  Outcome out;
  ++stats_.records;
  if (in.op == isa::Op::kThread) {
    switch_thread(static_cast<unsigned>(in.value));
    return out;
  }
  if (in.op == isa::Op::kExpect || in.op == isa::Op::kRoi) return out;
  if (!in.continuation) stats_.instructions += in.op == isa::Op::kCompute ? in.value : 1;
  // A thread that slept runs again: its first instruction after the sleep.
  if (kernel_.thread_state(current_) == Kernel::ThreadState::kAsleep) kernel_.wake(current_);

  if (in.has_ip && !in.continuation && !fetch(in.ip, in.ip_size, out)) {
    record_fault(out);
    return out;
  }
  const unsigned tid = current_;
  SyscallResult sys;
  switch (in.op) {
    case isa::Op::kLoad:
    case isa::Op::kStore:
    case isa::Op::kRmw: {
      const AccessKind kind = in.op == isa::Op::kLoad    ? AccessKind::kLoad
                              : in.op == isa::Op::kStore ? AccessKind::kStore
                                                         : AccessKind::kRmw;
      if (!access(in.addr, in.size, kind, out)) record_fault(out);
      return out;
    }
    case isa::Op::kCompute:
      return out;
    case isa::Op::kWrpkru:
      ++stats_.wrpkru;
      kernel_.set_pkru(tid, isa::Pkru{static_cast<uint32_t>(in.value)});
      return out;
    case isa::Op::kRdpkru:
      ++stats_.rdpkru;
      out.has_ret = true;
      out.ret = kernel_.pkru(tid).value;
      return out;
    case isa::Op::kMmap:
      sys = kernel_.mmap(tid, in.addr, in.len, in.prot, in.flags);
      break;
    case isa::Op::kMunmap:
      sys = kernel_.munmap(tid, in.addr, in.len);
      break;
    case isa::Op::kMprotect:
      sys = kernel_.mprotect(tid, in.addr, in.len, in.prot, -1);
      break;
    case isa::Op::kPkeyMprotect:
      sys = kernel_.mprotect(tid, in.addr, in.len, in.prot, in.key);
      break;
    case isa::Op::kPkeyAlloc:
      sys = kernel_.pkey_alloc(tid, static_cast<uint32_t>(in.value));
      break;
    case isa::Op::kPkeyFree:
      sys = kernel_.pkey_free(tid, in.key);
      break;
    case isa::Op::kSleep:
      kernel_.sleep(tid);
      break;
    case isa::Op::kExit:
      kernel_.exit_thread(tid);
      break;
    case isa::Op::kSyscall:
      break;
    case isa::Op::kThread:
    case isa::Op::kExpect:
    case isa::Op::kRoi:
      break;
  }
  out.syscall = true;
  out.err = sys.err;
  if (!sys.err) {
    out.has_ret = true;
    out.ret = static_cast<uint64_t>(sys.ret);
  }
  SyscallCounts& counts = stats_.syscalls[unsigned(in.op)];
  ++counts.calls;
  if (!sys.err) {
    ++counts.ok;
  } else {
    unsigned slot = 0;
    while (slot < abi::kErrnoNames.size() && abi::kErrnoNames[slot].value != sys.err) ++slot;
    ++counts.errors[slot];
  }
  return out;
}

}  // namespace pkusim::sim
