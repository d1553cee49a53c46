#pragma once
// Paging-structure caches (SDM 4.10.3): small fully-associative LRU caches
// of upper-level entries. The PML4E cache maps linear bits 47:39 to the PDPT
// base, the PDPTE cache bits 47:30 to the PD base, the PDE cache bits 47:21
// to the PT base, each with the rights combined so far (R/W, U/S AND; XD OR)
// and tagged by PCID. A walk starts below the deepest hit. Leaves are never
// cached here (the TLBs hold them). Sizes are not published by Intel.
#include <cstdint>
#include <vector>

#include "isa/paging.h"

namespace pkusim::mmu {

struct PscEntry {
  uint64_t tag = 0;       // linear address >> level shift of the entry's span
  uint64_t table_pa = 0;  // the next table
  uint64_t last_use = 0;
  uint16_t pcid = 0;
  bool valid = false;
  bool writable = true, user = true, xd = false;
};

struct PscStats {
  uint64_t lookups = 0;
  uint64_t hits[3] = {};  // by level: 0 = PDE, 1 = PDPTE, 2 = PML4E
  uint64_t misses = 0;
};

class Psc {
 public:
  Psc(unsigned pml4_entries, unsigned pdpt_entries, unsigned pde_entries);

  /// The deepest cached entry for `la`; `level` receives the level of the
  /// table it points to (kPt, kPd or kPdpt). Null on a miss.
  const PscEntry* lookup(uint64_t la, uint16_t pcid, isa::Level* next_level);
  /// Caches a non-leaf entry at `level` (kPml4, kPdpt or kPd) pointing to `table_pa`.
  void fill(uint64_t la, uint16_t pcid, isa::Level level, uint64_t table_pa, bool writable,
            bool user, bool xd);
  /// Drops the entries that would be used for `la` (what a #PF does).
  void invalidate_address(uint64_t la, uint16_t pcid);
  /// Drops every entry of `pcid` (or all PCIDs).
  void flush(uint16_t pcid, bool all_pcids);
  bool enabled() const { return enabled_; }
  const PscStats& stats() const { return stats_; }

 private:
  static unsigned slot(isa::Level level);  // PDE 0, PDPTE 1, PML4E 2
  std::vector<PscEntry> arrays_[3];
  uint64_t clock_ = 0;
  bool enabled_ = false;
  PscStats stats_;
};

}  // namespace pkusim::mmu
