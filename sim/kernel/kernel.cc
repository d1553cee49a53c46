#include "sim/kernel/kernel.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "isa/address.h"

namespace pkusim::sim {

using isa::bit;
using isa::PagingEntry;

namespace {

// Linux's use of ignored PTE bits (arch/x86/include/asm/pgtable_types.h).
constexpr unsigned kPteSpecial = 9;   // _PAGE_BIT_SPECIAL: the zero page
constexpr unsigned kPteProtNone = 8;  // _PAGE_BIT_PROTNONE, meaningful when P = 0
// _PAGE_TABLE: what Linux puts in a non-leaf entry of a user page table.
constexpr uint64_t kTableEntryBits =
    bit(isa::kPteP) | bit(isa::kPteRw) | bit(isa::kPteUs) | bit(isa::kPteA) | bit(isa::kPteD);
// pte_flags_need_flush (asm/tlbflush.h): flush if any of these changed ...
constexpr uint64_t kFlushOnChange =
    bit(isa::kPteRw) | bit(isa::kPteUs) | bit(isa::kPtePwt) | bit(isa::kPtePcd) | bit(isa::kPtePs) |
    bit(isa::kPteG) | bit(isa::kPtePatLarge) | isa::bit_range(62, 59) | bit(isa::kPteXd);
// ... or any of these was cleared.
constexpr uint64_t kFlushOnClear = bit(isa::kPteD) | bit(isa::kPteP) | bit(isa::kPteA);

constexpr uint64_t kTaskSize = isa::kLinuxTaskSize4Level;
constexpr unsigned kMaxPhysBits = 52;

bool populated(PagingEntry e) { return e.present() || (e.raw & bit(kPteProtNone)); }
bool special(PagingEntry e) { return e.raw & bit(kPteSpecial); }

isa::Level leaf_level(isa::PageSize s) {
  return s == isa::PageSize::k4K   ? isa::Level::kPt
         : s == isa::PageSize::k2M ? isa::Level::kPd
                                   : isa::Level::kPdpt;
}

uint64_t leaf_frame(PagingEntry e, isa::PageSize s, unsigned maxphyaddr) {
  return s == isa::PageSize::k4K ? e.address(maxphyaddr)
                                 : e.large_frame(maxphyaddr, isa::page_shift(s));
}

bool pte_needs_flush(PagingEntry old_e, PagingEntry new_e) {
  if (!old_e.present()) return false;
  const uint64_t frame_mask =
      isa::bit_range(kMaxPhysBits - 1, isa::kPageShift4K) & ~bit(isa::kPtePatLarge);
  if ((old_e.raw ^ new_e.raw) & frame_mask) return true;
  if ((old_e.raw ^ new_e.raw) & kFlushOnChange) return true;
  return (old_e.raw & ~new_e.raw) & kFlushOnClear;
}

/// Visits every entry at `target` level under [start, end), skipping absent
/// upper-level tables, so sparse ranges cost what they hold.
template <class F>
void for_each_leaf(mmu::PhysMem& mem, uint64_t table, isa::Level level, uint64_t base,
                   uint64_t start, uint64_t end, isa::Level target, F&& f) {
  const unsigned shift = isa::level_shift(level);
  const uint64_t span = uint64_t{1} << shift;
  const uint64_t first = (std::max(start, base) - base) >> shift;
  const uint64_t last = (std::min(end, base + span * isa::kEntriesPerTable) - 1 - base) >> shift;
  for (uint64_t idx = first; idx <= last; ++idx) {
    const uint64_t va = base + idx * span;
    const uint64_t slot = table + idx * isa::kEntryBytes;
    const PagingEntry e{mem.read64(slot)};
    if (level == target) {
      f(va, slot, e);
      continue;
    }
    if (!e.present() || e.page_size()) continue;
    for_each_leaf(mem, e.address(mem.maxphyaddr()), isa::Level(unsigned(level) - 1), va,
                  std::max(start, va), std::min(end, va + span), target, f);
  }
}

}  // namespace

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

// ------------------------------------------------------------------ faults

FaultOutcome Kernel::page_fault(unsigned tid, uint64_t la, mmu::AccessType type, isa::Exception exc,
                                isa::PfErrorCode error) {
  FaultOutcome out;
  if (exc == isa::Exception::kGeneralProtection) {
    out.si_code = abi::kSiKernel;
    return out;
  }
  Vma* v = la < kTaskSize ? vmas_.find(la) : nullptr;
  if (!v) {
    out.si_code = abi::kSegvMaperr;
    return out;
  }
  const bool write = type == mmu::AccessType::kWrite;
  // access_error(): a PK error code, or a VMA key this thread's PKRU denies
  // (arch_vma_access_permitted; never for instruction fetches), is PKUERR.
  const isa::Pkru pkru = threads_[tid].pkru;
  const bool key_denies = type != mmu::AccessType::kFetch &&
                          !(write ? pkru.allows_write(v->pkey) : pkru.allows_read(v->pkey));
  if (error.pk() || key_denies) {
    out.si_code = abi::kSegvPkuerr;
    out.pkey = v->pkey;
    return out;
  }
  if (write ? !(v->prot & isa::kProtWrite) : (error.p() || !v->accessible())) {
    out.si_code = abi::kSegvAccerr;
    return out;
  }
  // handle_mm_fault.
  const uint64_t page = la & ~(isa::page_bytes(v->page) - 1);
  const uint64_t slot = leaf_slot(page, v->page, true);
  PagingEntry e{mem_.read64(slot)};
  if (!populated(e) || (v->hugetlb() && !e.page_size())) {
    install_page(tid, *v, la, write);
    ++stats_.minor_faults;
  } else if (write && !e.writable()) {
    if (special(e)) {
      // wp_page_copy: replace the zero page by a private copy; the old
      // translation is flushed (ptep_clear_flush).
      const uint64_t frame = mem_.alloc_frame(v->page);
      write_pte(slot, make_leaf(frame, *v, true, true, false));
      if (v->anon_id == 0) v->anon_id = next_anon_id_++;
      ++stats_.cow_faults;
      flush_tlb_range(tid, page, page + isa::page_bytes(v->page), isa::page_shift(v->page));
    } else {
      // wp_page_reuse: an exclusive anonymous page becomes writable.
      e.set(isa::kPteRw, true).set(isa::kPteD, true).set(isa::kPteA, true);
      write_pte(slot, e.raw);
      ++stats_.write_upgrades;
    }
    ++stats_.minor_faults;
  } else {
    // The PTE already allows it: a stale TLB entry faulted, and the #PF
    // itself invalidated it (SDM 4.10.4.1).
    ++stats_.spurious_faults;
  }
  out.resolved = true;
  return out;
}

// --------------------------------------------------------------- TLB flush

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

// ------------------------------------------------------------ system calls

bool Kernel::range_splits_hugetlb(uint64_t start, uint64_t end) {
  for (const uint64_t at : {start, end}) {
    const Vma* v = vmas_.find(at);
    if (v && v->hugetlb() && v->start < at && at % isa::page_bytes(v->page) != 0) return true;
  }
  return false;
}

void Kernel::unmap_range(unsigned tid, uint64_t start, uint64_t end) {
  vmas_.split_at(start);
  vmas_.split_at(end);
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
    if (observer_) observer_->vma_touched();
    if (hi > lo) flush_tlb_range(tid, lo, hi, isa::page_shift(size));
    vmas_.erase(v->start);
  }
}

