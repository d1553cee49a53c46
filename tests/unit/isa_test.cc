// Pins every architectural bit position to the Intel SDM (Vol. 1 3.3.7.1;
// Vol. 2 RDPKRU/WRPKRU; Vol. 3A ch. 2, 4 and 6.15) and Linux
// (arch/x86/include/uapi/asm/processor-flags.h, arch/x86/include/asm/trap_pf.h,
// arch/x86/include/asm/pkru.h).
#include <catch2/catch.hpp>

#include "isa/address.h"
#include "isa/control_regs.h"
#include "isa/fault.h"
#include "isa/paging.h"
#include "isa/pkru.h"

using namespace pkusim::isa;

TEST_CASE("paging-entry bit positions follow SDM Tables 4-14..4-19", "[isa]") {
  CHECK(kPteP == 0);
  CHECK(kPteRw == 1);
  CHECK(kPteUs == 2);
  CHECK(kPtePwt == 3);
  CHECK(kPtePcd == 4);
  CHECK(kPteA == 5);
  CHECK(kPteD == 6);
  CHECK(kPtePs == 7);
  CHECK(kPtePat == 7);
  CHECK(kPteG == 8);
  CHECK(kPtePatLarge == 12);
  CHECK(kPteKeyLo == 59);
  CHECK(kPteKeyHi == 62);
  CHECK(kPteXd == 63);
}

TEST_CASE("paging-entry accessors read and write the right bits", "[isa]") {
  PagingEntry e;
  e.set(kPteP, true).set(kPteRw, true).set(kPteUs, true).set(kPteXd, true);
  CHECK(e.raw == (0x7ull | (1ull << 63)));
  e.set_protection_key(0xA);
  CHECK(((e.raw >> 59) & 0xF) == 0xA);
  CHECK(e.protection_key() == 0xA);
  e.set_protection_key(0xF);
  CHECK(e.protection_key() == 0xF);
  CHECK(e.execute_disable());  // key bits do not spill into XD
  e.set_address(0x123456789000ull, 46);
  CHECK(e.address(46) == 0x123456789000ull);
  CHECK(e.protection_key() == 0xF);                          // address does not spill into the key
  PagingEntry big{(1ull << 7) | 0x40000000ull | 0x1000ull};  // PS, 1 GiB frame, PAT
  CHECK(big.page_size());
  CHECK(big.large_frame(46, 30) == 0x40000000ull);
}

TEST_CASE("reserved bits per level (SDM 4.5)", "[isa]") {
  // PS is reserved in a PML4E; bits 51:M everywhere.
  CHECK(reserved_mask(Level::kPml4, false, 46, true) & (1ull << 7));
  CHECK(reserved_mask(Level::kPml4, false, 46, true) & (1ull << 46));
  CHECK(reserved_mask(Level::kPml4, false, 46, true) & (1ull << 51));
  CHECK_FALSE(reserved_mask(Level::kPml4, false, 46, true) & (1ull << 45));
  // 29:13 in a 1 GiB leaf, 20:13 in a 2 MiB leaf.
  CHECK(reserved_mask(Level::kPdpt, true, 46, true) == (bit_range(51, 46) | bit_range(29, 13)));
  CHECK(reserved_mask(Level::kPd, true, 46, true) == (bit_range(51, 46) | bit_range(20, 13)));
  // XD is reserved without EFER.NXE.
  CHECK(reserved_mask(Level::kPt, false, 46, false) & (1ull << 63));
  CHECK_FALSE(reserved_mask(Level::kPt, false, 46, true) & (1ull << 63));
}

TEST_CASE("linear-address index split (SDM 4.5)", "[isa]") {
  const uint64_t la = 0x00FF'8040'2010'3ABCull;
  CHECK(table_index(la, Level::kPt) == ((la >> 12) & 0x1FF));
  CHECK(table_index(la, Level::kPd) == ((la >> 21) & 0x1FF));
  CHECK(table_index(la, Level::kPdpt) == ((la >> 30) & 0x1FF));
  CHECK(table_index(la, Level::kPml4) == ((la >> 39) & 0x1FF));
  CHECK(table_index(la, Level::kPml5) == ((la >> 48) & 0x1FF));
  CHECK(page_bytes(PageSize::k4K) == 4096);
  CHECK(page_bytes(PageSize::k2M) == 2 * 1024 * 1024);
  CHECK(page_bytes(PageSize::k1G) == 1024 * 1024 * 1024);
}

