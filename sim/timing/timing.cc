// The timing of the system: what each event costs, on which core, and
// when (see system.h for the model's overview, docs/model.md for the rules).
#include <fmt/format.h>

#include <algorithm>

#include "sim/system_internal.h"

namespace pkusim::sim {

class System::TimingHooks final : public System::Hooks {
 public:
  TimingHooks(System& s, Process& p) : s_(s), p_(p) {}
  Ctx ctx;

  mmu::MemoryPort& thread_created(unsigned tid) override {
    return s_.allocate_core(p_, tid).timing->port;
  }
  void mmu_created(unsigned tid, const mmu::Mmu& m) override {
    s_.register_core_stats(s_.core_of(p_, tid), m);
  }

  void translated(unsigned, AccessKind, uint64_t, const mmu::TranslateResult& r) override {
    if (s_.fast_forward_) return;
    CoreTiming& c = *ctx.timing;
    const uint64_t walk_reads = c.port.take();
    if (r.exception == isa::Exception::kGeneralProtection || r.tlb_level == 1) return;
    const uint64_t stlb = s_.p_.system.stlb_latency_cycles;
    if (r.tlb_level == 2) {
      advance(Stall::kPageWalk, stlb);
      return;
    }
    // An STLB miss: wait for a free walker, then walk.
    const uint64_t walk = walk_reads + s_.p_.system.walk_extra_cycles;
    const uint64_t want = ctx.cursor + stlb;
    auto it = std::min_element(c.walker_free.begin(), c.walker_free.end());
    const uint64_t start = std::max(want, *it);
    *it = start + walk;
    c.walk_cycles += walk;
    c.walker_wait_cycles += start - want;
    advance(Stall::kPageWalk, stlb + (start - want) + walk);
  }

