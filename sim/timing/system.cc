#include "sim/timing/system.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>

#include "sim/check.h"
#include "sim/config/config.h"
#include "sim/report.h"
#include "sim/timing/system_internal.h"
#include "traces/open_trace.h"
#include "traces/trace_error.h"

namespace pkusim::sim {

using json = nlohmann::ordered_json;

class System::Hooks final : public MachineHooks {
 public:
  Hooks(System& s, Process& p) : s_(s), p_(p) {}
  Ctx ctx;

  mmu::MemoryPort& thread_created(unsigned tid) override {
    const unsigned core = p_.base_core + tid;
    if (core >= s_.cores_.size()) {
      throw ConfigError(
          "", "system.cores",
          fmt::format("{}: thread {} needs core {}, but the machine has {} cores (thread t of a "
                      "trace runs on core t); raise it, e.g. --set system.cores={}",
                      p_.name, tid, core, s_.cores_.size(), core + 1));
    }
    Core& c = *s_.cores_[core];
    if (c.proc != -1) {
      throw ConfigError("", "system.cores",
                        fmt::format("{}: core {} is already used by another trace", p_.name, core));
    }
    c.proc = static_cast<int>(p_.index);
    c.tid = tid;
    p_.core_of_thread[tid] = static_cast<int>(core);
    return c.port;
  }

  void translated(unsigned, AccessKind, uint64_t, const mmu::TranslateResult& r) override {
    Core& c = *ctx.core;
    const uint64_t walk = c.port.take();
    if (r.exception == isa::Exception::kGeneralProtection || r.tlb_level == 1) return;
    const uint64_t stlb = s_.p_.system.stlb_latency_cycles;
    if (r.tlb_level == 2) {
      advance(Stall::kPageWalk, stlb);
      return;
    }
    // An STLB miss: wait for a free walker, then walk.
    const uint64_t want = ctx.cursor + stlb;
    auto it = std::min_element(c.walker_free.begin(), c.walker_free.end());
    const uint64_t start = std::max(want, *it);
    *it = start + walk;
    ++c.walks;
    c.walk_cycles += walk;
    c.walker_wait_cycles += start - want;
    advance(Stall::kPageWalk, stlb + (start - want) + walk);
  }

  void accessed(unsigned, AccessKind kind, uint64_t pa) override {
    Core& c = *ctx.core;
    MemorySystem& ms = s_.memory_;
    if (kind == AccessKind::kFetch) {
      const MemAccess a = ms.access(c.id, pa, false, true, ctx.cursor);
      const uint64_t l1 = s_.p_.memory.l1i.latency_cycles;
      if (a.latency > l1) advance(Stall::kMemory, a.latency - l1);
      return;
    }
    const bool write = kind != AccessKind::kLoad;
    const MemAccess a = ms.access(c.id, pa, write, false, ctx.cursor);
    ++c.data_by_level[unsigned(a.level)];
    if (kind == AccessKind::kStore) {
      // Retires without waiting; the store-queue entry drains afterwards.
      c.timer.set_store_drain(a.latency);
      advance(Stall::kBase, 1);
      return;
    }
    uint64_t cycles = a.latency;
    if (a.level != MemLevel::kL1) {
      const uint64_t start = c.timer.acquire_mshr(ctx.cursor, a.latency);
      cycles += start - ctx.cursor;
    }
    advance(Stall::kMemory, cycles);
  }

  void fault_resolved(unsigned) override {
    advance(Stall::kPageFault, s_.p_.kernel.minor_fault_cycles);
    ctx.serialize_after = true;
  }
  void signal_delivered(unsigned) override {
    advance(Stall::kFaultDelivery, s_.p_.kernel.signal_delivery_cycles);
    ctx.serialize_after = true;
  }

  /// Charges the pending system-call entry, once, before the kernel's work.
  void enter_kernel() {
    if (ctx.pending_entry) {
      const uint64_t c = ctx.pending_entry;
      ctx.pending_entry = 0;
      advance(Stall::kSyscall, c);
    }
  }

