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
  if (tid < threads_.size() && threads_[tid].mmu) {
    flush_one(*threads_[tid].mmu);
    (full ? stats_.local_full_flushes : stats_.local_invlpg) += full ? 1 : pages;
    if (observer_) observer_->local_flush(tid, invlpgs, full);
  }
  unsigned targets = 0;
  for (unsigned t = 0; t < threads_.size(); ++t) {
    if (t == tid || !threads_[t].exists || !threads_[t].mmu) continue;
    flush_one(*threads_[t].mmu);
    ++targets;
    (full ? stats_.remote_full_flushes : stats_.remote_invlpg) += full ? 1 : pages;
    if (observer_) observer_->remote_flush(tid, t, invlpgs, full);
  }
  if (targets) {
    ++stats_.shootdowns;
    stats_.ipis += targets;
    if (observer_) observer_->shootdown_done(tid, targets);
  }
}

}  // namespace pkusim::sim