  void accessed(unsigned, AccessKind kind, uint64_t pa) override {
    if (s_.fast_forward_) return;
    CoreTiming& c = *ctx.timing;
    MemorySystem& ms = *s_.memory_;
    if (kind == AccessKind::kFetch) {
      const MemAccess a = ms.access(ctx.core->id, pa, false, true, ctx.cursor);
      const uint64_t l1 = s_.p_.memory.l1i.latency_cycles;
      if (a.latency > l1) advance(Stall::kMemory, a.latency - l1);
      return;
    }
    const bool write = kind != AccessKind::kLoad;
    const MemAccess a = ms.access(ctx.core->id, pa, write, false, ctx.cursor);
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

  void fault_resolved(unsigned, uint64_t la, bool zero_page) override {
    if (s_.fast_forward_) return;
    wait_for_writer(la);
    advance(Stall::kPageFault,
            zero_page ? s_.p_.kernel.zero_page_fault_cycles : s_.p_.kernel.minor_fault_cycles);
    ctx.serialize_after = true;
  }
  void signal_delivered(unsigned, uint64_t la) override {
    if (s_.fast_forward_) return;
    wait_for_writer(la);
    advance(Stall::kFaultDelivery, s_.p_.kernel.signal_delivery_cycles);
    ctx.serialize_after = true;
  }

  /// A fault takes mmap_lock for reading (or the VMA's lock): it waits while
  /// another call of the process holds it for writing over this address.
  void wait_for_writer(uint64_t la) {
    if (!overlaps_hold(s_.p_.kernel.minor_fault_cycles)) return;
    const bool conflicts =
        s_.p_.kernel.mmap_lock == MmapLockMode::kMm || (la >= p_.lock_lo && la < p_.lock_hi);
    if (!conflicts) return;
    const uint64_t wait = p_.lock_end - ctx.cursor;
    p_.mmap_lock_wait_cycles += wait;
    advance(Stall::kMmapLock, wait);
  }

  /// Charges the pending system-call entry, once, before the kernel's work.
  void enter_kernel() {
    if (ctx.pending_entry) {
      const uint64_t c = ctx.pending_entry;
      ctx.pending_entry = 0;
      advance(Stall::kSyscall, c);
    }
  }

  void mmap_lock(uint64_t start, uint64_t end) override {
    if (s_.fast_forward_) return;
    enter_kernel();
    // A call of another thread holds it: this one waits its turn.
    if (overlaps_hold(p_.lock_end - p_.lock_start)) {
      const uint64_t wait = p_.lock_end - ctx.cursor;
      p_.mmap_lock_wait_cycles += wait;
      advance(Stall::kMmapLock, wait);
    }
    ctx.holds_lock = true;
    ctx.lock_start = ctx.cursor;
    ctx.lock_lo = start;
    ctx.lock_hi = end;
    advance(Stall::kSyscall, s_.p_.kernel.mmap_lock_cycles);
  }
  /// Whether a use of mmap_lock from now, lasting about `length`, overlaps
  /// the last write hold. The trace orders the calls (one later in the trace
  /// happened after); when the holds of two threads would overlap in
  /// simulated time, the later one in the trace waits for the earlier to
  /// end, whichever core's clock is ahead (they take turns).
  bool overlaps_hold(uint64_t length) const {
    return ctx.cursor < p_.lock_end && ctx.cursor + length > p_.lock_start;
  }
  /// The end of the call: mmap_lock is released.
  void release_lock() {
    if (!ctx.holds_lock) return;
    p_.lock_start = ctx.lock_start;
    p_.lock_end = ctx.cursor;
    p_.lock_lo = ctx.lock_lo;
    p_.lock_hi = ctx.lock_hi;
    ctx.holds_lock = false;
  }
  void pte_written(uint64_t pa) override {
    if (s_.fast_forward_) return;
    enter_kernel();
    const MemAccess a = s_.memory_->access(ctx.core->id, pa, true, false, ctx.cursor);
    advance(ctx.kernel, a.latency + s_.p_.kernel.per_pte_cycles);
  }
  void pte_made_writable() override {
    if (s_.fast_forward_) return;
    advance(ctx.kernel, s_.p_.kernel.pte_writable_cycles);
  }
  void huge_leaf_changed() override {
    if (s_.fast_forward_) return;
    advance(ctx.kernel, s_.p_.kernel.per_huge_leaf_cycles);
  }
  void vma_op(VmaOp op) override {
    if (s_.fast_forward_) return;
    enter_kernel();
    const KernelCosts& k = s_.p_.kernel;
    advance(ctx.kernel, op == VmaOp::kChanged  ? k.per_vma_cycles
                        : op == VmaOp::kMerged ? k.vma_merge_cycles
                                               : k.vma_split_cycles);
  }
  // A flush: the IPIs are sent first (remote_flush, each costing the
  // initiator its send), the local flush runs while they are in flight, and
  // the initiator then waits for the slowest acknowledgement.
  void remote_flush(unsigned, unsigned target, uint64_t invlpgs, bool full) override {
    if (s_.fast_forward_) return;
    enter_kernel();
    const KernelCosts& k = s_.p_.kernel;
    ++ctx.ipis;
    advance(Stall::kShootdown, k.ipi_send_cycles);
    const uint64_t arrival = ctx.cursor + k.ipi_delivery_cycles;
    const uint64_t handler = k.ipi_handler_cycles + k.flush_cycles(invlpgs, full);
    Core& t = s_.core_of(p_, target);
    t.timing->pending.push_back({arrival, handler});
    p_.shootdown_target_cycles += handler;
    ctx.ack_max = std::max(ctx.ack_max, arrival + handler + k.ipi_ack_cycles);
  }
  void local_flush(unsigned, uint64_t invlpgs, bool full) override {
    if (s_.fast_forward_) return;
    enter_kernel();
    const KernelCosts& k = s_.p_.kernel;
    advance(Stall::kTlbFlush, k.flush_fixed_cycles + k.flush_cycles(invlpgs, full));
  }
  void shootdown_done(unsigned, unsigned) override {
    if (s_.fast_forward_) return;
    const uint64_t until = std::max(ctx.ack_max, ctx.cursor);
    const uint64_t wait = until - ctx.cursor;
    ++ctx.timing->shootdowns_initiated;
    ctx.timing->shootdown_wait_cycles += wait;
    p_.shootdown_initiator_cycles += wait;
    advance(Stall::kShootdown, wait);
    ctx.ipis = 0;
    ctx.ack_max = 0;
  }

  void advance(Stall s, uint64_t cycles) {
    ctx.cursor += cycles;
    ctx.lat.add(s, cycles);
    ctx.timing->port.now = ctx.cursor;
  }

 private:
  System& s_;
  Process& p_;
};

std::unique_ptr<System::Hooks> make_timing_hooks(System& s, System::Process& p) {
  return std::make_unique<System::TimingHooks>(s, p);
}

void System::take_interrupts(Core& core, uint64_t upto) {
  CoreTiming& c = *core.timing;
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
  Core& core = core_of(p, m.current_thread());
  CoreTiming& c = *core.timing;
  if (!c.pending.empty()) take_interrupts(core, c.timer.next_dispatch());
  TimingHooks& hooks = static_cast<TimingHooks&>(*p.hooks);
  Ctx& ctx = hooks.ctx;
  const KernelCosts& k = p_.kernel;

  if (in.op == isa::Op::kCompute && !in.has_ip) {
    p.last = m.execute(in);
    c.timer.compute_batch(in.value, p_.core.compute_latency_cycles);
    return;
  }
  // An instruction without data that needs no fetch of its own (the common
  // case of a real program's trace): one compute instruction, no hooks.
  if (in.op == isa::Op::kCompute && in.value == 1 && !in.continuation &&
      m.fetch_cached(in.ip, in.ip_size)) {
    const uint64_t d = c.timer.dispatch(CoreTimer::Kind::kCompute);
    p.last = m.execute(in);
    c.timer.finish(d + p_.core.compute_latency_cycles, compute_latency_);
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
  ctx.start(&core, &c, d);
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
    }
    // Charged when the kernel is entered: not if the syscall's fetch faults.
    ctx.pending_entry = base;
    ctx.kernel = Stall::kSyscall;
    populated_before = m.kernel().stats().populated_pages;
  }

