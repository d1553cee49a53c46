#pragma once
// The PKRU register (Intel SDM Vol. 3A 2.7 and 4.6.2; Linux asm/pkru.h):
// for key k, AD (access disable) is bit 2k and WD (write disable) is bit
// 2k+1. AD denies reads and writes; WD denies writes (__pkru_allows_write).
#include <cstdint>

namespace pkusim::isa {

inline constexpr unsigned kNumPkeys = 16;
inline constexpr unsigned kPkruBitsPerKey = 2;
inline constexpr uint32_t kPkruAdBit = 0x1;  // within a key's pair
inline constexpr uint32_t kPkruWdBit = 0x2;
/// Linux init_pkru_value: AD for keys 1..15, key 0 open (arch/x86/mm/pkeys.c).
inline constexpr uint32_t kLinuxDefaultPkru = 0x55555554;

constexpr unsigned pkru_ad_bit(unsigned key) { return kPkruBitsPerKey * key; }
constexpr unsigned pkru_wd_bit(unsigned key) { return kPkruBitsPerKey * key + 1; }

struct Pkru {
  uint32_t value = kLinuxDefaultPkru;

  constexpr bool access_disabled(unsigned key) const { return (value >> pkru_ad_bit(key)) & 1; }
  constexpr bool write_disabled(unsigned key) const { return (value >> pkru_wd_bit(key)) & 1; }
  constexpr bool allows_read(unsigned key) const { return !access_disabled(key); }
  /// AD disables writes too (Linux __pkru_allows_write checks both bits).
  constexpr bool allows_write(unsigned key) const {
    return !access_disabled(key) && !write_disabled(key);
  }
  /// The key's two bits replaced by `rights` (kPkruAdBit | kPkruWdBit).
  constexpr Pkru with_rights(unsigned key, uint32_t rights) const {
    const unsigned shift = kPkruBitsPerKey * key;
    return Pkru{(value & ~(uint32_t{3} << shift)) | ((rights & 3u) << shift)};
  }
};

/// Exceptions of RDPKRU / WRPKRU (Intel SDM Vol. 2, RDPKRU and WRPKRU).
enum class PkruInsnFault : uint8_t { kNone, kUndefined /* #UD */, kGeneralProtection /* #GP(0) */ };

/// RDPKRU: #UD if CR4.PKE = 0; #GP(0) if ECX != 0.
constexpr PkruInsnFault rdpkru_fault(bool cr4_pke, uint32_t ecx) {
  if (!cr4_pke) return PkruInsnFault::kUndefined;
  return ecx != 0 ? PkruInsnFault::kGeneralProtection : PkruInsnFault::kNone;
}
/// WRPKRU: #UD if CR4.PKE = 0; #GP(0) if ECX or EDX != 0.
constexpr PkruInsnFault wrpkru_fault(bool cr4_pke, uint32_t ecx, uint32_t edx) {
  if (!cr4_pke) return PkruInsnFault::kUndefined;
  return (ecx | edx) != 0 ? PkruInsnFault::kGeneralProtection : PkruInsnFault::kNone;
}

}  // namespace pkusim::isa
