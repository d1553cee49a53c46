// The Linux model's effects on page tables and TLBs, which traces cannot
// observe directly: PTE contents, flush counts, shootdowns.
#include <catch2/catch.hpp>

#include "sim/config/config.h"

#include "instr_builders.h"
#include "sim/machine.h"

using namespace pkusim;
using namespace pkusim::test;
using isa::PagingEntry;

namespace {
constexpr uint64_t kBase = 0x7f00'0000'0000ull;
constexpr uint64_t kPage = 4096;

sim::Outcome run(sim::Machine& m, const isa::Instr& i) { return m.execute(i); }
PagingEntry pte(const sim::Machine& m, uint64_t la) {
  return PagingEntry{m.kernel().leaf_entry(la)};
}
}  // namespace

TEST_CASE("a read fault maps the zero page read-only; a write copies it", "[kernel]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  REQUIRE(run(m, mmap(kBase, kPage, kRW)).ret == kBase);
  CHECK_FALSE(pte(m, kBase).present());
  REQUIRE_FALSE(run(m, load(kBase)).fault);
  const PagingEntry zero = pte(m, kBase);
  CHECK(zero.present());
  CHECK_FALSE(zero.writable());
  CHECK(m.kernel().stats().zero_page_maps == 1);
  REQUIRE_FALSE(run(m, store(kBase)).fault);
  const PagingEntry mine = pte(m, kBase);
  CHECK(mine.writable());
  CHECK(mine.dirty());
  CHECK(mine.address(46) != zero.address(46));
  CHECK(m.kernel().stats().cow_faults == 1);
  CHECK(m.kernel().stats().minor_faults == 2);
  CHECK(m.kernel().stats().local_invlpg == 1);  // ptep_clear_flush of the zero-page PTE
}

TEST_CASE("PTE bits follow the VMA: key, NX, PROT_NONE as not present", "[kernel][pku]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  run(m, mmap(kBase, 4 * kPage, kRW, isa::kMapPopulate));
  REQUIRE(run(m, pkey_alloc()).ret == 1);
  REQUIRE(run(m, pkey_mprotect(kBase, kPage, kRW, 1)).err == 0);
  CHECK(pte(m, kBase).protection_key() == 1);
  CHECK(pte(m, kBase).writable());  // exclusive anonymous page stays writable
  CHECK(pte(m, kBase).execute_disable());
  CHECK(pte(m, kBase + kPage).protection_key() == 0);
  const uint64_t frame = pte(m, kBase).address(46);
  REQUIRE(run(m, mprotect(kBase, kPage, 0)).err == 0);
  CHECK_FALSE(pte(m, kBase).present());
  CHECK(run(m, load(kBase)).si_code == abi::kSegvAccerr);
  REQUIRE(run(m, mprotect(kBase, kPage, kR | kX)).err == 0);
  CHECK(pte(m, kBase).present());
  CHECK_FALSE(pte(m, kBase).execute_disable());
  CHECK_FALSE(pte(m, kBase).writable());
  CHECK(pte(m, kBase).address(46) == frame);   // the data survived PROT_NONE
  CHECK(pte(m, kBase).protection_key() == 1);  // plain mprotect keeps the key
}

TEST_CASE("mprotect of n present pages: INVLPG up to 33, a full flush from 34", "[kernel]") {
  for (unsigned n = 1; n <= 64; ++n) {
    sim::Machine m{sim::machine_config(sim::Config::defaults())};
    run(m, mmap(kBase, 64 * kPage, kRW, isa::kMapPopulate));
    const auto before = m.kernel().stats();
    REQUIRE(run(m, mprotect(kBase, n * kPage, kR)).err == 0);
    const auto& after = m.kernel().stats();
    INFO("n = " << n);
    CHECK(after.ptes_changed - before.ptes_changed == n);
    if (n <= 33) {
      CHECK(after.local_invlpg - before.local_invlpg == n);
      CHECK(after.local_full_flushes == before.local_full_flushes);
    } else {
      CHECK(after.local_invlpg == before.local_invlpg);
      CHECK(after.local_full_flushes - before.local_full_flushes == 1);
    }
    CHECK(after.shootdowns == 0);
  }
}

