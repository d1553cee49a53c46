#pragma once
// Numbers as the text trace format writes them: decimal (4096) or hex with
// 0x (0x7f0000001000), and for lengths an optional binary suffix K, M, G or
// T (64M = 64 MiB). The one parser for traces, generator parameters and
// --set values, so that they accept the same numbers.
#include <cstdint>
#include <optional>
#include <string_view>

namespace pkusim::traces {

enum class NumberError : uint8_t { kNone, kMalformed, kTooBig };

struct ParsedNumber {
  uint64_t value = 0;
  NumberError error = NumberError::kNone;
};

/// Parses all of `s`; with `suffix`, a trailing K/M/G/T multiplies by 2^10..2^40.
constexpr ParsedNumber parse_number(std::string_view s, bool suffix) {
  unsigned shift = 0;
  if (suffix && !s.empty()) {
    switch (s.back()) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift) s.remove_suffix(1);
  }
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return {0, NumberError::kMalformed};
  uint64_t v = 0;
  for (const char c : s) {
    unsigned d = 0;
    if (c >= '0' && c <= '9') {
      d = unsigned(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = unsigned(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = unsigned(c - 'A' + 10);
    } else {
      return {0, NumberError::kMalformed};
    }
    if (v > (~uint64_t{0} - d) / base) return {0, NumberError::kTooBig};
    v = v * base + d;
  }
  if (shift) {
    if (v > (~uint64_t{0} >> shift)) return {0, NumberError::kTooBig};
    v <<= shift;
  }
  return {v, NumberError::kNone};
}

}  // namespace pkusim::traces
