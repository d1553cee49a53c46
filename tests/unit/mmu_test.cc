// Hardware-level PKU scenarios (Intel SDM Vol. 3A 4.6 and 4.6.2 access rights
// and protection keys, 6.15 error code; Vol. 1 3.3.7.1 canonical addresses)
// and the TLB behaviour of SDM 4.10, on the MMU alone (no kernel).
#include "mmu/mmu.h"

#include <catch2/catch.hpp>

#include "pt_builder.h"
#include "sim/machine.h"

using namespace pkusim;
using namespace pkusim::mmu;
using isa::bit;

namespace {
constexpr uint32_t kP = 1u << isa::kPfP;
constexpr uint32_t kW = 1u << isa::kPfWrite;
constexpr uint32_t kU = 1u << isa::kPfUser;
constexpr uint32_t kI = 1u << isa::kPfInstr;
constexpr uint32_t kPk = 1u << isa::kPfPk;

/// The default machine's TLBs (from the parameter table), without
/// paging-structure caches: these tests look at the TLBs alone.
MmuConfig test_mmu_config() {
  sim::Config c = sim::Config::defaults();
  for (const char* s : {"mmu.psc_pml4_entries=0", "mmu.psc_pdpt_entries=0", "mmu.psc_pde_entries=0"}) {
    c.set(s);
  }
  return sim::machine_config(c).mmu;
}

struct Fixture {
  PhysMem mem{46};
  DirectPort port{mem};
  test::PtBuilder pt{mem};
  Mmu mmu{test_mmu_config(), port};
  Fixture() { mmu.regs().cr3 = isa::Cr3::make(pt.root, 1); }
  TranslateResult access(uint64_t la, AccessType t, uint32_t pkru, bool user = true) {
    return mmu.translate(la, t, user, isa::Pkru{pkru});
  }
};

constexpr uint64_t kLa = 0x7f00'0000'0000ull;
constexpr uint32_t kAllOpen = 0;
uint32_t ad(unsigned k) { return 1u << (2 * k); }
uint32_t wd(unsigned k) { return 1u << (2 * k + 1); }
}  // namespace

TEST_CASE("PK error codes: AD read, WD write, RO+WD write, not present", "[mmu][pku]") {
  Fixture f;
  f.pt.map4k(kLa, test::PtBuilder::kUserRw, 1);
  CHECK(f.access(kLa, AccessType::kRead, ad(1)).error.raw == (kP | kU | kPk));
  CHECK(f.access(kLa, AccessType::kWrite, ad(1)).error.raw == (kP | kW | kU | kPk));
  CHECK(f.access(kLa, AccessType::kWrite, wd(1)).error.raw == (kP | kW | kU | kPk));
  CHECK(f.access(kLa, AccessType::kRead, wd(1)).exception == isa::Exception::kNone);
  CHECK(f.access(kLa, AccessType::kWrite, ad(2) | wd(3)).exception == isa::Exception::kNone);

  const uint64_t ro = kLa + 0x1000;
  f.pt.map4k(ro, bit(isa::kPteP) | bit(isa::kPteUs), 1);
  CHECK(f.access(ro, AccessType::kWrite, wd(1)).error.raw == (kP | kW | kU | kPk));
  CHECK(f.access(ro, AccessType::kWrite, kAllOpen).error.raw == (kP | kW | kU));

  // Not present: no key exists, so never PK, whatever PKRU says.
  const TranslateResult np = f.access(kLa + 0x100000, AccessType::kRead, 0xFFFFFFFF);
  CHECK(np.error.raw == kU);
}

TEST_CASE("PK applies to 2 MiB and 1 GiB leaves", "[mmu][pku]") {
  Fixture f;
  f.pt.map_large(0x7f00'0020'0000ull, isa::PageSize::k2M, test::PtBuilder::kUserRw, 6);
  f.pt.map_large(0x7f40'0000'0000ull, isa::PageSize::k1G, test::PtBuilder::kUserRw, 7);
  CHECK(f.access(0x7f00'003F'FFF8ull, AccessType::kRead, ad(6)).error.pk());
  CHECK(f.access(0x7f00'003F'FFF8ull, AccessType::kRead, ad(7)).exception == isa::Exception::kNone);
  CHECK(f.access(0x7f40'3FFF'0000ull, AccessType::kWrite, wd(7)).error.pk());
  CHECK(f.access(0x7f40'3FFF'0000ull, AccessType::kWrite, wd(6)).exception ==
        isa::Exception::kNone);
}