  p.last = m.execute(in);
  const bool executed = !(p.last.fault && p.last.fault_kind == AccessKind::kFetch);
  if (executed) hooks.enter_kernel();

  switch (executed ? in.op : isa::Op::kThread) {
    case isa::Op::kWrpkru: {
      // PKRU is not renamed: a WRPKRU waits for the previous one to complete.
      const uint64_t issue = c.timer.wrpkru_issue(ctx.cursor);
      hooks.advance(Stall::kWrpkru, issue - ctx.cursor + p_.core.wrpkru_latency_cycles);
      break;
    }
    case isa::Op::kRdpkru:
      hooks.advance(Stall::kBase, p_.core.rdpkru_latency_cycles);
      break;
    case isa::Op::kCompute:  // with a fetch; its count is 1 in practice
      hooks.advance(Stall::kBase, p_.core.compute_latency_cycles);
      for (uint64_t i = 1; i < in.value; ++i) {
        c.timer.finish(ctx.cursor, ctx.lat);
        ctx.lat.clear();
        ctx.lat.add(Stall::kBase, p_.core.compute_latency_cycles);
        ctx.cursor = c.timer.dispatch(CoreTimer::Kind::kCompute) + p_.core.compute_latency_cycles;
      }
      break;
    default:
      break;
  }
  if (isa::is_syscall(in.op) && executed) {
    const uint64_t populated = m.kernel().stats().populated_pages - populated_before;
    hooks.advance(Stall::kSyscall, populated * k.populate_page_cycles);
    hooks.release_lock();
    p.syscall_cycles[unsigned(in.op)] += ctx.cursor - d;
    p.syscall_latency[unsigned(in.op)].add(ctx.cursor - d);
  }
  c.timer.finish(ctx.cursor, ctx.lat);
  if (ctx.serialize_after) c.timer.set_barrier(ctx.cursor);
  // A sleeping thread's core is idle for the sleep's duration (the trace
  // says how long it blocked); an exited thread's core is idle for good.
  if (in.op == isa::Op::kSleep && executed) {
    c.timer.idle_for(uint64_t(double(in.value) * p_.system.frequency_ghz + 0.5));
  }
}

}  // namespace pkusim::sim
