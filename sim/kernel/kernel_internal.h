#pragma once
// What the kernel model's files share: Linux's use of PTE bits, the flush
// rule of pte_flags_need_flush, and a walk over the leaves of a range.
#include <algorithm>
#include <cstdint>

#include "isa/address.h"
#include "isa/paging.h"
#include "mmu/phys_mem.h"

namespace pkusim::sim::kernel_detail {

using isa::bit;
using isa::PagingEntry;

// Linux's use of ignored PTE bits (arch/x86/include/asm/pgtable_types.h).
inline constexpr unsigned kPteSpecial = 9;   // _PAGE_BIT_SPECIAL: the zero page
inline constexpr unsigned kPteProtNone = 8;  // _PAGE_BIT_PROTNONE, meaningful when P = 0
// _PAGE_TABLE: what Linux puts in a non-leaf entry of a user page table.
inline constexpr uint64_t kTableEntryBits =
    bit(isa::kPteP) | bit(isa::kPteRw) | bit(isa::kPteUs) | bit(isa::kPteA) | bit(isa::kPteD);
// pte_flags_need_flush (asm/tlbflush.h): flush if any of these changed ...
inline constexpr uint64_t kFlushOnChange =
    bit(isa::kPteRw) | bit(isa::kPteUs) | bit(isa::kPtePwt) | bit(isa::kPtePcd) | bit(isa::kPtePs) |
    bit(isa::kPteG) | bit(isa::kPtePatLarge) | isa::bit_range(62, 59) | bit(isa::kPteXd);
// ... or any of these was cleared.
inline constexpr uint64_t kFlushOnClear = bit(isa::kPteD) | bit(isa::kPteP) | bit(isa::kPteA);

inline constexpr uint64_t kTaskSize = isa::kLinuxTaskSize4Level;
inline constexpr unsigned kMaxPhysBits = 52;

inline bool populated(PagingEntry e) { return e.present() || (e.raw & bit(kPteProtNone)); }
inline bool special(PagingEntry e) { return e.raw & bit(kPteSpecial); }

inline isa::Level leaf_level(isa::PageSize s) {
  return s == isa::PageSize::k4K   ? isa::Level::kPt
         : s == isa::PageSize::k2M ? isa::Level::kPd
                                   : isa::Level::kPdpt;
}

inline uint64_t leaf_frame(PagingEntry e, isa::PageSize s, unsigned maxphyaddr) {
  return s == isa::PageSize::k4K ? e.address(maxphyaddr)
                                 : e.large_frame(maxphyaddr, isa::page_shift(s));
}

inline bool pte_needs_flush(PagingEntry old_e, PagingEntry new_e) {
  if (!old_e.present()) return false;
  const uint64_t frame_mask =
      isa::bit_range(kMaxPhysBits - 1, isa::kPageShift4K) & ~bit(isa::kPtePatLarge);
  if ((old_e.raw ^ new_e.raw) & frame_mask) return true;
  if ((old_e.raw ^ new_e.raw) & kFlushOnChange) return true;
  return (old_e.raw & ~new_e.raw) & kFlushOnClear;
}

/// The change from `old_e` to `new_e` (both present, the same frame) only
/// grants rights: write allowed, or execute-disable cleared, and nothing else
/// that pte_flags_need_flush watches. A TLB entry left from `old_e` is
/// stricter than the PTE: an access it refuses faults, and the fault
/// invalidates it (SDM 4.10.4.1), so the flush can be skipped safely.
inline bool pte_change_only_grants(PagingEntry old_e, PagingEntry new_e) {
  if (!old_e.present() || !new_e.present()) return false;
  const uint64_t diff = (old_e.raw ^ new_e.raw) &
                        (kFlushOnChange | kFlushOnClear | isa::bit_range(kMaxPhysBits - 1, 12));
  const uint64_t grants = bit(isa::kPteRw) | bit(isa::kPteXd) | bit(isa::kPteA) | bit(isa::kPteD);
  if (diff & ~grants) return false;
  if ((diff & bit(isa::kPteRw)) && !new_e.writable()) return false;
  if ((diff & bit(isa::kPteXd)) && (new_e.raw & bit(isa::kPteXd))) return false;
  return !((old_e.raw & ~new_e.raw) & kFlushOnClear);
}

/// Visits every entry at `target` level under [start, end), skipping absent
/// upper-level tables, so sparse ranges cost what they hold.
template <class F>
inline void for_each_leaf(mmu::PhysMem& mem, uint64_t table, isa::Level level, uint64_t base,
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

}  // namespace pkusim::sim::kernel_detail
