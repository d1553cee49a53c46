#include "mmu/tlb.h"

#include <catch2/catch.hpp>

using namespace pkusim;
using namespace pkusim::mmu;

namespace {
Translation page(uint64_t frame, isa::PageSize s = isa::PageSize::k4K, uint8_t key = 0) {
  Translation t;
  t.frame_pa = frame;
  t.size = s;
  t.user = true;
  t.writable = true;
  t.key = key;
  return t;
}
}  // namespace

TEST_CASE("a TLB array hits after a fill and respects the PCID", "[tlb]") {
  TlbArray a({"t", 8, 2, size_bit(isa::PageSize::k4K)});
  CHECK(a.lookup(0x1000, 1) == nullptr);
  a.fill(0x1000, 1, page(0xA000, isa::PageSize::k4K, 4));
  const Translation* t = a.lookup(0x1FFF, 1);
  REQUIRE(t);
  CHECK(t->frame_pa == 0xA000);
  CHECK(t->key == 4);
  CHECK(a.lookup(0x1000, 2) == nullptr);  // another PCID
  CHECK(a.stats().hits == 1);
}

TEST_CASE("LRU replacement evicts the least recently used way", "[tlb]") {
  TlbArray a({"t", 2, 2, size_bit(isa::PageSize::k4K)});  // one set, two ways
  a.fill(0x1000, 1, page(0xA000));
  a.fill(0x2000, 1, page(0xB000));
  REQUIRE(a.lookup(0x1000, 1));  // 0x1000 is now the most recent
  a.fill(0x3000, 1, page(0xC000));
  CHECK(a.lookup(0x1000, 1));
  CHECK(a.lookup(0x2000, 1) == nullptr);
  CHECK(a.lookup(0x3000, 1));
}

TEST_CASE("geometry errors are reported", "[tlb]") {
  CHECK_THROWS_WITH(TlbArray({"x", 12, 4, 1}), Catch::Contains("power of two"));
  CHECK_THROWS_WITH(TlbArray({"x", 8, 0, 1}), Catch::Contains("multiple of ways"));
}

TEST_CASE("INVLPG removes the page, globals included; PCID flush keeps globals", "[tlb]") {
  TlbArray a({"t", 16, 4, size_bit(isa::PageSize::k4K)});
  Translation g = page(0xA000);
  g.global = true;
  a.fill(0x1000, 1, g);
  a.fill(0x2000, 1, page(0xB000));
  a.fill(0x3000, 2, page(0xC000));
  a.flush(1, false, false);    // MOV CR3 for PCID 1
  CHECK(a.lookup(0x1000, 1));  // global survives
  CHECK(a.lookup(0x2000, 1) == nullptr);
  CHECK(a.lookup(0x3000, 2));  // other PCID survives
  a.invalidate_page(0x1000, 1);
  CHECK(a.lookup(0x1000, 1) == nullptr);
  a.flush(0, true, true);
  CHECK(a.valid_entries() == 0);
}

TEST_CASE("the hierarchy refills L1 from L2 and counts hits per level and size", "[tlb]") {
  TlbConfig cfg{};
  cfg.l1d_4k = {2, 2};
  cfg.l1d_2m = {2, 2};
  cfg.l1i_4k = {2, 2};
  cfg.stlb = {16, 4};
  Tlbs t(cfg);
  CHECK(t.lookup(0x1000, 1, false).translation == nullptr);
  t.fill(0x1000, 1, false, page(0xA000));
  t.fill(0x2000, 1, false, page(0xB000));
  t.fill(0x3000, 1, false, page(0xC000));  // evicts 0x1000 from the 2-entry L1
  TlbLookup r = t.lookup(0x1000, 1, false);
  REQUIRE(r.translation);
  CHECK(r.level == 2);
  r = t.lookup(0x1000, 1, false);
  CHECK(r.level == 1);
  t.fill(0x200000, 1, false, page(0x400000, isa::PageSize::k2M));
  r = t.lookup(0x3FFFFF, 1, false);
  REQUIRE(r.translation);
  CHECK(r.translation->size == isa::PageSize::k2M);
  CHECK(t.stats().lookups[0] == 4);
  CHECK(t.stats().misses[0] == 1);
  CHECK(t.stats().l2_hits_by_size[0][0] == 1);
  CHECK(t.stats().l1_hits_by_size[0][0] == 1);
  CHECK(t.stats().l1_hits_by_size[0][1] == 1);
  CHECK(t.stats().l1_hits[0] == 2);
  CHECK(t.stats().l2_hits[0] == 1);
  // The instruction side does not see data-side L1 entries, but shares L2.
  r = t.lookup(0x2000, 1, true);
  CHECK(r.level == 2);
}
