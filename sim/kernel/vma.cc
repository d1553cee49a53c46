#include "sim/kernel/vma.h"

namespace pkusim::sim {

Vma* VmaTree::find(uint64_t addr) {
  auto it = map_.upper_bound(addr);
  if (it == map_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second : nullptr;
}

const Vma* VmaTree::find(uint64_t addr) const {
  auto it = map_.upper_bound(addr);
  if (it == map_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second : nullptr;
}

Vma* VmaTree::find_from(uint64_t addr) {
  if (Vma* v = find(addr)) return v;
  auto it = map_.upper_bound(addr);
  return it == map_.end() ? nullptr : &it->second;
}

bool VmaTree::split_at(uint64_t addr) {
  Vma* v = find(addr);
  if (!v || v->start == addr) return false;
  Vma upper = *v;
  upper.start = addr;
  v->end = addr;
  map_.emplace(addr, upper);
  return true;
}

unsigned VmaTree::merge_range(uint64_t lo, uint64_t hi) {
  unsigned merges = 0;
  // Start at the VMA before `lo`: it may end exactly at `lo`.
  auto it = map_.lower_bound(lo);
  if (it != map_.begin()) --it;
  while (it != map_.end() && it->second.start <= hi) {
    auto next = std::next(it);
    if (next == map_.end()) break;
    Vma& a = it->second;
    const Vma& b = next->second;
    const bool anon_ok = a.anon_id == 0 || b.anon_id == 0 || a.anon_id == b.anon_id;
    if (a.end == b.start && a.same_flags(b) && anon_ok) {
      a.end = b.end;
      if (a.anon_id == 0) a.anon_id = b.anon_id;
      map_.erase(next);
      ++merges;
    } else {
      it = next;
    }
  }
  return merges;
}

}  // namespace pkusim::sim
