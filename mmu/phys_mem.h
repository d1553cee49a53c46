#pragma once
// Simulated physical memory: a sparse space of 4 KiB frames, and a frame
// allocator for 4 KiB, 2 MiB and 1 GiB pages. Only frames that are written
// (page tables) get storage; an unwritten frame reads as zeros, so data pages
// cost nothing but their number. Storage for the 4 KiB region is a flat
// vector indexed by frame number (no hashing on the walker's path).
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "isa/paging.h"

namespace pkusim::mmu {

class PhysMem {
 public:
  /// `maxphyaddr`: physical address width (SDM CPUID.80000008H:EAX[7:0]).
  explicit PhysMem(unsigned maxphyaddr = 46);

  unsigned maxphyaddr() const { return maxphyaddr_; }

  /// A free, zero-filled frame of the given size, aligned to that size.
  uint64_t alloc_frame(isa::PageSize size);
  /// Returns a frame to the allocator; its contents are discarded.
  void free_frame(uint64_t pa, isa::PageSize size);

  uint64_t read64(uint64_t pa) const;
  void write64(uint64_t pa, uint64_t value);

  /// Frames currently allocated, per page size.
  uint64_t frames_in_use(isa::PageSize size) const { return in_use_[unsigned(size)]; }

 private:
  using Frame = std::array<uint64_t, isa::kEntriesPerTable>;
  Frame* frame_for(uint64_t pa) const;

  unsigned maxphyaddr_;
  // Each size draws from its own region so large frames stay aligned.
  std::array<uint64_t, isa::kNumPageSizes> next_{};
  std::array<uint64_t, isa::kNumPageSizes> limit_{};
  std::array<std::vector<uint64_t>, isa::kNumPageSizes> free_{};
  std::array<uint64_t, isa::kNumPageSizes> in_use_{};
  std::vector<std::unique_ptr<Frame>> small_;  // index: (pa - region base) >> 12
};

/// How the walker reaches paging-structure entries. The functional machine
/// reads PhysMem directly; a timing model routes the reads through caches.
class MemoryPort {
 public:
  virtual ~MemoryPort() = default;
  virtual uint64_t read_entry(uint64_t pa) = 0;
  virtual void write_entry(uint64_t pa, uint64_t value) = 0;
};

class DirectPort final : public MemoryPort {
 public:
  explicit DirectPort(PhysMem& mem) : mem_(mem) {}
  uint64_t read_entry(uint64_t pa) override { return mem_.read64(pa); }
  void write_entry(uint64_t pa, uint64_t value) override { mem_.write64(pa, value); }

 private:
  PhysMem& mem_;
};

}  // namespace pkusim::mmu
