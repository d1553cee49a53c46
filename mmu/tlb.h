#pragma once
// Translation lookaside buffers (SDM 4.10). A `TlbArray` is one
// set-associative structure with LRU replacement that holds translations of
// the page sizes it is configured for; entries cache what SDM 4.10.2.2 lists
// (frame, size, combined R/W, U/S, XD, the protection key, D, G) tagged with
// the PCID. `Tlbs` is a core's hierarchy: L1 data arrays (one per page size),
// L1 instruction arrays, and second-level arrays shared by both (the STLB).
// PKRU is NOT cached: rights are checked against the current PKRU on every
// hit, so WRPKRU needs no invalidation (SDM 4.10.2.2 lists the key, not the
// rights PKRU gives it; Bochs bochs/cpu/tlb.h isReadOK applies PKRU on hits).
// Not modeled here: paging-structure caches and timing (sim/).
#include <cstdint>
#include <string>
#include <vector>

#include "mmu/translation.h"

namespace pkusim::mmu {

struct TlbArrayConfig {
  std::string name;
  unsigned entries = 0;
  unsigned ways = 0;
  uint8_t page_sizes = 0;  // bit i set: holds isa::PageSize(i)
};

/// The size of one TLB array; 0 entries: the array is absent.
struct TlbArraySize {
  unsigned entries;
  unsigned ways;
};

/// A core's TLB geometry in the shape of Intel's (SDM 4.10.3; Intel
/// Optimization Manual Table 2-15): L1 data arrays per page size, L1
/// instruction arrays, and second-level arrays shared by both sides.
struct TlbConfig {
  TlbArraySize l1d_4k, l1d_2m, l1d_1g;
  TlbArraySize l1i_4k, l1i_2m;
  TlbArraySize stlb;     // 4 KiB and 2 MiB translations
  TlbArraySize stlb_1g;  // 1 GiB translations
};

constexpr uint8_t size_bit(isa::PageSize s) { return uint8_t(1u << unsigned(s)); }

struct TlbArrayStats {
  uint64_t hits = 0;
  uint64_t fills = 0;
  uint64_t invalidated = 0;  // entries removed by invalidation
};

class TlbArray {
 public:
  explicit TlbArray(const TlbArrayConfig& cfg);

  const TlbArrayConfig& config() const { return cfg_; }
  bool holds(isa::PageSize s) const { return cfg_.page_sizes & size_bit(s); }

  /// The cached translation covering `la` for `pcid` (or a global one), or null.
  const Translation* lookup(uint64_t la, uint16_t pcid);
  void fill(uint64_t la, uint16_t pcid, const Translation& t);
  /// Removes entries mapping `la` for `pcid`, global ones included (INVLPG).
  void invalidate_page(uint64_t la, uint16_t pcid);
  /// Removes every entry of `pcid` (any PCID if all_pcids), globals if asked.
  void flush(uint16_t pcid, bool all_pcids, bool include_global);
  unsigned valid_entries() const;

  const TlbArrayStats& stats() const { return stats_; }

 private:
  struct Entry {
    uint64_t vpn = 0;
    uint64_t last_use = 0;
    Translation t{};
    uint16_t pcid = 0;
    bool valid = false;
  };
  Entry* find(uint64_t la, uint16_t pcid, isa::PageSize s);

  TlbArrayConfig cfg_;
  unsigned sets_;
  std::vector<Entry> entries_;
  uint64_t clock_ = 0;
  TlbArrayStats stats_;
};

/// Lookups by side (0 = data, 1 = instruction) and where they hit, in total
/// and per page size.
struct TlbStats {
  uint64_t lookups[2] = {};
  uint64_t l1_hits[2] = {};
  uint64_t l2_hits[2] = {};
  uint64_t misses[2] = {};
  uint64_t l1_hits_by_size[2][isa::kNumPageSizes] = {};
  uint64_t l2_hits_by_size[2][isa::kNumPageSizes] = {};
};

struct TlbLookup {
  const Translation* translation = nullptr;  // null: miss at every level
  unsigned level = 0;                        // 1 or 2 on a hit
};

class Tlbs {
 public:
  explicit Tlbs(const TlbConfig& cfg);

  /// Looks up L1 (data or instruction side), then L2; an L2 hit refills L1.
  TlbLookup lookup(uint64_t la, uint16_t pcid, bool fetch);
  /// Installs a walked translation in L1 (of that side) and L2.
  void fill(uint64_t la, uint16_t pcid, bool fetch, const Translation& t);
  void invalidate_page(uint64_t la, uint16_t pcid);
  void flush(uint16_t pcid, bool all_pcids, bool include_global);

  const std::vector<TlbArray>& l1d() const { return l1d_; }
  const std::vector<TlbArray>& l1i() const { return l1i_; }
  const std::vector<TlbArray>& l2() const { return l2_; }
  const TlbStats& stats() const { return stats_; }

 private:
  std::vector<TlbArray> l1d_, l1i_, l2_;
  TlbStats stats_;
};

}  // namespace pkusim::mmu