  void pte_written(uint64_t pa) override {
    enter_kernel();
    const MemAccess a = s_.memory_.access(ctx.core->id, pa, true, false, ctx.cursor);
    advance(ctx.kernel, a.latency + s_.p_.kernel.per_pte_cycles);
  }
  void vma_touched() override {
    enter_kernel();
    advance(ctx.kernel, s_.p_.kernel.per_vma_cycles);
  }
  void local_flush(unsigned, uint64_t invlpgs, bool full) override {
    enter_kernel();
    advance(Stall::kTlbFlush, flush_cycles(invlpgs, full));
  }
  void remote_flush(unsigned, unsigned target, uint64_t invlpgs, bool full) override {
    enter_kernel();
    const KernelCosts& k = s_.p_.kernel;
    ++ctx.ipis;
    const uint64_t arrival = ctx.cursor + ctx.ipis * k.ipi_send_cycles + k.ipi_delivery_cycles;
    const uint64_t handler = k.ipi_handler_cycles + flush_cycles(invlpgs, full);
    Core& t = s_.core_of(p_, target);
    t.pending.push_back({arrival, handler});
    p_.shootdown_target_cycles += handler;
    ctx.ack_max = std::max(ctx.ack_max, arrival + handler + k.ipi_ack_cycles);
  }
  void shootdown_done(unsigned, unsigned targets) override {
    const uint64_t until =
        std::max(ctx.ack_max, ctx.cursor + targets * s_.p_.kernel.ipi_send_cycles);
    const uint64_t wait = until - ctx.cursor;
    ++ctx.core->shootdowns_initiated;
    ctx.core->shootdown_wait_cycles += wait;
    p_.shootdown_initiator_cycles += wait;
    advance(Stall::kShootdown, wait);
    ctx.ipis = 0;
    ctx.ack_max = 0;
  }

  void advance(Stall s, uint64_t cycles) {
    ctx.cursor += cycles;
    ctx.lat.add(s, cycles);
    ctx.core->port.now = ctx.cursor;
  }

 private:
  uint64_t flush_cycles(uint64_t invlpgs, bool full) const {
    return full ? s_.p_.kernel.full_flush_cycles : invlpgs * s_.p_.kernel.invlpg_cycles;
  }
  System& s_;
  Process& p_;
};

System::System(const TimingParams& p, json effective_config)
    : p_(p),
      config_json_(std::move(effective_config)),
      mem_(p.machine.mmu.maxphyaddr),
      memory_(p.memory, p.system.cores) {
  for (unsigned c = 0; c < p.system.cores; ++c) {
    cores_.push_back(std::make_unique<Core>(c, p, mem_, memory_));
  }
}

System::~System() = default;

System::Core& System::core_of(const Process& p, unsigned tid) {
  return *cores_[static_cast<unsigned>(p.core_of_thread[tid])];
}

namespace {
/// Highest thread id a trace names (any format: lackey and ChampSim have one thread).
unsigned highest_thread(const std::string& path) {
  traces::OpenedTrace t = traces::open_trace(path);
  if (t.format == "lackey" || t.format == "champsim") return 0;
  unsigned hi = 0;
  isa::Instr rec;
  while (t.source->next(rec)) {
    if (rec.op == isa::Op::kThread) hi = std::max(hi, static_cast<unsigned>(rec.value));
  }
  return hi;
}
}  // namespace

System::Process& System::new_process(const std::string& name, unsigned span) {
  unsigned base = 0;
  if (!procs_.empty()) {
    Process& prev = *procs_.back();
    // A text trace's span is known only by scanning it for thread lines.
    if (prev.span == 0) prev.span = highest_thread(prev.name) + 1;
    base = prev.base_core + prev.span;
  }
  auto proc = std::make_unique<Process>();
  proc->name = name;
  proc->index = static_cast<unsigned>(procs_.size());
  proc->base_core = base;
  proc->span = span;
  proc->hooks = std::make_unique<Hooks>(*this, *proc);
  procs_.push_back(std::move(proc));
  Process& p = *procs_.back();
  MachineConfig mc = p_.machine;
  mc.kernel.pcid = static_cast<uint16_t>(p.index + 1);
  p.machine = std::make_unique<Machine>(mc, &mem_, p.hooks.get());
  return p;
}

void System::add_trace(const std::string& path, const std::string& format) {
  if (!procs_.empty() && (procs_.back()->name == "-" || path == "-")) {
    throw traces::TraceError(path, 0, 0, "standard input can be used only as the one trace");
  }
  traces::OpenedTrace t = traces::open_trace(path, format);
  Process& p = new_process(path, 0);
  p.file = std::move(t.stream);
  p.file_bytes = t.size_bytes;
  p.reader = std::move(t.source);
  p.format = t.format;
  p.compression = t.compression;
  p.machine->set_auto_map(t.auto_map);
}

void System::add_source(const std::string& name, std::unique_ptr<traces::RecordSource> source,
                        unsigned threads) {
  Process& p = new_process(name, threads);
  p.reader = std::move(source);
}

void System::take_interrupts(Core& c, uint64_t upto) {
  if (c.pending.empty()) return;
  std::stable_sort(c.pending.begin(), c.pending.end(),
                   [](const Interrupt& a, const Interrupt& b) { return a.arrival < b.arrival; });
  size_t n = 0;
  for (; n < c.pending.size() && c.pending[n].arrival <= upto; ++n) {
    Latency lat;
    lat.add(Stall::kShootdown, c.pending[n].cycles);
    c.timer.interrupt(c.pending[n].arrival, lat);
    ++c.interrupts;
    c.interrupt_cycles += c.pending[n].cycles;
  }
  c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(n));
}

