#pragma once
// Canonical linear addresses (Intel SDM Vol. 1 3.3.7.1):
// bits 63 down to the top implemented bit (47, or 56 with LA57) must be equal.
#include <cstdint>

namespace pkusim::isa {

inline constexpr unsigned kLinearBits4Level = 48;
inline constexpr unsigned kLinearBits5Level = 57;

constexpr bool is_canonical(uint64_t la, unsigned linear_bits) {
  const auto top = static_cast<int64_t>(la) >> (linear_bits - 1);
  return top == 0 || top == -1;
}

/// Linux TASK_SIZE_MAX for 4-level paging: the user half less one guard page.
inline constexpr uint64_t kLinuxTaskSize4Level = (uint64_t{1} << 47) - 4096;

}  // namespace pkusim::isa