int Kernel::execute_only_key(unsigned tid) {
  bool need_to_set = false;
  int key = exec_only_pkey_;
  if (key == -1) {
    if (pkey_map_ == 0xFFFF) return -1;
    key = std::countr_one(pkey_map_);
    pkey_map_ |= uint16_t(1u << key);
    need_to_set = true;
  }
  Thread& t = threads_[tid];
  if (!need_to_set && !t.pkru.allows_read(unsigned(key))) return key;
  t.pkru = t.pkru.with_rights(unsigned(key), isa::kPkruAdBit);
  exec_only_pkey_ = key;
  return key;
}

SyscallResult Kernel::mmap(unsigned tid, uint64_t addr, uint64_t len, uint8_t prot, uint8_t flags) {
  if (len == 0) return {-abi::kEinval, abi::kEinval};
  if (len > kTaskSize || addr > kTaskSize - len) return {-abi::kEnomem, abi::kEnomem};
  if (addr < kMmapMinAddr) return {-abi::kEperm, abi::kEperm};
  const uint64_t end = addr + len;
  // do_mmap picks the execute-only key before mmap_region can fail.
  int pkey = 0;
  if (prot == isa::kProtExec) pkey = std::max(execute_only_key(tid), 0);
  if (range_splits_hugetlb(addr, end)) return {-abi::kEinval, abi::kEinval};
  unmap_range(tid, addr, end);
  Vma v;
  v.start = addr;
  v.end = end;
  v.prot = prot;
  v.pkey = static_cast<uint8_t>(pkey);
  v.page = (flags & isa::kMapHuge1G)   ? isa::PageSize::k1G
           : (flags & isa::kMapHuge2M) ? isa::PageSize::k2M
                                       : isa::PageSize::k4K;
  vmas_.insert(v);
  if (observer_) observer_->vma_touched();
  vmas_.merge_range(addr, end);
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
  if ((addr & (isa::kPageBytes4K - 1)) || addr > kTaskSize || len > kTaskSize - addr) {
    return {-abi::kEinval, abi::kEinval};
  }
  const uint64_t end = addr + ((len + isa::kPageBytes4K - 1) & ~(isa::kPageBytes4K - 1));
  if (end == addr) return {-abi::kEinval, abi::kEinval};
  if (range_splits_hugetlb(addr, end)) return {-abi::kEinval, abi::kEinval};
  unmap_range(tid, addr, end);
  return {0, 0};
}

