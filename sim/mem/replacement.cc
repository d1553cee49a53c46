#include "sim/mem/replacement.h"

#include <stdexcept>

namespace pkusim::sim {

namespace {
/// The way with the smallest stamp: least recently used (LRU) or filled (FIFO).
unsigned oldest(const std::vector<uint64_t>& stamps, unsigned set, unsigned ways) {
  const uint64_t* s = &stamps[size_t{set} * ways];
  unsigned v = 0;
  for (unsigned w = 1; w < ways; ++w) {
    if (s[w] < s[v]) v = w;
  }
  return v;
}
}  // namespace

unsigned LruPolicy::victim(unsigned set) const { return oldest(stamp_, set, ways_); }

unsigned FifoPolicy::victim(unsigned set) const { return oldest(stamp_, set, ways_); }

unsigned RandomPolicy::victim(unsigned) {
  state_ ^= state_ << 13;
  state_ ^= state_ >> 7;
  state_ ^= state_ << 17;
  return static_cast<unsigned>(state_ % ways_);
}

unsigned SrripPolicy::victim(unsigned set) {
  uint8_t* r = &rrpv_[size_t{set} * ways_];
  for (;;) {
    for (unsigned w = 0; w < ways_; ++w) {
      if (r[w] == kMax) return w;
    }
    for (unsigned w = 0; w < ways_; ++w) ++r[w];
  }
}

namespace {
struct Entry {
  const char* name;
  ReplacementPolicy (*make)(unsigned, unsigned);
};
constexpr Entry kRegistry[] = {
    {"lru", [](unsigned s, unsigned w) -> ReplacementPolicy { return LruPolicy(s, w); }},
    {"fifo", [](unsigned s, unsigned w) -> ReplacementPolicy { return FifoPolicy(s, w); }},
    {"random", [](unsigned s, unsigned w) -> ReplacementPolicy { return RandomPolicy(s, w); }},
    {"srrip", [](unsigned s, unsigned w) -> ReplacementPolicy { return SrripPolicy(s, w); }},
};
}  // namespace

std::vector<std::string> replacement_names() {
  std::vector<std::string> n;
  for (const Entry& e : kRegistry) n.emplace_back(e.name);
  return n;
}

ReplacementPolicy make_replacement(std::string_view name, unsigned sets, unsigned ways) {
  for (const Entry& e : kRegistry) {
    if (name == e.name) return e.make(sets, ways);
  }
  std::string names;
  for (const Entry& e : kRegistry) names += std::string(names.empty() ? "" : ", ") + e.name;
  throw std::invalid_argument("unknown replacement policy '" + std::string(name) +
                              "': expected one of " + names);
}

}  // namespace pkusim::sim
