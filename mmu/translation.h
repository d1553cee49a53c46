#pragma once
// What a completed walk yields and what a TLB entry caches (SDM 4.10.2.2):
// the frame, the page size, R/W and U/S ANDed over every level, XD ORed, the
// protection key of the leaf, and the leaf's D and G flags.
#include <cstdint>

#include "isa/paging.h"

namespace pkusim::mmu {

enum class AccessType : uint8_t { kRead, kWrite, kFetch };

struct Translation {
  uint64_t frame_pa = 0;  // physical base of the page
  isa::PageSize size = isa::PageSize::k4K;
  bool writable = false;  // AND of R/W over all levels
  bool user = false;      // AND of U/S over all levels: a user-mode address
  bool xd = false;        // OR of XD over all levels
  bool dirty = false;     // leaf D
  bool global = false;    // leaf G
  uint8_t key = 0;        // leaf bits 62:59

  uint64_t physical(uint64_t la) const { return frame_pa | (la & (isa::page_bytes(size) - 1)); }
};

}  // namespace pkusim::mmu
