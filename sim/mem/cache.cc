#include "sim/mem/cache.h"

#include <bit>
#include <stdexcept>

namespace pkusim::sim {

namespace {
unsigned set_count(const CacheConfig& c) {
  if (c.ways == 0 || c.line_bytes == 0 || c.size_bytes % (uint64_t{c.ways} * c.line_bytes) != 0) {
    throw std::invalid_argument("cache " + c.name + ": size must be a multiple of ways x line");
  }
  const uint64_t sets = c.size_bytes / (uint64_t{c.ways} * c.line_bytes);
  if (!std::has_single_bit(sets)) {
    throw std::invalid_argument("cache " + c.name + ": set count must be a power of two");
  }
  return static_cast<unsigned>(sets);
}
}  // namespace

Cache::Cache(const CacheConfig& cfg)
    : cfg_(cfg),
      sets_(set_count(cfg)),
      tags_(size_t{sets_} * cfg.ways, 0),
      dirty_(size_t{sets_} * cfg.ways, 0),
      policy_(make_replacement(cfg.replacement, sets_, cfg.ways)) {}

CacheResult Cache::access(uint64_t line, bool write) {
  CacheResult r;
  const unsigned set = static_cast<unsigned>(line & (sets_ - 1));
  const size_t base = size_t{set} * cfg_.ways;
  for (unsigned w = 0; w < cfg_.ways; ++w) {
    if (tags_[base + w] == line + 1) {
      std::visit([&](auto& p) { p.touch(set, w); }, policy_);
      if (write) {
        dirty_[base + w] = 1;
        ++stats_.write_hits;
      } else {
        ++stats_.read_hits;
      }
      r.hit = true;
      return r;
    }
  }
  write ? ++stats_.write_misses : ++stats_.read_misses;
  unsigned victim = cfg_.ways;
  for (unsigned w = 0; w < cfg_.ways; ++w) {
    if (tags_[base + w] == 0) {
      victim = w;
      break;
    }
  }
  if (victim == cfg_.ways) {
    victim = std::visit([&](auto& p) { return p.victim(set); }, policy_);
    if (dirty_[base + victim]) {
      r.evicted_dirty = true;
      r.evicted_line = tags_[base + victim] - 1;
      ++stats_.writebacks;
    }
  }
  tags_[base + victim] = line + 1;
  dirty_[base + victim] = write;
  std::visit([&](auto& p) { p.fill(set, victim); }, policy_);
  return r;
}

}  // namespace pkusim::sim
