#pragma once
// A process's virtual memory areas (Linux struct vm_area_struct, reduced to
// what protection semantics need): range, PROT bits, protection key, hugetlb
// page size, and an anon_vma identity that decides mergeability as Linux's
// is_mergeable_anon_vma does (two VMAs that were faulted separately keep
// distinct anon_vmas and do not merge).
#include <cstddef>
#include <cstdint>
#include <map>

#include "isa/paging.h"

namespace pkusim::sim {

struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
  uint8_t prot = 0;  // isa::kProt*
  uint8_t pkey = 0;
  isa::PageSize page = isa::PageSize::k4K;  // k2M / k1G: hugetlb
  uint32_t anon_id = 0;                     // 0: no anon_vma yet

  bool hugetlb() const { return page != isa::PageSize::k4K; }
  bool accessible() const { return prot != 0; }
  bool same_flags(const Vma& o) const { return prot == o.prot && pkey == o.pkey && page == o.page; }
};

class VmaTree {
 public:
  using Map = std::map<uint64_t, Vma>;

  /// The VMA containing `addr`, or null.
  Vma* find(uint64_t addr);
  const Vma* find(uint64_t addr) const;
  /// The first VMA that ends above `addr` (Linux find_vma), or null.
  Vma* find_from(uint64_t addr);
  /// Splits the VMA containing `addr` so that a VMA starts at `addr`; true
  /// if there was something to split.
  bool split_at(uint64_t addr);
  void insert(const Vma& v) { map_.emplace(v.start, v); }
  void erase(uint64_t start) { map_.erase(start); }
  /// Merges neighbours with equal flags and compatible anon_vmas at every
  /// VMA boundary in [lo, hi]; returns the number of merges.
  unsigned merge_range(uint64_t lo, uint64_t hi);

  size_t size() const { return map_.size(); }
  const Map& map() const { return map_; }
  Map& map() { return map_; }

 private:
  Map map_;
};

}  // namespace pkusim::sim