TEST_CASE("only pages whose PTE changed are flushed; absent pages cost nothing", "[kernel]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  run(m, mmap(kBase, 100 * kPage, kRW));
  run(m, store(kBase + 10 * kPage));
  REQUIRE(run(m, mprotect(kBase, 100 * kPage, kR)).err == 0);
  CHECK(m.kernel().stats().ptes_changed == 1);
  CHECK(m.kernel().stats().local_invlpg == 1);
  // Unchanged flags: mprotect_fixup does nothing at all.
  REQUIRE(run(m, mprotect(kBase, 100 * kPage, kR)).err == 0);
  CHECK(m.kernel().stats().ptes_changed == 1);
}

TEST_CASE("another thread's core gets an IPI and flushes its TLB", "[kernel]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  run(m, mmap(kBase, 8 * kPage, kRW, isa::kMapPopulate));
  run(m, thread(1));
  REQUIRE_FALSE(run(m, load(kBase)).fault);  // thread 1 caches the translation
  run(m, thread(0));
  REQUIRE(run(m, mprotect(kBase, 2 * kPage, 0)).err == 0);
  CHECK(m.kernel().stats().shootdowns == 1);
  CHECK(m.kernel().stats().ipis == 1);
  CHECK(m.kernel().stats().remote_invlpg == 2);
  run(m, thread(1));
  CHECK(run(m, load(kBase)).si_code == abi::kSegvAccerr);  // not the stale entry
  CHECK(m.mmu(1)->stats().invlpg == 2);
}

TEST_CASE("flush policy none leaves stale rights in other TLBs", "[kernel]") {
  sim::MachineConfig cfg = sim::machine_config(sim::Config::defaults());
  cfg.kernel.flush_policy = sim::FlushPolicy::kNone;
  sim::Machine m{cfg};
  run(m, mmap(kBase, kPage, kRW, isa::kMapPopulate));
  REQUIRE_FALSE(run(m, store(kBase)).fault);
  REQUIRE(run(m, mprotect(kBase, kPage, kR)).err == 0);
  CHECK(m.kernel().stats().skipped_flushes == 1);
  CHECK_FALSE(run(m, store(kBase)).fault);  // the stale writable entry allowed it
}

TEST_CASE("VMAs split on partial mprotect and merge back", "[kernel]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  run(m, mmap(kBase, 10 * kPage, kRW));
  CHECK(m.kernel().vmas().size() == 1);
  run(m, mprotect(kBase + 2 * kPage, 3 * kPage, kR));
  CHECK(m.kernel().vmas().size() == 3);
  run(m, mprotect(kBase + 2 * kPage, 3 * kPage, kRW));
  CHECK(m.kernel().vmas().size() == 1);
  run(m, mmap(kBase + 10 * kPage, kPage, kRW));  // adjacent, same flags: merges
  CHECK(m.kernel().vmas().size() == 1);
}

TEST_CASE("munmap zaps PTEs and returns frames", "[kernel]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  run(m, mmap(kBase, 4 * kPage, kRW, isa::kMapPopulate));
  CHECK(m.kernel().stats().populated_pages == 4);
  REQUIRE(run(m, munmap(kBase + kPage, 2 * kPage)).err == 0);
  CHECK(m.kernel().stats().ptes_zapped == 2);
  CHECK_FALSE(pte(m, kBase + kPage).present());
  CHECK(pte(m, kBase).present());
  CHECK(m.kernel().vmas().size() == 2);
  CHECK(run(m, load(kBase + kPage)).si_code == abi::kSegvMaperr);
}

TEST_CASE("hugetlb mappings use 2 MiB leaves and refuse unaligned splits", "[kernel]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  const uint64_t huge = 0x7f00'0020'0000ull;
  REQUIRE(run(m, mmap(huge, 4ull << 20, kRW, isa::kMapHuge2M | isa::kMapPopulate)).ret == huge);
  isa::PageSize size;
  const PagingEntry e{m.kernel().leaf_entry(huge + 0x1234, &size)};
  CHECK(size == isa::PageSize::k2M);
  CHECK(e.present());
  CHECK(e.page_size());
  CHECK(run(m, mprotect(huge, kPage, kR)).err == abi::kEinval);
  CHECK(run(m, munmap(huge + kPage, kPage)).err == abi::kEinval);
  REQUIRE(run(m, mprotect(huge, 2ull << 20, kR)).err == 0);
  CHECK(m.kernel().stats().local_invlpg == 1);  // one INVLPG per 2 MiB stride
}

