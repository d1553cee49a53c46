// The memory hierarchy's parameters (cache.*, dram.*). Defaults: Intel
// Skylake-SP (Xeon Gold 6142 class, 6 channels of DDR4-2666).
#include "sim/mem/memory_system.h"

namespace pkusim::sim {

namespace {

constexpr const char* kOptManual =
    "Intel 64 and IA-32 Architectures Optimization Reference Manual (248966)";
constexpr double kBig = 1e12;

ParamTable<MemoryParams> make_table() {
  ParamTable<MemoryParams> t;
  t.integer("cache.line_bytes", &MemoryParams::line_bytes, 64, "bytes", 64, 64,
            "Cache line size (fixed)", "x86: 64-byte lines (SDM Vol. 3A 11.1)");
  struct Level {
    const char* name;
    CacheConfig MemoryParams::*field;
    int64_t size, ways, latency;
    const char* what;
    std::string source;
  };
  const Level levels[] = {
      {"l1i", &MemoryParams::l1i, 32 * 1024, 8, 4, "private L1 instruction cache",
       std::string(kOptManual) + " 2.2: 32 KiB, 8-way"},
      {"l1d", &MemoryParams::l1d, 32 * 1024, 8, 4, "private L1 data cache",
       std::string(kOptManual) + " Table 2-4: 32 KiB, 8-way, load-to-use 4-5 cycles"},
      {"l2", &MemoryParams::l2, 1024 * 1024, 16, 14, "private L2 cache",
       std::string(kOptManual) + " Table 2-4 (Skylake-SP): 1 MiB, 16-way, 14 cycles"},
      {"llc", &MemoryParams::llc, 11 * 1024 * 1024, 11, 50, "shared last-level cache",
       "Skylake-SP: 1.375 MiB per core x 8 cores, 11-way (" + std::string(kOptManual) +
           " 2.2); latency about 50-70 cycles (7-cpu.com, Skylake-X) [S]"},
  };
  std::vector<std::pair<std::string, std::string>> policies;
  for (const std::string& n : replacement_names()) policies.emplace_back(n, n);
  for (const Level& l : levels) {
    const auto f = l.field;
    const std::string base = std::string("cache.") + l.name;
    t.integer(
        base + ".size_bytes", [f](MemoryParams& m) -> uint64_t& { return (m.*f).size_bytes; },
        l.size, "bytes", 1024, kBig, std::string("Size of the ") + l.what, l.source);
    t.integer(
        base + ".ways", [f](MemoryParams& m) -> unsigned& { return (m.*f).ways; }, l.ways, "ways",
        1, 1024, std::string("Associativity of the ") + l.what, l.source);
    t.integer(
        base + ".latency_cycles",
        [f](MemoryParams& m) -> unsigned& { return (m.*f).latency_cycles; }, l.latency, "cycles",
        0, 10000,
        std::string("Hit latency of the ") + l.what + " (cumulative: includes the levels above)",
        l.source);
    t.choice(
        base + ".replacement",
        [f](MemoryParams& m) -> std::string& { return (m.*f).replacement; }, "lru", policies,
        std::string("Replacement policy of the ") + l.what,
        "LRU approximates Intel's tree pseudo-LRU [SIM]");
  }
  t.integer("dram.latency_cycles", &MemoryParams::dram_latency_cycles, 208, "cycles", 1, 100000,
            "DRAM access latency beyond the LLC",
            "about 80 ns at 2.6 GHz (7-cpu.com, Skylake-X: 79 ns + LLC) [S]");
  t.real("dram.bandwidth_bytes_per_cycle", &MemoryParams::dram_bytes_per_cycle, 49.0,
         "bytes/cycle", 1, 10000, "Peak DRAM bandwidth shared by all cores",
         "6 channels x DDR4-2666 x 8 bytes = 128 GB/s, at 2.6 GHz (Intel ARK, Xeon Gold 6142)");
  t.then([](MemoryParams& m) {
    const std::pair<CacheConfig*, const char*> named[] = {
        {&m.l1i, "l1i"}, {&m.l1d, "l1d"}, {&m.l2, "l2"}, {&m.llc, "llc"}};
    for (const auto& [c, name] : named) {
      c->name = name;
      c->line_bytes = m.line_bytes;
    }
  });
  return t;
}

}  // namespace

const ParamTable<MemoryParams>& memory_param_table() {
  static const ParamTable<MemoryParams> t = make_table();
  return t;
}

}  // namespace pkusim::sim
