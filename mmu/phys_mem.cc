#include "mmu/phys_mem.h"

#include <stdexcept>

namespace pkusim::mmu {
namespace {
// Region layout: 4 KiB frames from 1 MiB, 2 MiB frames from 1/4 of the space,
// 1 GiB frames from 1/2 of it. Frame 0 stays unused so a zero PA means "none".
constexpr uint64_t kSmallBase = uint64_t{1} << 20;
}  // namespace

PhysMem::PhysMem(unsigned maxphyaddr) : maxphyaddr_(maxphyaddr) {
  if (maxphyaddr < 36 || maxphyaddr > 52) {
    throw std::invalid_argument("maxphyaddr must be in [36, 52]");
  }
  const uint64_t space = uint64_t{1} << maxphyaddr;
  next_ = {kSmallBase, space / 4, space / 2};
  limit_ = {space / 4, space / 2, space};
}

uint64_t PhysMem::alloc_frame(isa::PageSize size) {
  const unsigned s = unsigned(size);
  uint64_t pa;
  if (!free_[s].empty()) {
    pa = free_[s].back();
    free_[s].pop_back();
  } else {
    if (next_[s] + isa::page_bytes(size) > limit_[s]) {
      throw std::runtime_error("simulated physical memory exhausted");
    }
    pa = next_[s];
    next_[s] += isa::page_bytes(size);
  }
  ++in_use_[s];
  if (size == isa::PageSize::k4K) {
    if (Frame* f = frame_for(pa)) f->fill(0);
  }
  return pa;
}

void PhysMem::free_frame(uint64_t pa, isa::PageSize size) {
  const unsigned s = unsigned(size);
  free_[s].push_back(pa);
  --in_use_[s];
}

PhysMem::Frame* PhysMem::frame_for(uint64_t pa) const {
  if (pa < kSmallBase || pa >= limit_[0]) return nullptr;
  const uint64_t idx = (pa - kSmallBase) >> isa::kPageShift4K;
  return idx < small_.size() ? small_[idx].get() : nullptr;
}

uint64_t PhysMem::read64(uint64_t pa) const {
  const Frame* f = frame_for(pa);
  return f ? (*f)[(pa >> 3) & (isa::kEntriesPerTable - 1)] : 0;
}

void PhysMem::write64(uint64_t pa, uint64_t value) {
  if (pa < kSmallBase || pa >= limit_[0]) {
    throw std::out_of_range("physical write outside the page-table region");
  }
  const uint64_t idx = (pa - kSmallBase) >> isa::kPageShift4K;
  if (idx >= small_.size()) small_.resize(idx + 1);
  if (!small_[idx]) small_[idx] = std::make_unique<Frame>(Frame{});
  (*small_[idx])[(pa >> 3) & (isa::kEntriesPerTable - 1)] = value;
}

}  // namespace pkusim::mmu
