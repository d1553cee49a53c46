// The Linux model: threads and the page tables (mm/memory.c: page-table
// allocation, do_anonymous_page, the zero page).
#include "sim/kernel/kernel.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "sim/kernel/kernel_internal.h"

namespace pkusim::sim {

using namespace kernel_detail;

Kernel::Kernel(const KernelConfig& cfg, mmu::PhysMem& mem, KernelObserver* observer)
    : cfg_(cfg), mem_(mem), observer_(observer) {
  root_ = mem_.alloc_frame(isa::PageSize::k4K);
  zero_page_ = mem_.alloc_frame(isa::PageSize::k4K);
}

void Kernel::attach_mmu(unsigned tid, mmu::Mmu* m) {
  if (tid >= threads_.size()) threads_.resize(tid + 1);
  threads_[tid].mmu = m;
}

void Kernel::create_thread(unsigned tid, isa::Pkru pkru) {
  if (tid >= threads_.size()) threads_.resize(tid + 1);
  threads_[tid].exists = true;
  threads_[tid].pkru = pkru;
  threads_[tid].tlb_gen = tlb_gen_;  // a new TLB holds nothing stale
}

void Kernel::lock_mm(uint64_t start, uint64_t end) {
  ++stats_.mmap_lock_writes;
  if (observer_) observer_->mmap_lock(start, end);
}

void Kernel::split_vma_at(uint64_t addr) {
  if (vmas_.split_at(addr)) {
    ++stats_.vma_splits;
    if (observer_) observer_->vma_op(VmaOp::kSplit);
  }
}

void Kernel::merge_vmas(uint64_t lo, uint64_t hi) {
  const unsigned n = vmas_.merge_range(lo, hi);
  stats_.vma_merges += n;
  for (unsigned i = 0; observer_ && i < n; ++i) observer_->vma_op(VmaOp::kMerged);
}

// ---------------------------------------------------------------- page tables

void Kernel::write_pte(uint64_t slot, uint64_t value) {
  mem_.write64(slot, value);
  if (observer_) observer_->pte_written(slot);
}

uint64_t Kernel::leaf_slot(uint64_t la, isa::PageSize size, bool allocate) {
  const isa::Level target = leaf_level(size);
  uint64_t table = root_;
  for (auto level = isa::Level::kPml4;; level = isa::Level(unsigned(level) - 1)) {
    const uint64_t slot = table + uint64_t{isa::table_index(la, level)} * isa::kEntryBytes;
    if (level == target) return slot;
    PagingEntry e{mem_.read64(slot)};
    if (!e.present() || e.page_size()) {
      if (!allocate) return 0;
      // A large leaf here was unmapped before (its entry is 0); allocate a table.
      const uint64_t next = mem_.alloc_frame(isa::PageSize::k4K);
      e.raw = kTableEntryBits;
      e.set_address(next, mem_.maxphyaddr());
      write_pte(slot, e.raw);
    }
    table = e.address(mem_.maxphyaddr());
  }
}

uint64_t Kernel::make_leaf(uint64_t frame, const Vma& v, bool writable, bool dirty,
                           bool is_special) const {
  PagingEntry e;
  if (v.prot == 0) {
    e.set(kPteProtNone, true);  // PAGE_NONE: not present to the hardware
  } else {
    e.set(isa::kPteP, true)
        .set(isa::kPteUs, true)
        .set(isa::kPteA, true)
        .set(isa::kPteRw, writable)
        .set(isa::kPteD, dirty)
        .set(isa::kPteXd, !(v.prot & isa::kProtExec));
  }
  if (v.hugetlb()) e.set(isa::kPtePs, true);
  e.set(kPteSpecial, is_special);
  e.set_protection_key(v.pkey);
  e.raw |= frame & isa::bit_range(mem_.maxphyaddr() - 1, isa::kPageShift4K);
  return e.raw;
}

uint64_t Kernel::leaf_entry(uint64_t la, isa::PageSize* size) const {
  uint64_t table = root_;
  for (auto level = isa::Level::kPml4;; level = isa::Level(unsigned(level) - 1)) {
    const PagingEntry e{mem_.read64(table + uint64_t{isa::table_index(la, level)} * 8)};
    const bool large = (level == isa::Level::kPd || level == isa::Level::kPdpt) && e.page_size();
    if (level == isa::Level::kPt || large) {
      if (size) {
        *size = level == isa::Level::kPt   ? isa::PageSize::k4K
                : level == isa::Level::kPd ? isa::PageSize::k2M
                                           : isa::PageSize::k1G;
      }
      return e.raw;
    }
    if (!e.present()) return 0;
    table = e.address(mem_.maxphyaddr());
  }
}

void Kernel::install_page(unsigned tid, Vma& v, uint64_t la, bool write) {
  const uint64_t page = la & ~(isa::page_bytes(v.page) - 1);
  const uint64_t slot = leaf_slot(page, v.page, true);
  const PagingEntry old_e{mem_.read64(slot)};
  if (v.hugetlb() && old_e.present() && !old_e.page_size()) {
    // A page table left by earlier 4 KiB mappings: it is empty; give it back.
    // A paging-structure cache may still point to it, so flush first, as
    // Linux does before freeing page tables (tlb_flush with freed_tables).
    write_pte(slot, 0);
    flush_tlb_range(tid, page, page + isa::page_bytes(v.page), isa::page_shift(v.page),
                    /*freed_tables=*/true);
    const uint64_t table = old_e.address(mem_.maxphyaddr());
    if (v.page == isa::PageSize::k1G) {
      // A page directory: give back the page tables under it too.
      for (unsigned i = 0; i < isa::kEntriesPerTable; ++i) {
        const PagingEntry pde{mem_.read64(table + i * isa::kEntryBytes)};
        if (pde.present() && !pde.page_size()) {
          mem_.free_frame(pde.address(mem_.maxphyaddr()), isa::PageSize::k4K);
        }
      }
    }
    mem_.free_frame(table, isa::PageSize::k4K);
  }
  if (write || v.hugetlb()) {
    // do_anonymous_page / hugetlb_no_page: a new page, writable on a write fault.
    const uint64_t frame = mem_.alloc_frame(v.page);
    write_pte(slot, make_leaf(frame, v, write, write, false));
    if (v.anon_id == 0) v.anon_id = next_anon_id_++;
  } else {
    // do_anonymous_page, read fault: map the shared zero page read-only.
    write_pte(slot, make_leaf(zero_page_, v, false, false, true));
    ++stats_.zero_page_maps;
  }
}

}  // namespace pkusim::sim
