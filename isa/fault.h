#pragma once
// Page-fault error code (Intel SDM Vol. 3A 6.15; Linux
// arch/x86/include/asm/trap_pf.h).
#include <cstdint>

#include "isa/bits.h"

namespace pkusim::isa {

inline constexpr unsigned kPfP = 0;  // 1: protection violation; 0: not present
inline constexpr unsigned kPfWrite = 1;
inline constexpr unsigned kPfUser = 2;
inline constexpr unsigned kPfRsvd = 3;
inline constexpr unsigned kPfInstr = 4;
inline constexpr unsigned kPfPk = 5;
inline constexpr unsigned kPfShstk = 6;
inline constexpr unsigned kPfSgx = 15;

/// The kind of exception a translation raises.
enum class Exception : uint8_t {
  kNone,
  kPageFault,         // #PF with an error code
  kGeneralProtection  // #GP(0): non-canonical data or fetch address, no walk
};

struct PfErrorCode {
  uint32_t raw = 0;
  constexpr bool p() const { return raw & bit(kPfP); }
  constexpr bool write() const { return raw & bit(kPfWrite); }
  constexpr bool user() const { return raw & bit(kPfUser); }
  constexpr bool rsvd() const { return raw & bit(kPfRsvd); }
  constexpr bool instr() const { return raw & bit(kPfInstr); }
  constexpr bool pk() const { return raw & bit(kPfPk); }
};

}  // namespace pkusim::isa
