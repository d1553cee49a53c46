#pragma once
// Cache replacement policies, chosen by name through a registry. A policy
// keeps its own per-line state for a (sets x ways) array. Dispatch is a
// std::variant visit, so the per-access path has no virtual call.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pkusim::sim {

/// Least recently used: a per-line timestamp.
class LruPolicy {
 public:
  LruPolicy(unsigned sets, unsigned ways) : ways_(ways), stamp_(size_t{sets} * ways) {}
  void touch(unsigned set, unsigned way) { stamp_[size_t{set} * ways_ + way] = ++clock_; }
  void fill(unsigned set, unsigned way) { touch(set, way); }
  unsigned victim(unsigned set) const;

 private:
  unsigned ways_;
  uint64_t clock_ = 0;
  std::vector<uint64_t> stamp_;
};

/// First in, first out: hits do not refresh.
class FifoPolicy {
 public:
  FifoPolicy(unsigned sets, unsigned ways) : ways_(ways), stamp_(size_t{sets} * ways) {}
  void touch(unsigned, unsigned) {}
  void fill(unsigned set, unsigned way) { stamp_[size_t{set} * ways_ + way] = ++clock_; }
  unsigned victim(unsigned set) const;

 private:
  unsigned ways_;
  uint64_t clock_ = 0;
  std::vector<uint64_t> stamp_;
};

/// Random victim from a seeded xorshift generator: deterministic run to run.
class RandomPolicy {
 public:
  RandomPolicy(unsigned, unsigned ways) : ways_(ways) {}
  void touch(unsigned, unsigned) {}
  void fill(unsigned, unsigned) {}
  unsigned victim(unsigned set);

 private:
  unsigned ways_;
  uint64_t state_ = 0x9E3779B97F4A7C15ull;
};

/// Static re-reference interval prediction (Jaleel et al., ISCA 2010), 2-bit RRPV.
class SrripPolicy {
 public:
  SrripPolicy(unsigned sets, unsigned ways) : ways_(ways), rrpv_(size_t{sets} * ways, kMax) {}
  void touch(unsigned set, unsigned way) { rrpv_[size_t{set} * ways_ + way] = 0; }
  void fill(unsigned set, unsigned way) { rrpv_[size_t{set} * ways_ + way] = kMax - 1; }
  unsigned victim(unsigned set);

 private:
  static constexpr uint8_t kMax = 3;
  unsigned ways_;
  std::vector<uint8_t> rrpv_;
};

using ReplacementPolicy = std::variant<LruPolicy, FifoPolicy, RandomPolicy, SrripPolicy>;

/// The registry: a policy by name; throws std::invalid_argument listing the names.
ReplacementPolicy make_replacement(std::string_view name, unsigned sets, unsigned ways);
std::vector<std::string> replacement_names();

}  // namespace pkusim::sim