TEST_CASE("supervisor writes to a WD page depend on CR0.WP; AD always blocks", "[mmu][pku]") {
  Fixture f;
  f.pt.map4k(kLa, test::PtBuilder::kUserRw, 2);
  CHECK(f.access(kLa, AccessType::kWrite, wd(2), /*user=*/false).error.raw == (kP | kW | kPk));
  f.mmu.regs().cr0 &= ~bit(isa::kCr0Wp);
  CHECK(f.access(kLa, AccessType::kWrite, wd(2), false).exception == isa::Exception::kNone);
  CHECK(f.access(kLa, AccessType::kRead, ad(2), false).error.raw == (kP | kPk));
  // Supervisor write to a read-only user page: allowed only with WP = 0.
  const uint64_t ro = kLa + 0x1000;
  f.pt.map4k(ro, bit(isa::kPteP) | bit(isa::kPteUs), 0);
  CHECK(f.access(ro, AccessType::kWrite, kAllOpen, false).exception == isa::Exception::kNone);
  f.mmu.regs().cr0 |= bit(isa::kCr0Wp);
  CHECK(f.access(ro, AccessType::kWrite, kAllOpen, false).error.raw == (kP | kW));
}

TEST_CASE("keys of supervisor-mode addresses are ignored by PKU", "[mmu][pku]") {
  Fixture f;
  const uint64_t sup = bit(isa::kPteP) | bit(isa::kPteRw);
  f.pt.map4k(kLa, sup, 3);
  CHECK(f.access(kLa, AccessType::kRead, ad(3), /*user=*/false).exception == isa::Exception::kNone);
  // A user access to it faults as a plain protection violation, not PK.
  CHECK(f.access(kLa, AccessType::kRead, ad(3), true).error.raw == (kP | kU));
}

TEST_CASE("instruction fetches are never checked against PKRU", "[mmu][pku]") {
  Fixture f;
  f.pt.map4k(kLa, test::PtBuilder::kUserRw, 4);
  CHECK(f.access(kLa, AccessType::kFetch, ad(4)).exception == isa::Exception::kNone);
  CHECK(f.access(kLa, AccessType::kRead, ad(4)).error.pk());
  const uint64_t nx = kLa + 0x1000;
  f.pt.map4k(nx, test::PtBuilder::kUserRw | bit(isa::kPteXd), 4);
  CHECK(f.access(nx, AccessType::kFetch, kAllOpen).error.raw == (kP | kU | kI));
}

TEST_CASE("WRPKRU needs no invalidation: the TLB caches the key, not the rights", "[mmu][pku]") {
  Fixture f;
  f.pt.map4k(kLa, test::PtBuilder::kUserRw, 1);
  REQUIRE(f.access(kLa, AccessType::kRead, kAllOpen).walked);
  const TranslateResult hit = f.access(kLa, AccessType::kRead, ad(1));
  CHECK(hit.error.pk());  // checked on a TLB hit with the new PKRU
  CHECK(f.mmu.stats().invlpg == 0);
}

TEST_CASE("a PTE key changed without INVLPG stays stale until invalidated", "[mmu][pku]") {
  Fixture f;
  f.pt.map4k(kLa, test::PtBuilder::kUserRw, 1);
  const uint32_t pkru = ad(2);  // key 1 open, key 2 disabled
  REQUIRE(f.access(kLa, AccessType::kRead, pkru).exception == isa::Exception::kNone);
  f.pt.set_key(kLa, 2);
  const TranslateResult stale = f.access(kLa, AccessType::kRead, pkru);
  CHECK(stale.exception == isa::Exception::kNone);  // the TLB still holds key 1
  CHECK(stale.tlb_level == 1);
  f.mmu.invlpg(kLa);
  CHECK(f.access(kLa, AccessType::kRead, pkru).error.pk());
}