TEST_CASE("control-register bits (Linux processor-flags.h)", "[isa]") {
  CHECK(kCr0Wp == 16);
  CHECK(kCr0Pg == 31);
  CHECK(kCr4Pse == 4);
  CHECK(kCr4Pae == 5);
  CHECK(kCr4Pge == 7);
  CHECK(kCr4La57 == 12);
  CHECK(kCr4Pcide == 17);
  CHECK(kCr4Osxsave == 18);
  CHECK(kCr4Smep == 20);
  CHECK(kCr4Smap == 21);
  CHECK(kCr4Pke == 22);
  CHECK(kCr4Pks == 24);
  CHECK(kEferNxe == 11);
  CHECK(kCr3PcidMask == 0xFFF);
  CHECK(kCr3NoFlush == 63);
  const Cr3 cr3 = Cr3::make(0x1234000, 0x5A5);
  CHECK(cr3.pcid() == 0x5A5);
  CHECK(cr3.base(46) == 0x1234000);
  ControlRegs regs;
  CHECK(regs.pke());
  CHECK(regs.wp());
  CHECK(regs.nxe());
  CHECK_FALSE(regs.la57());
}

TEST_CASE("PKRU: AD is bit 2k, WD is bit 2k+1 (SDM 2.7, Linux pkru.h)", "[isa][pku]") {
  for (unsigned k = 0; k < kNumPkeys; ++k) {
    CHECK(pkru_ad_bit(k) == 2 * k);
    CHECK(pkru_wd_bit(k) == 2 * k + 1);
    const Pkru ad{1u << (2 * k)};
    CHECK(ad.access_disabled(k));
    CHECK_FALSE(ad.allows_read(k));
    CHECK_FALSE(ad.allows_write(k));  // AD disables writes too
    const Pkru wd{1u << (2 * k + 1)};
    CHECK(wd.allows_read(k));
    CHECK_FALSE(wd.allows_write(k));
    for (unsigned other = 0; other < kNumPkeys; ++other) {
      if (other != k) CHECK(ad.allows_write(other));
    }
  }
  CHECK(kLinuxDefaultPkru == 0x55555554u);
  const Pkru def{};
  CHECK(def.allows_write(0));
  for (unsigned k = 1; k < kNumPkeys; ++k) CHECK(def.access_disabled(k));
  CHECK(def.with_rights(1, kPkruWdBit).value == 0x55555558u);
  CHECK(def.with_rights(1, 0).value == 0x55555550u);
}

TEST_CASE("RDPKRU/WRPKRU exceptions (SDM Vol. 2)", "[isa][pku]") {
  CHECK(wrpkru_fault(true, 0, 0) == PkruInsnFault::kNone);
  CHECK(wrpkru_fault(true, 1, 0) == PkruInsnFault::kGeneralProtection);
  CHECK(wrpkru_fault(true, 0, 1) == PkruInsnFault::kGeneralProtection);
  CHECK(wrpkru_fault(false, 0, 0) == PkruInsnFault::kUndefined);
  CHECK(rdpkru_fault(true, 0) == PkruInsnFault::kNone);
  CHECK(rdpkru_fault(true, 2) == PkruInsnFault::kGeneralProtection);
  CHECK(rdpkru_fault(false, 0) == PkruInsnFault::kUndefined);
}

TEST_CASE("page-fault error code bits (SDM 6.15, Linux trap_pf.h)", "[isa]") {
  CHECK(kPfP == 0);
  CHECK(kPfWrite == 1);
  CHECK(kPfUser == 2);
  CHECK(kPfRsvd == 3);
  CHECK(kPfInstr == 4);
  CHECK(kPfPk == 5);
  CHECK(kPfShstk == 6);
  CHECK(kPfSgx == 15);
  const PfErrorCode e{0x27};  // P|W|U|PK
  CHECK(e.p());
  CHECK(e.write());
  CHECK(e.user());
  CHECK(e.pk());
  CHECK_FALSE(e.rsvd());
  CHECK_FALSE(e.instr());
}

TEST_CASE("canonical addresses, 48- and 57-bit (SDM Vol. 1 3.3.7.1)", "[isa]") {
  CHECK(is_canonical(0x0000'7FFF'FFFF'FFFFull, 48));
  CHECK(is_canonical(0xFFFF'8000'0000'0000ull, 48));
  CHECK_FALSE(is_canonical(0x0000'8000'0000'0000ull, 48));
  CHECK_FALSE(is_canonical(0xFFFF'7FFF'FFFF'FFFFull, 48));
  CHECK(is_canonical(0x0000'8000'0000'0000ull, 57));
  CHECK(is_canonical(0x00FF'FFFF'FFFF'FFFFull, 57));
  CHECK_FALSE(is_canonical(0x0100'0000'0000'0000ull, 57));
  CHECK(is_canonical(0xFF00'0000'0000'0000ull, 57));
  CHECK(kLinuxTaskSize4Level == 0x7FFF'FFFF'F000ull);
}
