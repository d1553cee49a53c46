#include "sim/cachesim/cachegrind_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace pkusim::sim {

CgGeometry CgGeometry::parse(const std::string& option, const std::string& text) {
  CgGeometry g;
  unsigned long long size = 0, assoc = 0, line = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%llu,%llu,%llu%c", &size, &assoc, &line, &tail) != 3) {
    throw std::invalid_argument(fmt::format(
        "{}={}: expected size,assoc,line_size in bytes (e.g. 32768,8,64)", option, text));
  }
  if (assoc == 0 || line == 0 || !std::has_single_bit(line) || size % (assoc * line) != 0 ||
      !std::has_single_bit(size / (assoc * line))) {
    throw std::invalid_argument(fmt::format(
        "{}={}: the line size and the number of sets (size / (assoc x line)) must be powers of two",
        option, text));
  }
  g.size_bytes = size;
  g.assoc = static_cast<unsigned>(assoc);
  g.line_bytes = static_cast<unsigned>(line);
  return g;
}

CgCache::CgCache(const CgGeometry& g)
    : line_bits_(static_cast<unsigned>(std::countr_zero(g.line_bytes))),
      assoc_(g.assoc),
      sets_mask_(g.size_bytes / (uint64_t{g.assoc} * g.line_bytes) - 1),
      tags_((sets_mask_ + 1) * g.assoc, 0) {}

bool CgCache::set_ref_is_miss(uint64_t block) {
  uint64_t* set = &tags_[(block & sets_mask_) * assoc_];
  const uint64_t tag = block + 1;
  if (set[0] == tag) return false;
  for (unsigned i = 1; i < assoc_; ++i) {
    if (set[i] == tag) {
      // Move to the front (most recently used).
      for (unsigned j = i; j > 0; --j) set[j] = set[j - 1];
      set[0] = tag;
      return false;
    }
  }
  for (unsigned j = assoc_ - 1; j > 0; --j) set[j] = set[j - 1];
  set[0] = tag;
  return true;
}

bool CgCache::ref_is_miss(uint64_t addr, unsigned size) {
  const uint64_t b1 = addr >> line_bits_;
  const uint64_t b2 = (addr + size - 1) >> line_bits_;
  if (b1 == b2) return set_ref_is_miss(b1);
  bool miss = set_ref_is_miss(b1);
  if (set_ref_is_miss(b2)) miss = true;
  return miss;
}

CgSim::CgSim(const CgGeometry& i1, const CgGeometry& d1, const CgGeometry& ll)
    : i1_(i1),
      d1_(d1),
      ll_(ll),
      min_line_(std::min({i1.line_bytes, d1.line_bytes, ll.line_bytes})) {}

void CgSim::instruction(uint64_t addr, unsigned size) {
  ++c_.Ir;
  if (i1_.ref_is_miss(addr, size)) {
    ++c_.I1mr;
    if (ll_.ref_is_miss(addr, size)) ++c_.ILmr;
  }
}

void CgSim::data(uint64_t addr, unsigned size, uint64_t& refs, uint64_t& l1_misses,
                 uint64_t& ll_misses) {
  size = std::min(size, min_line_);
  ++refs;
  if (d1_.ref_is_miss(addr, size)) {
    ++l1_misses;
    if (ll_.ref_is_miss(addr, size)) ++ll_misses;
  }
}

void CgSim::read(uint64_t addr, unsigned size) { data(addr, size, c_.Dr, c_.D1mr, c_.DLmr); }

void CgSim::write(uint64_t addr, unsigned size) { data(addr, size, c_.Dw, c_.D1mw, c_.DLmw); }

}  // namespace pkusim::sim
