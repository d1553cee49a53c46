#include "mmu/psc.h"

namespace pkusim::mmu {

Psc::Psc(unsigned pml4_entries, unsigned pdpt_entries, unsigned pde_entries) {
  arrays_[0].resize(pde_entries);
  arrays_[1].resize(pdpt_entries);
  arrays_[2].resize(pml4_entries);
  enabled_ = pml4_entries + pdpt_entries + pde_entries > 0;
}

unsigned Psc::slot(isa::Level level) {
  return level == isa::Level::kPd ? 0 : level == isa::Level::kPdpt ? 1 : 2;
}

const PscEntry* Psc::lookup(uint64_t la, uint16_t pcid, isa::Level* next_level) {
  ++stats_.lookups;
  static constexpr isa::Level kLevels[3] = {isa::Level::kPd, isa::Level::kPdpt, isa::Level::kPml4};
  for (unsigned k = 0; k < 3; ++k) {
    const uint64_t tag = la >> isa::level_shift(kLevels[k]);
    for (PscEntry& e : arrays_[k]) {
      if (e.valid && e.tag == tag && e.pcid == pcid) {
        e.last_use = ++clock_;
        ++stats_.hits[k];
        *next_level = isa::Level(unsigned(kLevels[k]) - 1);
        return &e;
      }
    }
  }
  ++stats_.misses;
  return nullptr;
}

void Psc::fill(uint64_t la, uint16_t pcid, isa::Level level, uint64_t table_pa, bool writable,
               bool user, bool xd) {
  std::vector<PscEntry>& a = arrays_[slot(level)];
  if (a.empty()) return;
  const uint64_t tag = la >> isa::level_shift(level);
  PscEntry* victim = nullptr;
  for (PscEntry& e : a) {
    if (e.valid && e.tag == tag && e.pcid == pcid) victim = &e;
  }
  for (PscEntry& e : a) {
    if (!victim && !e.valid) victim = &e;
  }
  if (!victim) {
    victim = &a[0];
    for (PscEntry& e : a) {
      if (e.last_use < victim->last_use) victim = &e;
    }
  }
  *victim = PscEntry{tag, table_pa, ++clock_, pcid, true, writable, user, xd};
}

void Psc::invalidate_address(uint64_t la, uint16_t pcid) {
  static constexpr isa::Level kLevels[3] = {isa::Level::kPd, isa::Level::kPdpt, isa::Level::kPml4};
  for (unsigned k = 0; k < 3; ++k) {
    const uint64_t tag = la >> isa::level_shift(kLevels[k]);
    for (PscEntry& e : arrays_[k]) {
      if (e.valid && e.tag == tag && e.pcid == pcid) e.valid = false;
    }
  }
}

void Psc::flush(uint16_t pcid, bool all_pcids) {
  for (auto& a : arrays_) {
    for (PscEntry& e : a) {
      if (all_pcids || e.pcid == pcid) e.valid = false;
    }
  }
}

}  // namespace pkusim::mmu
