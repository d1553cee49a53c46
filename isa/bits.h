#pragma once
// Small helpers for bit fields, used by every architectural layout in isa/.
#include <cstdint>

namespace pkusim::isa {

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }

/// Mask of bits hi..lo inclusive.
constexpr uint64_t bit_range(unsigned hi, unsigned lo) {
  return (hi >= 63 ? ~uint64_t{0} : (bit(hi + 1) - 1)) & ~(bit(lo) - 1);
}

constexpr uint64_t extract(uint64_t v, unsigned hi, unsigned lo) {
  return (v & bit_range(hi, lo)) >> lo;
}

constexpr uint64_t deposit(uint64_t v, unsigned hi, unsigned lo, uint64_t field) {
  return (v & ~bit_range(hi, lo)) | ((field << lo) & bit_range(hi, lo));
}

}  // namespace pkusim::isa
