#pragma once
// Control-register bits used by the MMU (Intel SDM Vol. 3A 2.5 and 4.5; CR3
// with and without PCIDs: Tables 4-12 and 4-13; Linux
// arch/x86/include/uapi/asm/processor-flags.h).
#include <cstdint>

#include "isa/bits.h"

namespace pkusim::isa {

inline constexpr unsigned kCr0Wp = 16;
inline constexpr unsigned kCr0Pg = 31;

inline constexpr unsigned kCr4Pse = 4;
inline constexpr unsigned kCr4Pae = 5;
inline constexpr unsigned kCr4Pge = 7;
inline constexpr unsigned kCr4La57 = 12;
inline constexpr unsigned kCr4Pcide = 17;
inline constexpr unsigned kCr4Osxsave = 18;
inline constexpr unsigned kCr4Smep = 20;
inline constexpr unsigned kCr4Smap = 21;
inline constexpr unsigned kCr4Pke = 22;
inline constexpr unsigned kCr4Pks = 24;

inline constexpr unsigned kEferNxe = 11;

inline constexpr uint64_t kCr3PcidMask = 0xFFF;  // bits 11:0 when CR4.PCIDE = 1
inline constexpr unsigned kCr3NoFlush = 63;      // MOV to CR3 hint, not stored

/// CR3 with CR4.PCIDE = 1: table base (bits M-1:12) and PCID (11:0).
struct Cr3 {
  uint64_t raw = 0;
  constexpr uint16_t pcid() const { return static_cast<uint16_t>(raw & kCr3PcidMask); }
  constexpr uint64_t base(unsigned maxphyaddr) const { return raw & bit_range(maxphyaddr - 1, 12); }
  static constexpr Cr3 make(uint64_t base_pa, uint16_t pcid) {
    return Cr3{(base_pa & ~uint64_t{0xFFF}) | (pcid & kCr3PcidMask)};
  }
};

/// The control state the MMU consults on every translation.
struct ControlRegs {
  uint64_t cr0 = bit(kCr0Pg) | bit(kCr0Wp);
  uint64_t cr4 = bit(kCr4Pae) | bit(kCr4Pge) | bit(kCr4Pcide) | bit(kCr4Pke);
  uint64_t efer = bit(kEferNxe);
  Cr3 cr3{};

  constexpr bool wp() const { return cr0 & bit(kCr0Wp); }
  constexpr bool pke() const { return cr4 & bit(kCr4Pke); }
  constexpr bool la57() const { return cr4 & bit(kCr4La57); }
  constexpr bool pcide() const { return cr4 & bit(kCr4Pcide); }
  constexpr bool smep() const { return cr4 & bit(kCr4Smep); }
  constexpr bool smap() const { return cr4 & bit(kCr4Smap); }
  constexpr bool nxe() const { return efer & bit(kEferNxe); }
  constexpr uint16_t pcid() const { return pcide() ? cr3.pcid() : 0; }
};

}  // namespace pkusim::isa