void System::execute_timed(Process& p, const isa::Instr& in) {
  Machine& m = *p.machine;
  Core& c = core_of(p, m.current_thread());
  take_interrupts(c, c.timer.next_dispatch());
  Ctx& ctx = p.hooks->ctx;
  const KernelCosts& k = p_.kernel;

  if (in.op == isa::Op::kCompute && !in.has_ip) {
    p.last = m.execute(in);
    c.timer.compute_batch(in.value, p_.core.compute_latency_cycles);
    return;
  }

  CoreTimer::Kind kind = CoreTimer::Kind::kCompute;
  if (isa::is_syscall(in.op)) kind = CoreTimer::Kind::kSerializing;
  if (in.op == isa::Op::kLoad || in.op == isa::Op::kRmw) kind = CoreTimer::Kind::kLoad;
  if (in.op == isa::Op::kStore) kind = CoreTimer::Kind::kStore;
  if (in.op == isa::Op::kWrpkru) {
    kind = p_.core.wrpkru_drains_rob ? CoreTimer::Kind::kSerializing : CoreTimer::Kind::kWrpkru;
  }
  const uint64_t d = c.timer.dispatch(kind, !in.continuation);
  ctx = Ctx{};
  ctx.core = &c;
  ctx.cursor = d;
  if (isa::is_memory_op(in.op)) {
    const uint64_t issue = c.timer.memory_issue(d);
    ctx.cursor = issue;
    ctx.lat.add(Stall::kWrpkru, issue - d);
    ctx.kernel = Stall::kPageFault;
  }
  c.port.now = ctx.cursor;
  c.port.take();

  uint64_t populated_before = 0;
  if (isa::is_syscall(in.op)) {
    uint64_t base = k.entry_exit_cycles();
    if (in.op == isa::Op::kPkeyAlloc || in.op == isa::Op::kPkeyFree) {
      base += k.pkey_op_cycles;
    } else {
      base += k.vma_op_cycles;
    }
    // Charged when the kernel is entered: not if the syscall's fetch faults.
    ctx.pending_entry = base;
    ctx.kernel = Stall::kSyscall;
    populated_before = m.kernel().stats().populated_pages;
  }

  p.last = m.execute(in);
  const bool executed = !(p.last.fault && p.last.fault_kind == AccessKind::kFetch);
  if (executed) p.hooks->enter_kernel();

  switch (executed ? in.op : isa::Op::kThread) {
    case isa::Op::kWrpkru: {
      // PKRU is not renamed: a WRPKRU waits for the previous one to complete.
      const uint64_t issue = c.timer.wrpkru_issue(ctx.cursor);
      p.hooks->advance(Stall::kWrpkru, issue - ctx.cursor + p_.core.wrpkru_latency_cycles);
      break;
    }
    case isa::Op::kRdpkru:
      p.hooks->advance(Stall::kBase, p_.core.rdpkru_latency_cycles);
      break;
    case isa::Op::kCompute:  // with a fetch; its count is 1 in practice
      p.hooks->advance(Stall::kBase, p_.core.compute_latency_cycles);
      for (uint64_t i = 1; i < in.value; ++i) {
        c.timer.finish(ctx.cursor, ctx.lat);
        ctx.lat = Latency{};
        ctx.lat.add(Stall::kBase, p_.core.compute_latency_cycles);
        ctx.cursor = c.timer.dispatch(CoreTimer::Kind::kCompute) + p_.core.compute_latency_cycles;
      }
      break;
    default:
      break;
  }
  if (isa::is_syscall(in.op) && executed) {
    const uint64_t populated = m.kernel().stats().populated_pages - populated_before;
    p.hooks->advance(Stall::kSyscall, populated * k.populate_page_cycles);
    p.syscall_cycles[unsigned(in.op)] += ctx.cursor - d;
  }
  c.timer.finish(ctx.cursor, ctx.lat);
  if (ctx.serialize_after) c.timer.set_barrier(ctx.cursor);
}

