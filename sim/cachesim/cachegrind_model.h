#pragma once
// A cache-only model that reproduces Cachegrind's nine counters (Valgrind
// 3.19 cachegrind/cg_sim.c and cg_main.c; the Valgrind User Manual,
// Cachegrind chapter, "Simulation Details"):
//  - I1, D1 and a unified LL; set-associative, true LRU (an MRU-ordered tag
//    list per set); set index = (address >> log2 line) & (sets - 1);
//  - every instruction is one I1 access of (address, length);
//  - write-allocate, no dirty state: a write is looked up like a read;
//  - a modify counts once, as a read;
//  - an access straddling two lines looks both up in order and is one miss
//    if either missed; the LL lookup after an L1 miss repeats both lines;
//  - LL is looked up only on an L1 miss; no back-invalidation;
//  - data sizes above the smallest line size are cut to it.
// Separate from sim/mem (the timing caches): this one must match Cachegrind
// exactly, including its simplifications.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pkusim::sim {

struct CgGeometry {
  uint64_t size_bytes = 0;
  unsigned assoc = 0;
  unsigned line_bytes = 0;
  /// Parses cachegrind's "size,assoc,line" (e.g. 32768,8,64); throws
  /// std::invalid_argument naming `option` and what is wrong.
  static CgGeometry parse(const std::string& option, const std::string& text);
};

class CgCache {
 public:
  explicit CgCache(const CgGeometry& g);
  /// Looks up (address, size) touching at most two lines; true on a miss.
  bool ref_is_miss(uint64_t addr, unsigned size);
  unsigned line_bytes() const { return 1u << line_bits_; }

 private:
  bool set_ref_is_miss(uint64_t block);
  unsigned line_bits_;
  unsigned assoc_;
  uint64_t sets_mask_;
  std::vector<uint64_t> tags_;  // per set, MRU first; block + 1 (0 = empty)
};

struct CgCounters {
  uint64_t Ir = 0, I1mr = 0, ILmr = 0;
  uint64_t Dr = 0, D1mr = 0, DLmr = 0;
  uint64_t Dw = 0, D1mw = 0, DLmw = 0;
};

class CgSim {
 public:
  CgSim(const CgGeometry& i1, const CgGeometry& d1, const CgGeometry& ll);
  void instruction(uint64_t addr, unsigned size);
  void read(uint64_t addr, unsigned size);
  void write(uint64_t addr, unsigned size);
  const CgCounters& counters() const { return c_; }

 private:
  void data(uint64_t addr, unsigned size, uint64_t& refs, uint64_t& l1_misses, uint64_t& ll_misses);
  CgCache i1_, d1_, ll_;
  unsigned min_line_;
  CgCounters c_;
};

}  // namespace pkusim::sim
