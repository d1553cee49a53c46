#pragma once
// The cache hierarchy and DRAM: private L1I, L1D and L2 per core, a shared
// LLC, and DRAM with a fixed latency and a bandwidth limit. Requests do not
// arrive in time order (an out-of-order core issues younger walks before
// older data accesses complete), so bandwidth is kept as a budget per window
// of time: each 64-cycle window carries bandwidth x 64 bytes, and a request
// whose window is full waits for the next window with room.
// Latencies are cumulative load-to-use figures: an L2 hit costs the L2
// latency, a DRAM access the LLC latency plus the DRAM latency plus any
// queueing. Write-back, write-allocate, non-inclusive; dirty victims move
// one level down off the critical path (DRAM write-backs use bandwidth).
// Not modeled: coherence traffic, prefetchers, bank conflicts, NUMA.
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/config/param.h"
#include "sim/mem/cache.h"

namespace pkusim::sim {

enum class MemLevel : uint8_t { kL1, kL2, kLlc, kDram };
/// Level names, indexed by MemLevel (report labels).
inline constexpr const char* kMemLevelNames[] = {"l1", "l2", "llc", "dram"};

/// The hierarchy's parameters; filled from the config by memory_param_table().
struct MemoryParams {
  CacheConfig l1i, l1d, l2, llc;
  unsigned line_bytes;
  uint64_t dram_latency_cycles;
  double dram_bytes_per_cycle;
};
/// The cache.* and dram.* parameters, bound to MemoryParams.
const ParamTable<MemoryParams>& memory_param_table();

struct MemAccess {
  uint64_t latency = 0;
  MemLevel level = MemLevel::kL1;  // where it hit
};

struct DramStats {
  uint64_t reads = 0;
  uint64_t writebacks = 0;
  uint64_t queue_cycles = 0;  // waiting for the channel
};

class MemorySystem {
 public:
  MemorySystem(const MemoryParams& p, unsigned cores);

  /// A read or write of the line holding `pa` by `core` at cycle `now`,
  /// entering the hierarchy at `entry` (kL1 or kL2); `instr` selects the L1I.
  MemAccess access(unsigned core, uint64_t pa, bool write, bool instr, uint64_t now,
                   MemLevel entry = MemLevel::kL1);

  const Cache& l1i(unsigned core) const { return *l1i_[core]; }
  const Cache& l1d(unsigned core) const { return *l1d_[core]; }
  const Cache& l2(unsigned core) const { return *l2_[core]; }
  const Cache& llc() const { return *llc_; }
  const DramStats& dram() const { return dram_; }
  uint64_t l1_latency() const { return p_.l1d.latency_cycles; }

 private:
  uint64_t dram_transfer(uint64_t now);
  void writeback(Cache* below, uint64_t line, uint64_t now);

  static constexpr unsigned kWindowShift = 6;     // 64-cycle windows
  static constexpr unsigned kWindows = 1u << 14;  // a ring covering ~1 M cycles
  struct Window {
    uint64_t number = ~uint64_t{0};  // which window this slot holds
    uint64_t used_milli = 0;         // lines transferred, in 1/1000 lines
  };

  MemoryParams p_;
  std::vector<std::unique_ptr<Cache>> l1i_, l1d_, l2_;
  std::unique_ptr<Cache> llc_;
  uint64_t window_capacity_milli_;  // lines per window, in 1/1000 lines
  std::vector<Window> windows_;
  DramStats dram_;
};

}  // namespace pkusim::sim
