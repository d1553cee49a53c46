#include "mmu/tlb.h"

#include <bit>
#include <stdexcept>

namespace pkusim::mmu {

TlbArray::TlbArray(const TlbArrayConfig& cfg) : cfg_(cfg), sets_(0) {
  if (cfg.ways == 0 || cfg.entries == 0 || cfg.entries % cfg.ways != 0) {
    throw std::invalid_argument("TLB '" + cfg.name +
                                "': entries must be a positive multiple of ways");
  }
  sets_ = cfg.entries / cfg.ways;
  if (!std::has_single_bit(sets_)) {
    throw std::invalid_argument("TLB '" + cfg.name + "': set count must be a power of two");
  }
  entries_.resize(cfg.entries);
}

TlbArray::Entry* TlbArray::find(uint64_t la, uint16_t pcid, isa::PageSize s) {
  const uint64_t vpn = la >> isa::page_shift(s);
  Entry* set = &entries_[(vpn & (sets_ - 1)) * cfg_.ways];
  for (unsigned w = 0; w < cfg_.ways; ++w) {
    Entry& e = set[w];
    if (e.valid && e.vpn == vpn && e.t.size == s && (e.pcid == pcid || e.t.global)) return &e;
  }
  return nullptr;
}

const Translation* TlbArray::lookup(uint64_t la, uint16_t pcid) {
  for (unsigned s = 0; s < isa::kNumPageSizes; ++s) {
    if (!(cfg_.page_sizes & (1u << s))) continue;
    if (Entry* e = find(la, pcid, isa::PageSize(s))) {
      e->last_use = ++clock_;
      ++stats_.hits;
      return &e->t;
    }
  }
  return nullptr;
}

void TlbArray::fill(uint64_t la, uint16_t pcid, const Translation& t) {
  if (!holds(t.size)) return;
  ++stats_.fills;
  Entry* victim = find(la, pcid, t.size);
  const uint64_t vpn = la >> isa::page_shift(t.size);
  if (!victim) {
    Entry* set = &entries_[(vpn & (sets_ - 1)) * cfg_.ways];
    victim = &set[0];
    for (unsigned w = 0; w < cfg_.ways; ++w) {
      if (!set[w].valid) {
        victim = &set[w];
        break;
      }
      if (set[w].last_use < victim->last_use) victim = &set[w];
    }
  }
  victim->valid = true;
  victim->vpn = vpn;
  victim->pcid = pcid;
  victim->t = t;
  victim->last_use = ++clock_;
}

void TlbArray::invalidate_page(uint64_t la, uint16_t pcid) {
  for (unsigned s = 0; s < isa::kNumPageSizes; ++s) {
    if (!(cfg_.page_sizes & (1u << s))) continue;
    // A global entry matches whatever the PCID; so may several PCIDs' entries
    // for the same page, of which INVLPG removes the current one's.
    while (Entry* e = find(la, pcid, isa::PageSize(s))) {
      e->valid = false;
      ++stats_.invalidated;
    }
  }
}

void TlbArray::flush(uint16_t pcid, bool all_pcids, bool include_global) {
  for (Entry& e : entries_) {
    if (!e.valid) continue;
    if (e.t.global ? include_global : (all_pcids || e.pcid == pcid)) {
      e.valid = false;
      ++stats_.invalidated;
    }
  }
}

unsigned TlbArray::valid_entries() const {
  unsigned n = 0;
  for (const Entry& e : entries_) n += e.valid;
  return n;
}

Tlbs::Tlbs(const TlbConfig& cfg) {
  using isa::PageSize;
  const auto add = [](std::vector<TlbArray>& v, const char* name, TlbArraySize s, uint8_t sizes) {
    if (s.entries) v.emplace_back(TlbArrayConfig{name, s.entries, s.ways, sizes});
  };
  add(l1d_, "l1d_4k", cfg.l1d_4k, size_bit(PageSize::k4K));
  add(l1d_, "l1d_2m", cfg.l1d_2m, size_bit(PageSize::k2M));
  add(l1d_, "l1d_1g", cfg.l1d_1g, size_bit(PageSize::k1G));
  add(l1i_, "l1i_4k", cfg.l1i_4k, size_bit(PageSize::k4K));
  add(l1i_, "l1i_2m", cfg.l1i_2m, size_bit(PageSize::k2M));
  add(l2_, "stlb", cfg.stlb, uint8_t(size_bit(PageSize::k4K) | size_bit(PageSize::k2M)));
  add(l2_, "stlb_1g", cfg.stlb_1g, size_bit(PageSize::k1G));
}

TlbLookup Tlbs::lookup(uint64_t la, uint16_t pcid, bool fetch) {
  const unsigned side = fetch ? 1 : 0;
  ++stats_.lookups[side];
  for (TlbArray& a : fetch ? l1i_ : l1d_) {
    if (const Translation* t = a.lookup(la, pcid)) {
      ++stats_.l1_hits[side];
      ++stats_.l1_hits_by_size[side][unsigned(t->size)];
      return {t, 1};
    }
  }
  for (TlbArray& a : l2_) {
    if (const Translation* t = a.lookup(la, pcid)) {
      ++stats_.l2_hits[side];
      ++stats_.l2_hits_by_size[side][unsigned(t->size)];
      for (TlbArray& l1 : fetch ? l1i_ : l1d_) l1.fill(la, pcid, *t);
      return {t, 2};
    }
  }
  ++stats_.misses[side];
  return {};
}

void Tlbs::fill(uint64_t la, uint16_t pcid, bool fetch, const Translation& t) {
  for (TlbArray& a : fetch ? l1i_ : l1d_) a.fill(la, pcid, t);
  for (TlbArray& a : l2_) a.fill(la, pcid, t);
}

void Tlbs::invalidate_page(uint64_t la, uint16_t pcid) {
  for (auto* group : {&l1d_, &l1i_, &l2_}) {
    for (TlbArray& a : *group) a.invalidate_page(la, pcid);
  }
}

void Tlbs::flush(uint16_t pcid, bool all_pcids, bool include_global) {
  for (auto* group : {&l1d_, &l1i_, &l2_}) {
    for (TlbArray& a : *group) a.flush(pcid, all_pcids, include_global);
  }
}

}  // namespace pkusim::mmu
