#pragma once
// Builds page tables by hand in a PhysMem, for MMU tests that need exact
// control over every entry (non-leaf flags, key bits in non-leaf entries,
// reserved bits).
#include <cstdint>

#include "isa/paging.h"
#include "mmu/phys_mem.h"

namespace pkusim::test {

struct PtBuilder {
  static constexpr uint64_t kUserRw =
      (1ull << isa::kPteP) | (1ull << isa::kPteRw) | (1ull << isa::kPteUs);
  mmu::PhysMem& mem;
  bool la57 = false;
  uint64_t root;

  explicit PtBuilder(mmu::PhysMem& m, bool five_level = false)
      : mem(m), la57(five_level), root(m.alloc_frame(isa::PageSize::k4K)) {}

  /// Slot of the entry at `level` for `la`, creating tables above it with
  /// `upper_flags` (and returning the slot's PA).
  uint64_t slot(uint64_t la, isa::Level level, uint64_t upper_flags = kUserRw) {
    uint64_t table = root;
    for (auto l = la57 ? isa::Level::kPml5 : isa::Level::kPml4;; l = isa::Level(unsigned(l) - 1)) {
      const uint64_t s = table + isa::table_index(la, l) * 8ull;
      if (l == level) return s;
      isa::PagingEntry e{mem.read64(s)};
      if (!e.present()) {
        e.raw = upper_flags;
        e.set_address(mem.alloc_frame(isa::PageSize::k4K), mem.maxphyaddr());
        mem.write64(s, e.raw);
      }
      table = e.address(mem.maxphyaddr());
    }
  }
  /// Maps a 4 KiB page; returns the frame.
  uint64_t map4k(uint64_t la, uint64_t flags = kUserRw, unsigned key = 0,
                 uint64_t upper_flags = kUserRw) {
    const uint64_t frame = mem.alloc_frame(isa::PageSize::k4K);
    isa::PagingEntry e{flags};
    e.set_address(frame, mem.maxphyaddr()).set_protection_key(key);
    mem.write64(slot(la, isa::Level::kPt, upper_flags), e.raw);
    return frame;
  }
  uint64_t map_large(uint64_t la, isa::PageSize size, uint64_t flags = kUserRw, unsigned key = 0) {
    const uint64_t frame = mem.alloc_frame(size);
    isa::PagingEntry e{flags | (1ull << isa::kPtePs) | frame};
    e.set_protection_key(key);
    mem.write64(slot(la, size == isa::PageSize::k2M ? isa::Level::kPd : isa::Level::kPdpt), e.raw);
    return frame;
  }
  void set_key(uint64_t la, unsigned key) {
    const uint64_t s = slot(la, isa::Level::kPt);
    isa::PagingEntry e{mem.read64(s)};
    e.set_protection_key(key);
    mem.write64(s, e.raw);
  }
};

}  // namespace pkusim::test