TEST_CASE("a stale entry is dropped by a full flush but not by another page's INVLPG", "[mmu]") {
  Fixture f;
  f.pt.map4k(kLa, test::PtBuilder::kUserRw, 1);
  f.pt.map4k(kLa + 0x1000, test::PtBuilder::kUserRw, 1);
  REQUIRE(f.access(kLa, AccessType::kRead, 0).exception == isa::Exception::kNone);
  f.pt.set_key(kLa, 2);
  f.mmu.invlpg(kLa + 0x1000);
  CHECK(f.access(kLa, AccessType::kRead, ad(2)).exception == isa::Exception::kNone);
  f.mmu.flush_current_pcid();
  CHECK(f.access(kLa, AccessType::kRead, ad(2)).error.pk());
}

TEST_CASE("a page fault invalidates the faulting address's TLB entry", "[mmu]") {
  Fixture f;
  f.pt.map4k(kLa, bit(isa::kPteP) | bit(isa::kPteUs), 0);  // read-only
  REQUIRE(f.access(kLa, AccessType::kRead, 0).walked);
  // Make it writable in memory; the cached read-only entry faults once...
  f.mem.write64(f.pt.slot(kLa, isa::Level::kPt),
                f.mem.read64(f.pt.slot(kLa, isa::Level::kPt)) | bit(isa::kPteRw));
  CHECK(f.access(kLa, AccessType::kWrite, 0).error.raw == (kP | kW | kU));
  // ... and the retry walks and succeeds.
  const TranslateResult retry = f.access(kLa, AccessType::kWrite, 0);
  CHECK(retry.exception == isa::Exception::kNone);
  CHECK(retry.walked);
}

TEST_CASE("writes set D in the leaf; a clean cached entry re-walks to set it", "[mmu]") {
  Fixture f;
  f.pt.map4k(kLa, test::PtBuilder::kUserRw, 0);
  const uint64_t slot = f.pt.slot(kLa, isa::Level::kPt);
  REQUIRE(f.access(kLa, AccessType::kRead, 0).walked);
  CHECK_FALSE(isa::PagingEntry{f.mem.read64(slot)}.dirty());
  const TranslateResult w = f.access(kLa, AccessType::kWrite, 0);
  CHECK(w.walked);
  CHECK(f.mmu.stats().dirty_assists == 1);
  CHECK(isa::PagingEntry{f.mem.read64(slot)}.dirty());
  CHECK_FALSE(f.access(kLa, AccessType::kWrite, 0).walked);  // now a plain hit
  // A denied write does not set D.
  const uint64_t other = kLa + 0x1000;
  f.pt.map4k(other, test::PtBuilder::kUserRw, 1);
  CHECK(f.access(other, AccessType::kWrite, wd(1)).error.pk());
  CHECK_FALSE(isa::PagingEntry{f.mem.read64(f.pt.slot(other, isa::Level::kPt))}.dirty());
}

TEST_CASE("non-canonical accesses raise #GP: no lookup, no walk, no PK", "[mmu]") {
  Fixture f;
  const TranslateResult r = f.access(0x8000'0000'0000ull, AccessType::kRead, 0xFFFFFFFF);
  CHECK(r.exception == isa::Exception::kGeneralProtection);
  CHECK(f.mmu.stats().walks == 0);
  CHECK(f.mmu.tlbs().stats().lookups[0] == 0);
}

TEST_CASE("PCIDs keep translations apart; a global flush drops everything", "[mmu]") {
  Fixture f;
  f.pt.map4k(kLa, test::PtBuilder::kUserRw, 0);
  REQUIRE(f.access(kLa, AccessType::kRead, 0).walked);
  f.mmu.regs().cr3 = isa::Cr3::make(f.pt.root, 2);
  CHECK(f.access(kLa, AccessType::kRead, 0).walked);  // PCID 2 has no entry yet
  f.mmu.regs().cr3 = isa::Cr3::make(f.pt.root, 1);
  CHECK_FALSE(f.access(kLa, AccessType::kRead, 0).walked);
  f.mmu.flush_global();
  CHECK(f.access(kLa, AccessType::kRead, 0).walked);
}
