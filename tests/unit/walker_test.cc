#include "mmu/walker.h"

#include <catch2/catch.hpp>

#include "pt_builder.h"

using namespace pkusim;
using namespace pkusim::mmu;
using isa::bit;

namespace {
struct Fixture {
  PhysMem mem{46};
  DirectPort port{mem};
  test::PtBuilder pt{mem};
  isa::ControlRegs regs;
  Fixture() { regs.cr3 = isa::Cr3::make(pt.root, 1); }
  WalkResult walk(uint64_t la, AccessType t = AccessType::kRead, bool user = true) {
    return mmu::walk(la, t, user, regs, 46, port);
  }
};
}  // namespace

TEST_CASE("a 4-level walk finds the 4 KiB frame and sets A everywhere", "[mmu][walk]") {
  Fixture f;
  const uint64_t la = 0x7f00'0000'1234ull;
  const uint64_t frame = f.pt.map4k(la, test::PtBuilder::kUserRw, 5);
  const WalkResult r = f.walk(la);
  REQUIRE(r.exception == isa::Exception::kNone);
  CHECK(r.entries_read == 4);
  CHECK(r.translation.frame_pa == frame);
  CHECK(r.translation.physical(la) == frame + 0x234);
  CHECK(r.translation.key == 5);
  CHECK(r.translation.size == isa::PageSize::k4K);
  for (auto level : {isa::Level::kPml4, isa::Level::kPdpt, isa::Level::kPd, isa::Level::kPt}) {
    CHECK(isa::PagingEntry{f.mem.read64(f.pt.slot(la, level))}.accessed());
  }
  CHECK_FALSE(isa::PagingEntry{f.mem.read64(f.pt.slot(la, isa::Level::kPt))}.dirty());
}

TEST_CASE("2 MiB and 1 GiB leaves take the key from the leaf", "[mmu][walk][pku]") {
  Fixture f;
  const uint64_t la2 = 0x7f00'0020'0000ull;
  const uint64_t f2 = f.pt.map_large(la2, isa::PageSize::k2M, test::PtBuilder::kUserRw, 3);
  const WalkResult r2 = f.walk(la2 + 0x12345);
  REQUIRE(r2.exception == isa::Exception::kNone);
  CHECK(r2.entries_read == 3);
  CHECK(r2.translation.size == isa::PageSize::k2M);
  CHECK(r2.translation.key == 3);
  CHECK(r2.translation.physical(la2 + 0x12345) == f2 + 0x12345);

  const uint64_t la1 = 0x7f40'0000'0000ull;
  const uint64_t f1 = f.pt.map_large(la1, isa::PageSize::k1G, test::PtBuilder::kUserRw, 9);
  const WalkResult r1 = f.walk(la1 + 0x3456789);
  REQUIRE(r1.exception == isa::Exception::kNone);
  CHECK(r1.entries_read == 2);
  CHECK(r1.translation.size == isa::PageSize::k1G);
  CHECK(r1.translation.key == 9);
  CHECK(r1.translation.physical(la1 + 0x3456789) == f1 + 0x3456789);
}

TEST_CASE("key bits in non-leaf entries are ignored", "[mmu][walk][pku]") {
  Fixture f;
  const uint64_t upper = test::PtBuilder::kUserRw | (0xFull << 59);
  const uint64_t la = 0x7f00'0000'5000ull;
  f.pt.map4k(la, test::PtBuilder::kUserRw, 2, upper);
  const WalkResult r = f.walk(la);
  REQUIRE(r.exception == isa::Exception::kNone);
  CHECK(r.translation.key == 2);
}

