// TLB invalidation after PTE changes: arch/x86/mm/tlb.c flush_tlb_mm_range.
#include <algorithm>
#include <bit>
#include <stdexcept>

#include "sim/kernel/kernel.h"
#include "sim/kernel/kernel_internal.h"

namespace pkusim::sim {

using namespace kernel_detail;

void Kernel::flush_tlb_range(unsigned tid, uint64_t start, uint64_t end, unsigned stride_shift,
                             bool freed_tables) {
  ++stats_.flush_ranges;
  // The `none` policy skips permission flushes, never the one that makes a
  // freed page table unreachable (a stale PSC entry would point into it).
  if (!cfg_.flushes() && !freed_tables) {
    ++stats_.skipped_flushes;
    return;
  }
  const uint64_t pages = (end - start) >> stride_shift;
  const bool full = pages > cfg_.flush_ceiling;
  const auto flush_one = [&](mmu::Mmu& m) {
    if (full) {
      m.flush_current_pcid();
    } else {
      for (uint64_t a = start; a < end; a += uint64_t{1} << stride_shift) m.invlpg(a);
    }
  };
  const uint64_t invlpgs = full ? 0 : pages;
  // The mm's tlb_gen moves on; the caller's TLB is current again.
  ++tlb_gen_;
  if (tid < threads_.size()) threads_[tid].tlb_gen = tlb_gen_;
  // IPIs first (native_flush_tlb_multi sends them, then flushes locally
  // while they are in flight, then waits).
  unsigned targets = 0;
  for (unsigned t = 0; t < threads_.size(); ++t) {
    Thread& th = threads_[t];
    if (t == tid || !th.exists || !th.mmu) continue;
    // CPUs of threads that are asleep (lazy TLB) or gone get no IPI: an
    // exited one never runs this mm again, a sleeping one flushes when it
    // wakes (wake()). Freed page tables are the exception: Linux IPIs lazy
    // CPUs too then, lest a speculative walk use a freed table
    // (flush_tlb_mm_range with freed_tables; should_flush_tlb).
    if (th.state == ThreadState::kExited || (th.state == ThreadState::kAsleep && !freed_tables)) {
      ++stats_.lazy_skipped;
      continue;
    }
    th.tlb_gen = tlb_gen_;
    flush_one(*th.mmu);
    ++targets;
    (full ? stats_.remote_full_flushes : stats_.remote_invlpg) += full ? 1 : pages;
    if (observer_) observer_->remote_flush(tid, t, invlpgs, full);
  }
  if (tid < threads_.size() && threads_[tid].mmu) {
    flush_one(*threads_[tid].mmu);
    (full ? stats_.local_full_flushes : stats_.local_invlpg) += full ? 1 : pages;
    if (observer_) observer_->local_flush(tid, invlpgs, full);
  }
  if (targets) {
    ++stats_.shootdowns;
    stats_.ipis += targets;
    if (observer_) observer_->shootdown_done(tid, targets);
  }
}

void Kernel::gather(unsigned tid, Gather& g, uint64_t lo, uint64_t hi, unsigned stride_shift) {
  // A change of page size flushes what was gathered so far
  // (tlb_change_page_size).
  if (g.hi > g.lo && g.stride_shift != stride_shift) finish_gather(tid, g);
  g.lo = std::min(g.lo, lo);
  g.hi = std::max(g.hi, hi);
  g.stride_shift = stride_shift;
}

void Kernel::finish_gather(unsigned tid, Gather& g) {
  if (g.hi > g.lo) flush_tlb_range(tid, g.lo, g.hi, g.stride_shift);
  g = Gather{};
}

bool Kernel::wake(unsigned tid) {
  Thread& th = threads_[tid];
  if (th.state != ThreadState::kAsleep) return false;
  th.state = ThreadState::kRunning;
  if (th.tlb_gen == tlb_gen_ || !th.mmu) return false;
  // switch_mm_irqs_off: the ASID's tlb_gen is behind, so the CR3 load flushes it.
  th.tlb_gen = tlb_gen_;
  th.mmu->flush_current_pcid();
  ++stats_.wake_flushes;
  if (observer_) observer_->local_flush(tid, 0, true);
  return true;
}

}  // namespace pkusim::sim
