// mmap, munmap and MAP_POPULATE: mm/mmap.c (do_mmap, do_vmi_munmap),
// mm/gup.c (populate_vma_page_range).
#include <algorithm>
#include <bit>
#include <stdexcept>

#include "sim/kernel/kernel.h"
#include "sim/kernel/kernel_internal.h"

namespace pkusim::sim {

using namespace kernel_detail;

bool Kernel::range_splits_hugetlb(uint64_t start, uint64_t end) {
  for (const uint64_t at : {start, end}) {
    const Vma* v = vmas_.find(at);
    if (v && v->hugetlb() && v->start < at && at % isa::page_bytes(v->page) != 0) return true;
  }
  return false;
}

void Kernel::unmap_range(unsigned tid, uint64_t start, uint64_t end, Gather& g) {
  split_vma_at(start);
  split_vma_at(end);
  for (Vma* v = vmas_.find_from(start); v && v->start < end; v = vmas_.find_from(start)) {
    uint64_t lo = ~uint64_t{0}, hi = 0;
    const isa::PageSize size = v->page;
    for_each_leaf(mem_, root_, isa::Level::kPml4, 0, v->start, v->end, leaf_level(size),
                  [&](uint64_t va, uint64_t slot, PagingEntry e) {
                    if (!populated(e) || (size != isa::PageSize::k4K && !e.page_size())) return;
                    if (!special(e)) mem_.free_frame(leaf_frame(e, size, mem_.maxphyaddr()), size);
                    write_pte(slot, 0);
                    ++stats_.ptes_zapped;
                    lo = std::min(lo, va);
                    hi = std::max(hi, va + isa::page_bytes(size));
                  });
    if (observer_) observer_->vma_op(VmaOp::kRemoved);
    if (hi > lo) gather(tid, g, lo, hi, isa::page_shift(size));
    vmas_.erase(v->start);
  }
}

SyscallResult Kernel::mmap(unsigned tid, uint64_t addr, uint64_t len, uint8_t prot, uint8_t flags) {
  // vm_mmap_pgoff takes mmap_lock before do_mmap checks anything.
  lock_mm(addr, addr + len);
  if (len == 0) return {-abi::kEinval, abi::kEinval};
  if (len > kTaskSize || addr > kTaskSize - len) return {-abi::kEnomem, abi::kEnomem};
  if (addr < kMmapMinAddr) return {-abi::kEperm, abi::kEperm};
  const uint64_t end = addr + len;
  // do_mmap picks the execute-only key before mmap_region can fail.
  int pkey = 0;
  if (prot == isa::kProtExec) pkey = std::max(execute_only_key(tid), 0);
  if (range_splits_hugetlb(addr, end)) return {-abi::kEinval, abi::kEinval};
  Gather g;
  unmap_range(tid, addr, end, g);
  finish_gather(tid, g);
  Vma v;
  v.start = addr;
  v.end = end;
  v.prot = prot;
  v.pkey = static_cast<uint8_t>(pkey);
  v.page = (flags & isa::kMapHuge1G)   ? isa::PageSize::k1G
           : (flags & isa::kMapHuge2M) ? isa::PageSize::k2M
                                       : isa::PageSize::k4K;
  vmas_.insert(v);
  if (observer_) observer_->vma_op(VmaOp::kCreated);
  merge_vmas(addr, end);
  if (flags & isa::kMapPopulate) populate(tid, addr, end);
  return {static_cast<int64_t>(addr), 0};
}

void Kernel::populate(unsigned tid, uint64_t start, uint64_t end) {
  // __mm_populate -> populate_vma_page_range -> GUP: write faults for private
  // writable VMAs, read faults (FOLL_FORCE) otherwise; PROT_NONE and VMAs
  // whose key the caller's PKRU denies are skipped (check_vma_flags).
  for (Vma* v = vmas_.find_from(start); v && v->start < end; v = vmas_.find_from(v->end)) {
    if (!v->accessible()) continue;
    const bool write = v->prot & isa::kProtWrite;
    const isa::Pkru pkru = threads_[tid].pkru;
    if (!(write ? pkru.allows_write(v->pkey) : pkru.allows_read(v->pkey))) continue;
    const uint64_t step = isa::page_bytes(v->page);
    for (uint64_t a = std::max(start, v->start); a < std::min(end, v->end); a += step) {
      const uint64_t slot = leaf_slot(a, v->page, true);
      const PagingEntry e{mem_.read64(slot)};
      // A hugetlb slot holding a table pointer left by 4K mappings is empty.
      if (populated(e) && !(v->hugetlb() && !e.page_size())) continue;
      install_page(tid, *v, a, write);
      ++stats_.populated_pages;
    }
  }
}

SyscallResult Kernel::munmap(unsigned tid, uint64_t addr, uint64_t len) {
  // __vm_munmap takes mmap_lock, then do_vmi_munmap checks the range.
  lock_mm(addr, addr + len);
  if ((addr & (isa::kPageBytes4K - 1)) || addr > kTaskSize || len > kTaskSize - addr) {
    return {-abi::kEinval, abi::kEinval};
  }
  const uint64_t end = addr + ((len + isa::kPageBytes4K - 1) & ~(isa::kPageBytes4K - 1));
  if (end == addr) return {-abi::kEinval, abi::kEinval};
  if (range_splits_hugetlb(addr, end)) return {-abi::kEinval, abi::kEinval};
  Gather g;
  unmap_range(tid, addr, end, g);
  finish_gather(tid, g);
  return {0, 0};
}

}  // namespace pkusim::sim
