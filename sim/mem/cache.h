#pragma once
// A set-associative, write-back, write-allocate cache of 64-byte lines, with
// a replacement policy from the registry. It holds tags and dirty bits only
// (no data): a timing structure. Hits and misses are counted by kind.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/mem/replacement.h"

namespace pkusim::sim {

/// One cache's geometry; filled from the config (memory_params.cc).
struct CacheConfig {
  std::string name;
  uint64_t size_bytes;
  unsigned ways;
  unsigned line_bytes;
  unsigned latency_cycles;
  std::string replacement;
};

struct CacheStats {
  uint64_t read_hits = 0, read_misses = 0;
  uint64_t write_hits = 0, write_misses = 0;
  uint64_t writebacks = 0;  // dirty lines evicted
  uint64_t accesses() const { return read_hits + read_misses + write_hits + write_misses; }
  uint64_t misses() const { return read_misses + write_misses; }
};

struct CacheResult {
  bool hit = false;
  bool evicted_dirty = false;
  uint64_t evicted_line = 0;  // line address of the dirty victim
};

class Cache {
 public:
  explicit Cache(const CacheConfig& cfg);

  /// Looks up `line` (address >> 6); on a miss installs it. `write` marks it dirty.
  CacheResult access(uint64_t line, bool write);

  const CacheConfig& config() const { return cfg_; }
  const CacheStats& stats() const { return stats_; }
  unsigned sets() const { return sets_; }

 private:
  CacheConfig cfg_;
  unsigned sets_;
  std::vector<uint64_t> tags_;  // line address + 1; 0 = invalid
  std::vector<uint8_t> dirty_;
  ReplacementPolicy policy_;
  CacheStats stats_;
};

}  // namespace pkusim::sim
