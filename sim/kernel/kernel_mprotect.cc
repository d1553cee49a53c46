// mprotect and pkey_mprotect: mm/mprotect.c (do_mprotect_pkey, mprotect_fixup,
// change_protection).
#include <algorithm>
#include <bit>
#include <stdexcept>

#include "sim/kernel/kernel.h"
#include "sim/kernel/kernel_internal.h"

namespace pkusim::sim {

using namespace kernel_detail;

int Kernel::change_protection(unsigned tid, Vma& v, uint8_t prot, uint8_t pkey, Gather& g) {
  if (v.prot == prot && v.pkey == pkey) return 0;  // mprotect_fixup: nothing to do
  v.prot = prot;
  v.pkey = pkey;
  if (observer_) observer_->vma_op(VmaOp::kChanged);
  const isa::PageSize size = v.page;
  uint64_t lo = ~uint64_t{0}, hi = 0;
  for_each_leaf(mem_, root_, isa::Level::kPml4, 0, v.start, v.end, leaf_level(size),
                [&](uint64_t va, uint64_t slot, PagingEntry old_e) {
                  if (!populated(old_e) || (size != isa::PageSize::k4K && !old_e.page_size())) {
                    return;
                  }
                  // pte_modify to the new protection, then (6.x) make an
                  // exclusive anonymous page writable right away
                  // (MM_CP_TRY_CHANGE_WRITABLE); hugetlb and the zero page stay
                  // read-only until a write fault.
                  const bool writable = (prot & isa::kProtWrite) && !special(old_e) && !v.hugetlb();
                  const PagingEntry new_e{make_leaf(leaf_frame(old_e, size, mem_.maxphyaddr()), v,
                                                    writable, old_e.dirty(), special(old_e))};
                  write_pte(slot, new_e.raw);
                  ++stats_.ptes_changed;
                  if (size != isa::PageSize::k4K && observer_) observer_->huge_leaf_changed();
                  if (new_e.writable() && !old_e.writable()) {
                    ++stats_.ptes_made_writable;
                    if (observer_) observer_->pte_made_writable();
                  }
                  if (pte_needs_flush(old_e, new_e) &&
                      cfg_.flush_policy == FlushPolicy::kSkipUpgrades &&
                      pte_change_only_grants(old_e, new_e)) {
                    ++stats_.unflushed_grants;
                  } else if (pte_needs_flush(old_e, new_e)) {
                    lo = std::min(lo, va);
                    hi = std::max(hi, va + isa::page_bytes(size));
                  }
                });
  // hugetlb bypasses the mmu_gather: hugetlb_change_protection flushes the
  // whole range, changed or not (flush_hugetlb_tlb_range, mm/hugetlb.c).
  if (v.hugetlb()) {
    lo = v.start;
    hi = v.end;
  }
  if (hi > lo) gather(tid, g, lo, hi, isa::page_shift(size));
  return 0;
}

SyscallResult Kernel::mprotect(unsigned tid, uint64_t addr, uint64_t len, uint8_t prot,
                               int64_t pkey) {
  // do_mprotect_pkey, in its order of checks: these before the lock ...
  if (addr & (isa::kPageBytes4K - 1)) return {-abi::kEinval, abi::kEinval};
  if (len == 0) return {0, 0};
  const uint64_t aligned = (len + isa::kPageBytes4K - 1) & ~(isa::kPageBytes4K - 1);
  const uint64_t end = addr + aligned;
  if (aligned == 0 || end <= addr) return {-abi::kEnomem, abi::kEnomem};
  // ... the rest under mmap_write_lock_killable, the flush included.
  lock_mm(addr, end);
  const auto key_allocated = [&](int64_t k) {
    return k >= 0 && k < int64_t{isa::kNumPkeys} && k != exec_only_pkey_ && (pkey_map_ >> k) & 1;
  };
  if (pkey != -1 && !key_allocated(pkey)) return {-abi::kEinval, abi::kEinval};
  Vma* v = vmas_.find_from(addr);
  if (!v || v->start >= end || v->start > addr) return {-abi::kEnomem, abi::kEnomem};

  int err = 0;
  uint64_t cur = addr;
  Gather g;
  while (v && v->start < end) {
    if (v->start > cur) {  // a hole
      err = abi::kEnomem;
      break;
    }
    // arch_override_mprotect_pkey
    int new_key = v->pkey;
    if (pkey != -1) {
      new_key = static_cast<int>(pkey);
    } else if (prot == isa::kProtExec) {
      const int k = execute_only_key(tid);
      if (k > 0) new_key = k;
    } else if (v->prot == isa::kProtExec && v->pkey == exec_only_pkey_) {
      new_key = 0;
    }
    const uint64_t lo = std::max(cur, v->start);
    const uint64_t hi = std::min(end, v->end);
    if (v->prot != prot || v->pkey != new_key) {
      if (v->hugetlb() && (lo % isa::page_bytes(v->page) || hi % isa::page_bytes(v->page))) {
        err = abi::kEinval;  // hugetlb_vm_op_split refuses an unaligned split
        break;
      }
      split_vma_at(lo);
      split_vma_at(hi);
      Vma* part = vmas_.find(lo);
      change_protection(tid, *part, prot, static_cast<uint8_t>(new_key), g);
    }
    cur = hi;
    v = cur < end ? vmas_.find_from(cur) : nullptr;
  }
  if (!err && cur < end) err = abi::kEnomem;
  merge_vmas(addr, end);
  finish_gather(tid, g);  // tlb_finish_mmu: one flush for the whole call
  if (err) return {-err, err};
  return {0, 0};
}

}  // namespace pkusim::sim