TEST_CASE("the execute-only key is allocated once and hidden from pkey_free", "[kernel][pku]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  run(m, mmap(kBase, kPage, kX));
  const int key = m.kernel().execute_only_pkey();
  CHECK(key == 1);
  CHECK(m.kernel().pkru(0).access_disabled(1));
  isa::Instr free;
  free.op = isa::Op::kPkeyFree;
  free.key = key;
  CHECK(run(m, free).err == abi::kEinval);
  CHECK(run(m, pkey_alloc()).ret == 2);
}

TEST_CASE("a huge page over an old page table flushes the PSC before freeing it", "[kernel][mmu]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  const uint64_t base = 0x7f0000200000ull;  // 2 MiB aligned
  run(m, mmap(base, kPage, kRW));
  REQUIRE_FALSE(run(m, store(base)).fault);  // a page table for this 2 MiB region
  run(m, munmap(base, kPage));
  // A fault in the same region caches the PDE (pointing to the now empty table).
  CHECK(run(m, load(base + 5 * kPage)).si_code == abi::kSegvMaperr);
  REQUIRE(run(m, mmap(base, 2ull << 20, kRW, isa::kMapHuge2M)).err == 0);
  const sim::Outcome o = run(m, store(base + 5 * kPage));  // must walk the new 2 MiB leaf
  CHECK_FALSE(o.fault);
  isa::PageSize size;
  CHECK(PagingEntry{m.kernel().leaf_entry(base, &size)}.present());
  CHECK(size == isa::PageSize::k2M);
}

TEST_CASE("the none policy still flushes before freeing a page table", "[kernel][mmu]") {
  // Review finding: the PDE cache kept pointing at a freed table.
  sim::MachineConfig cfg = sim::machine_config(sim::Config::defaults());
  cfg.kernel.flush_policy = sim::FlushPolicy::kNone;
  sim::Machine m{cfg};
  const uint64_t base = 0x7f0000000000ull;
  run(m, mmap(base, kPage, kRW, isa::kMapPopulate));
  run(m, munmap(base, kPage));
  REQUIRE(run(m, mmap(base, 2ull << 20, kRW, isa::kMapHuge2M)).err == 0);
  CHECK_FALSE(run(m, load(base + kPage)).fault);
}

TEST_CASE("MAP_POPULATE of a huge page over an old page table populates it", "[kernel]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  const uint64_t base = 0x7f0000000000ull;
  run(m, mmap(base, kPage, kRW, isa::kMapPopulate));
  run(m, munmap(base, kPage));
  run(m, mmap(base, 2ull << 20, kRW, isa::kMapHuge2M | isa::kMapPopulate));
  CHECK(m.kernel().stats().populated_pages == 2);  // the 4K page, then the 2M page
  const uint64_t faults = m.mmu_totals().page_faults;
  CHECK_FALSE(run(m, load(base + kPage)).fault);
  CHECK(m.mmu_totals().page_faults == faults);  // no demand fault
}

TEST_CASE("mmap PROT_EXEC takes the execute-only key even when the split then fails",
          "[kernel][pku]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  const uint64_t huge = 0x7f0000200000ull;
  run(m, mmap(huge, 2ull << 20, kRW, isa::kMapHuge2M));
  CHECK(run(m, mmap(huge + kPage, kPage, kX)).err == abi::kEinval);  // splits the hugetlb VMA
  CHECK(m.kernel().execute_only_pkey() == 1);                        // do_mmap allocated it first
  CHECK(run(m, pkey_alloc()).ret == 2);
}

TEST_CASE("a 1 GiB page over old 4K tables gives back the PD and its PTs", "[kernel]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  const uint64_t base = 0x7f0040000000ull;  // 1 GiB aligned
  run(m, mmap(base, kPage, kRW, isa::kMapPopulate));
  run(m, mmap(base + (4ull << 20), kPage, kRW, isa::kMapPopulate));  // a second PT
  run(m, munmap(base, 8ull << 20));
  const uint64_t tables = m.phys_mem().frames_in_use(isa::PageSize::k4K);
  REQUIRE(run(m, mmap(base, 1ull << 30, kRW, isa::kMapHuge1G | isa::kMapPopulate)).err == 0);
  CHECK(m.phys_mem().frames_in_use(isa::PageSize::k4K) == tables - 3);  // the PD and two PTs
  CHECK_FALSE(run(m, load(base + (4ull << 20))).fault);
  isa::PageSize size;
  CHECK(PagingEntry{m.kernel().leaf_entry(base + 123, &size)}.present());
  CHECK(size == isa::PageSize::k1G);
}