int Kernel::change_protection(unsigned tid, Vma& v, uint8_t prot, uint8_t pkey) {
  if (v.prot == prot && v.pkey == pkey) return 0;  // mprotect_fixup: nothing to do
  v.prot = prot;
  v.pkey = pkey;
  if (observer_) observer_->vma_touched();
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
                  if (pte_needs_flush(old_e, new_e)) {
                    lo = std::min(lo, va);
                    hi = std::max(hi, va + isa::page_bytes(size));
                  }
                });
  if (hi > lo) flush_tlb_range(tid, lo, hi, isa::page_shift(size));
  return 0;
}

SyscallResult Kernel::mprotect(unsigned tid, uint64_t addr, uint64_t len, uint8_t prot,
                               int64_t pkey) {
  // do_mprotect_pkey, in its order of checks.
  if (addr & (isa::kPageBytes4K - 1)) return {-abi::kEinval, abi::kEinval};
  if (len == 0) return {0, 0};
  const uint64_t aligned = (len + isa::kPageBytes4K - 1) & ~(isa::kPageBytes4K - 1);
  const uint64_t end = addr + aligned;
  if (aligned == 0 || end <= addr) return {-abi::kEnomem, abi::kEnomem};
  const auto key_allocated = [&](int64_t k) {
    return k >= 0 && k < int64_t{isa::kNumPkeys} && k != exec_only_pkey_ && (pkey_map_ >> k) & 1;
  };
  if (pkey != -1 && !key_allocated(pkey)) return {-abi::kEinval, abi::kEinval};
  Vma* v = vmas_.find_from(addr);
  if (!v || v->start >= end || v->start > addr) return {-abi::kEnomem, abi::kEnomem};

  int err = 0;
  uint64_t cur = addr;
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
      vmas_.split_at(lo);
      vmas_.split_at(hi);
      Vma* part = vmas_.find(lo);
      change_protection(tid, *part, prot, static_cast<uint8_t>(new_key));
    }
    cur = hi;
    v = cur < end ? vmas_.find_from(cur) : nullptr;
  }
  if (!err && cur < end) err = abi::kEnomem;
  vmas_.merge_range(addr, end);
  if (err) return {-err, err};
  return {0, 0};
}

SyscallResult Kernel::pkey_alloc(unsigned tid, uint32_t rights) {
  if (rights & ~(isa::kPkeyDisableAccess | isa::kPkeyDisableWrite)) return {-abi::kEinval, abi::kEinval};
  if (pkey_map_ == 0xFFFF) return {-abi::kEnospc, abi::kEnospc};
  const int key = std::countr_one(pkey_map_);
  pkey_map_ |= uint16_t(1u << key);
  // arch_set_user_pkey_access: only the calling thread's PKRU changes.
  uint32_t bits = 0;
  if (rights & isa::kPkeyDisableAccess) bits |= isa::kPkruAdBit;
  if (rights & isa::kPkeyDisableWrite) bits |= isa::kPkruWdBit;
  threads_[tid].pkru = threads_[tid].pkru.with_rights(unsigned(key), bits);
  return {key, 0};
}

SyscallResult Kernel::pkey_free(unsigned /*tid*/, int64_t pkey) {
  // mm_pkey_is_allocated: in range, not the execute-only key, and allocated.
  if (pkey < 0 || pkey >= int64_t{isa::kNumPkeys} || pkey == exec_only_pkey_ ||
      !((pkey_map_ >> pkey) & 1)) {
    return {-abi::kEinval, abi::kEinval};
  }
  pkey_map_ &= uint16_t(~(1u << pkey));
  return {0, 0};
}

}  // namespace pkusim::sim