bool System::step(Process& p) {
  isa::Instr rec;
  if (!p.reader->next(rec)) {
    p.done = true;
    return false;
  }
  if (rec.op == isa::Op::kExpect) {
    ++p.expectations;
    if (!expectation_holds(rec, p.last)) ++p.expectations_failed;
    return true;
  }
  if (rec.op == isa::Op::kThread) {
    p.machine->execute(rec);
    return true;
  }
  execute_timed(p, rec);
  return true;
}

void System::run(const RunOptions& opt) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto last_beat = t0;
  uint64_t records = 0;
  uint64_t total_bytes = 0;
  for (const auto& p : procs_) total_bytes += p->file_bytes;
  for (;;) {
    Process* next = nullptr;
    uint64_t best = std::numeric_limits<uint64_t>::max();
    for (const auto& p : procs_) {
      if (p->done) continue;
      const uint64_t t = core_of(*p, p->machine->current_thread()).timer.now();
      if (t < best) {
        best = t;
        next = p.get();
      }
    }
    if (!next) break;
    for (unsigned k = 0; k < p_.system.quantum_records && step(*next); ++k) ++records;
    if (opt.heartbeat && (records & 0xFFFF) < 64) {
      const auto now = clock::now();
      if (now - last_beat >= std::chrono::seconds(1)) {
        last_beat = now;
        uint64_t instr = 0, bytes = 0;
        for (const auto& p : procs_) {
          instr += p->machine->stats().instructions;
          bytes += p->reader->bytes_read();
        }
        const double secs = std::chrono::duration<double>(now - t0).count();
        const double frac = total_bytes ? double(bytes) / double(total_bytes) : 0;
        std::string eta = "?";
        if (frac > 0.001) eta = fmt::format("{:.0f} s", secs * (1 - frac) / frac);
        std::fprintf(stderr,
                     "\r[pkusim] %.1f M instructions, %.2f MIPS, %.0f%% of trace, ETA %s   ",
                     double(instr) / 1e6, double(instr) / secs / 1e6, frac * 100, eta.c_str());
        std::fflush(stderr);
      }
    }
  }
  for (auto& c : cores_) take_interrupts(*c, std::numeric_limits<uint64_t>::max());
  if (opt.heartbeat && std::chrono::duration<double>(clock::now() - t0).count() >= 1) {
    std::fprintf(stderr, "\n");
  }
  wall_seconds_ = std::chrono::duration<double>(clock::now() - t0).count();
}

}  // namespace pkusim::sim