TEST_CASE("R/W and U/S are ANDed, XD is ORed across levels", "[mmu][walk]") {
  Fixture f;
  const uint64_t ro_upper = bit(isa::kPteP) | bit(isa::kPteUs);  // R/W = 0 above
  f.pt.map4k(0x1000'0000ull, test::PtBuilder::kUserRw, 0, ro_upper);
  WalkResult r = f.walk(0x1000'0000ull);
  CHECK_FALSE(r.translation.writable);
  CHECK(r.translation.user);

  const uint64_t sup_upper = bit(isa::kPteP) | bit(isa::kPteRw);  // U/S = 0 above
  f.pt.map4k(0x2000'0000'0000ull, test::PtBuilder::kUserRw, 0, sup_upper);
  r = f.walk(0x2000'0000'0000ull);
  CHECK(r.translation.writable);
  CHECK_FALSE(r.translation.user);

  const uint64_t xd_upper = test::PtBuilder::kUserRw | bit(isa::kPteXd);
  f.pt.map4k(0x3000'0000'0000ull, test::PtBuilder::kUserRw, 0, xd_upper);
  r = f.walk(0x3000'0000'0000ull);
  CHECK(r.translation.xd);
}

TEST_CASE("not present and reserved-bit faults carry the SDM error code", "[mmu][walk]") {
  Fixture f;
  WalkResult r = f.walk(0x4000'0000ull, AccessType::kWrite);
  REQUIRE(r.exception == isa::Exception::kPageFault);
  CHECK(r.error.raw == (bit(isa::kPfWrite) | bit(isa::kPfUser)));  // P = 0
  CHECK(r.entries_read == 1);

  const uint64_t la = 0x5000'0000ull;
  f.pt.map4k(la, test::PtBuilder::kUserRw | (1ull << 50));  // bit 50 >= MAXPHYADDR 46
  r = f.walk(la);
  REQUIRE(r.exception == isa::Exception::kPageFault);
  CHECK(r.error.raw == (bit(isa::kPfRsvd) | bit(isa::kPfP) | bit(isa::kPfUser)));

  // A reserved bit in a not-present entry is ignored: plain not-present.
  const uint64_t la2 = 0x6000'0000ull;
  f.pt.map4k(la2, (1ull << 50) | bit(isa::kPteRw));
  r = f.walk(la2);
  CHECK(r.error.raw == bit(isa::kPfUser));

  // Bits 20:13 of a 2 MiB leaf are reserved.
  const uint64_t la3 = 0x7000'0000ull;
  f.pt.map_large(la3, isa::PageSize::k2M, test::PtBuilder::kUserRw | (1ull << 13));
  r = f.walk(la3);
  CHECK(r.error.rsvd());

  // XD is reserved when EFER.NXE = 0.
  f.regs.efer = 0;
  const uint64_t la4 = 0x7100'0000ull;
  f.pt.map4k(la4, test::PtBuilder::kUserRw | bit(isa::kPteXd));
  r = f.walk(la4);
  CHECK(r.error.rsvd());
}

TEST_CASE("non-canonical addresses raise #GP without a walk", "[mmu][walk]") {
  Fixture f;
  const WalkResult r = f.walk(0x0000'8000'0000'0000ull);
  CHECK(r.exception == isa::Exception::kGeneralProtection);
  CHECK(r.entries_read == 0);
}

TEST_CASE("5-level paging walks five tables and accepts 57-bit addresses", "[mmu][walk]") {
  PhysMem mem{46};
  DirectPort port{mem};
  test::PtBuilder pt{mem, /*five_level=*/true};
  isa::ControlRegs regs;
  regs.cr4 |= bit(isa::kCr4La57);
  regs.cr3 = isa::Cr3::make(pt.root, 1);
  const uint64_t la = 0x00AB'CDEF'0123'4000ull;  // not canonical for 48 bits
  const uint64_t frame = pt.map4k(la, test::PtBuilder::kUserRw, 7);
  const WalkResult r = mmu::walk(la, AccessType::kRead, true, regs, 46, port);
  REQUIRE(r.exception == isa::Exception::kNone);
  CHECK(r.entries_read == 5);
  CHECK(r.translation.frame_pa == frame);
  CHECK(r.translation.key == 7);
  CHECK(mmu::walk(0x0100'0000'0000'0000ull, AccessType::kRead, true, regs, 46, port).exception ==
        isa::Exception::kGeneralProtection);
}
