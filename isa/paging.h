#pragma once
// x86-64 paging-structure entries (IA-32e 4-level paging, optionally LA57).
//
// Follows Intel SDM Vol. 3A ch. 4, Tables 4-14 to 4-20, and Linux
// arch/x86/include/asm/pgtable_types.h: low bits are common to every level;
// PS selects a leaf at the PDPTE (1 GiB) and PDE (2 MiB) levels; the PAT bit
// is bit 7 in a PTE and bit 12 in a large leaf; the protection key is bits
// 62:59 of the LEAF entry only; XD is bit 63 (reserved unless EFER.NXE = 1).
// Linux's software use of ignored bits (PROTNONE = bit 8 when P = 0) is in
// sim/kernel, not here.
#include <cstdint>

#include "isa/bits.h"

namespace pkusim::isa {

// Bit positions, by the SDM's names.
inline constexpr unsigned kPteP = 0;
inline constexpr unsigned kPteRw = 1;
inline constexpr unsigned kPteUs = 2;
inline constexpr unsigned kPtePwt = 3;
inline constexpr unsigned kPtePcd = 4;
inline constexpr unsigned kPteA = 5;
inline constexpr unsigned kPteD = 6;          // leaf entries only
inline constexpr unsigned kPtePs = 7;         // PDPTE/PDE: page size; PML4E/PML5E: reserved
inline constexpr unsigned kPtePat = 7;        // 4 KiB PTE
inline constexpr unsigned kPteG = 8;          // leaf entries only
inline constexpr unsigned kPtePatLarge = 12;  // 2 MiB / 1 GiB leaf
inline constexpr unsigned kPteKeyLo = 59;
inline constexpr unsigned kPteKeyHi = 62;
inline constexpr unsigned kPteXd = 63;

inline constexpr unsigned kPageShift4K = 12;
inline constexpr unsigned kPageShift2M = 21;
inline constexpr unsigned kPageShift1G = 30;
inline constexpr uint64_t kPageBytes4K = uint64_t{1} << kPageShift4K;
inline constexpr uint64_t kPageBytes2M = uint64_t{1} << kPageShift2M;
inline constexpr uint64_t kPageBytes1G = uint64_t{1} << kPageShift1G;
inline constexpr unsigned kEntriesPerTable = 512;
inline constexpr unsigned kEntryBytes = 8;

/// Page sizes a leaf can map. The value is an index usable in per-size arrays.
enum class PageSize : uint8_t { k4K = 0, k2M = 1, k1G = 2 };
inline constexpr unsigned kNumPageSizes = 3;

constexpr unsigned page_shift(PageSize s) {
  return s == PageSize::k4K ? kPageShift4K : s == PageSize::k2M ? kPageShift2M : kPageShift1G;
}
constexpr uint64_t page_bytes(PageSize s) { return uint64_t{1} << page_shift(s); }
constexpr const char* page_size_name(PageSize s) {
  return s == PageSize::k4K ? "4K" : s == PageSize::k2M ? "2M" : "1G";
}

/// Paging-structure levels, numbered as the SDM counts them from the leaf.
enum class Level : uint8_t { kPt = 1, kPd = 2, kPdpt = 3, kPml4 = 4, kPml5 = 5 };

/// Linear-address bits that index a table at `level` (9 bits each, SDM 4.5).
constexpr unsigned level_shift(Level l) { return kPageShift4K + 9 * (unsigned(l) - 1); }
constexpr unsigned table_index(uint64_t la, Level l) {
  return static_cast<unsigned>((la >> level_shift(l)) & (kEntriesPerTable - 1));
}

/// One 64-bit paging-structure entry. Accessors name the SDM's fields; which
/// fields are meaningful depends on the level and on PS (see the table above).
struct PagingEntry {
  uint64_t raw = 0;

  constexpr bool present() const { return raw & bit(kPteP); }
  constexpr bool writable() const { return raw & bit(kPteRw); }
  constexpr bool user() const { return raw & bit(kPteUs); }
  constexpr bool pwt() const { return raw & bit(kPtePwt); }
  constexpr bool pcd() const { return raw & bit(kPtePcd); }
  constexpr bool accessed() const { return raw & bit(kPteA); }
  constexpr bool dirty() const { return raw & bit(kPteD); }
  constexpr bool page_size() const { return raw & bit(kPtePs); }
  constexpr bool global() const { return raw & bit(kPteG); }
  constexpr bool execute_disable() const { return raw & bit(kPteXd); }
  constexpr unsigned protection_key() const {
    return static_cast<unsigned>(extract(raw, kPteKeyHi, kPteKeyLo));
  }
  /// Physical address field, bits maxphyaddr-1:12 (the next table or a 4 KiB frame).
  constexpr uint64_t address(unsigned maxphyaddr) const {
    return raw & bit_range(maxphyaddr - 1, kPageShift4K);
  }
  /// Frame of a large leaf: bits maxphyaddr-1:shift.
  constexpr uint64_t large_frame(unsigned maxphyaddr, unsigned shift) const {
    return raw & bit_range(maxphyaddr - 1, shift);
  }

  constexpr PagingEntry& set(unsigned b, bool on) {
    raw = on ? (raw | bit(b)) : (raw & ~bit(b));
    return *this;
  }
  constexpr PagingEntry& set_protection_key(unsigned key) {
    raw = deposit(raw, kPteKeyHi, kPteKeyLo, key);
    return *this;
  }
  constexpr PagingEntry& set_address(uint64_t pa, unsigned maxphyaddr) {
    raw = (raw & ~bit_range(maxphyaddr - 1, kPageShift4K)) |
          (pa & bit_range(maxphyaddr - 1, kPageShift4K));
    return *this;
  }
};

/// Reserved bits of an entry that is present (SDM 4.5, Tables 4-14..4-19):
/// bits 51:M everywhere; PS in a PML4E/PML5E; 29:13 of a 1 GiB leaf; 20:13 of
/// a 2 MiB leaf; XD when EFER.NXE = 0.
constexpr uint64_t reserved_mask(Level level, bool leaf_large, unsigned maxphyaddr, bool nxe) {
  uint64_t m = maxphyaddr < 52 ? bit_range(51, maxphyaddr) : 0;
  if (level == Level::kPml4 || level == Level::kPml5) m |= bit(kPtePs);
  if (leaf_large && level == Level::kPdpt) m |= bit_range(29, 13);
  if (leaf_large && level == Level::kPd) m |= bit_range(20, 13);
  if (!nxe) m |= bit(kPteXd);
  return m;
}

}  // namespace pkusim::isa
