// The timing model against analytic expectations (issue: timing model).
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "sim/config/config.h"
#include "test_support.h"

using namespace pkusim;
using json = nlohmann::ordered_json;

namespace {

/// The statistics of `trace` on the timed system, default preset plus `sets`.
json run_timed(const std::string& trace, const std::vector<std::string>& sets = {}) {
  return test::run_stats(trace, sets);
}

uint64_t cycles(const json& r) { return r["total"]["cycles"].get<uint64_t>(); }

std::string repeat(const std::string& line, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += line;
  return s;
}

}  // namespace

TEST_CASE("a compute-only trace runs at IPC = dispatch width", "[core]") {
  for (const int width : {2, 4}) {
    const json r = run_timed("compute 100000\n", {fmt::format("core.dispatch_width={}", width),
                                                  fmt::format("core.retire_width={}", width)});
    CHECK(r["total"]["instructions"] == 100000);
    CHECK(r["total"]["ipc"].get<double>() == Approx(width).epsilon(0.001));
    CHECK(r["total"]["cycle_stack"]["base"].get<uint64_t>() == cycles(r));
  }
}

namespace {
// Tiny caches and TLBs, no paging-structure caches: every level misses.
const std::vector<std::string> kColdMachine = {
    "cache.l1d.size_bytes=1024", "cache.l1d.ways=2",          "cache.l2.size_bytes=2048",
    "cache.l2.ways=2",           "cache.llc.size_bytes=4096", "cache.llc.ways=2",
    "tlb.l1d_4k.entries=4",      "tlb.stlb.entries=4",        "tlb.stlb.ways=4",
    "mmu.psc_pml4_entries=0",    "mmu.psc_pdpt_entries=0",    "mmu.psc_pde_entries=0"};

std::string spread_pages(int n, const char* op) {
  // One page every 2 MiB + 4 KiB: each access has its own page table line.
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += fmt::format("{} {:#x} 8\n", op, 0x7f0000000000ull + uint64_t(i) * (0x201000ull));
  }
  return s;
}
}  // namespace

TEST_CASE("a dependent chase missing every level costs DRAM plus the walk per load",
          "[core][mmu]") {
  // The trace format carries no register dependences: a dependent chase is a
  // core that cannot overlap loads (one ROB entry).
  constexpr int kLoads = 256;
  const std::string setup = fmt::format("mmap 0x7f0000000000 {} rw\n", 0x201000ull * kLoads) +
                            spread_pages(kLoads, "store");
  std::vector<std::string> sets = kColdMachine;
  sets.push_back("core.rob_entries=1");
  const json warm = run_timed(setup, sets);
  const json full = run_timed(setup + spread_pages(kLoads, "load"), sets);
  const double per_load = double(cycles(full) - cycles(warm)) / kLoads;
  const json& core = full["cores"][0];
  const double walks =
      core["walks"]["started"].get<double>() - warm["cores"][0]["walks"]["started"].get<double>();
  CHECK(walks == kLoads);  // every load missed both TLB levels
  const double walk_cycles = (core["walks"]["memory_cycles"].get<double>() -
                              warm["cores"][0]["walks"]["memory_cycles"].get<double>()) /
                             kLoads;
  const double dram = 208 + 50;  // DRAM beyond the LLC, plus the LLC latency
  CHECK(walk_cycles >= dram);    // at least the PT entry came from DRAM
  const double expected = 9 /* STLB */ + walk_cycles + dram;
  CHECK(per_load == Approx(expected).epsilon(0.03));
}

TEST_CASE("independent loads that miss are bounded by the MSHRs", "[core]") {
  // 2 MiB pages all fit the L1 DTLB, so only the data misses.
  constexpr int kLoads = 2000;
  std::string setup = "mmap 0x7f0000000000 64M rw huge2m populate\n";
  for (int p = 0; p < 32; ++p)
    setup += fmt::format("load {:#x} 8\n", 0x7f0000000000ull + p * 0x200000ull);
  std::string body;
  for (int i = 0; i < kLoads; ++i) {
    const uint64_t off = (uint64_t(i) * 0x9E3779B1ull % (64ull << 20)) & ~uint64_t{63};
    body += fmt::format("load {:#x} 8\n", 0x7f0000000000ull + off);
  }
  std::vector<std::string> sets = kColdMachine;
  for (const int mshrs : {1, 4, 12}) {
    sets.push_back(fmt::format("core.l1d_mshrs={}", mshrs));
    const double delta =
        double(cycles(run_timed(setup + body, sets)) - cycles(run_timed(setup, sets)));
    const double latency = 50 + 208;
    INFO("mshrs " << mshrs);
    CHECK(delta / kLoads == Approx(latency / mshrs).epsilon(0.1));
    sets.pop_back();
  }
}

TEST_CASE("a WRPKRU loop costs the configured latency each and invalidates nothing",
          "[core][pku]") {
  for (const int lat : {25, 60}) {
    const json base = run_timed("compute 1\n", {fmt::format("core.wrpkru_latency_cycles={}", lat)});
    const json r = run_timed("compute 1\n" + repeat("wrpkru 0x55555550\nwrpkru 0x55555554\n", 500),
                             {fmt::format("core.wrpkru_latency_cycles={}", lat)});
    CHECK(double(cycles(r) - cycles(base)) / 1000 == Approx(lat).epsilon(0.01));
    const json& inv = r["processes"][0]["invalidations"];
    CHECK(inv["local_invlpg"] == 0);
    CHECK(inv["local_full_flushes"] == 0);
    CHECK(inv["shootdowns"] == 0);
    CHECK(r["total"]["cycle_stack"]["wrpkru"].get<uint64_t>() > 0);
  }
}

TEST_CASE("mprotect of n pages: INVLPG to 33, one full flush from 34; IPIs hit the other core",
          "[kernel][core]") {
  std::vector<uint64_t> cost(65);
  for (int n = 1; n <= 64; ++n) {
    const std::string trace = "mmap 0x7f0000000000 256K rw populate\n" +
                              fmt::format("mprotect 0x7f0000000000 {} r\n", n * 4096);
    const json r = run_timed(trace);
    const json& p = r["processes"][0];
    cost[n] = p["syscalls"]["mprotect"]["cycles"].get<uint64_t>();
    INFO("n = " << n);
    if (n <= 33) {
      CHECK(p["invalidations"]["local_invlpg"] == n);
      CHECK(p["invalidations"]["local_full_flushes"] == 0);
    } else {
      CHECK(p["invalidations"]["local_invlpg"] == 0);
      CHECK(p["invalidations"]["local_full_flushes"] == 1);
    }
    CHECK(p["invalidations"]["ipis"] == 0);
    // Each page costs more (n = 64 covers the whole VMA: no split to pay) ...
    if (n > 1 && n != 34 && n != 64) CHECK(cost[n] > cost[n - 1]);
  }
  CHECK(cost[34] + 5000 < cost[33]);  // ... until the full flush replaces 33 INVLPGs

  // A second thread running on another core: both cores pay.
  const json r = run_timed(
      "mmap 0x7f0000000000 256K rw populate\nthread 1\nload 0x7f0000000000 8\n"
      "thread 0\nmprotect 0x7f0000000000 16K r\nmprotect 0x7f0000000000 200K r\n");
  const json& p = r["processes"][0];
  CHECK(p["invalidations"]["shootdowns"] == 2);
  CHECK(p["invalidations"]["ipis"] == 2);
  CHECK(p["invalidations"]["remote_invlpg"] == 4);
  CHECK(p["invalidations"]["remote_full_flushes"] == 1);
  CHECK(r["cores"][0]["cycle_stack"]["shootdown"].get<uint64_t>() > 2000);
  CHECK(r["cores"][1]["interrupts"]["count"] == 2);
  CHECK(r["cores"][1]["interrupts"]["cycles"].get<uint64_t>() >= 2 * 1500);
}

TEST_CASE("after a full flush the next accesses miss the TLB and are walked", "[mmu][kernel]") {
  std::string touch;
  for (int i = 0; i < 48; ++i) touch += fmt::format("load {:#x} 8\n", 0x7f0000000000ull + i * 4096);
  const std::string setup = "mmap 0x7f0000000000 512K rw populate\n" + touch;
  const auto w = [](const json& r) { return r["cores"][0]["walks"]["started"].get<uint64_t>(); };
  const auto wc = [](const json& r) {
    return r["cores"][0]["walks"]["memory_cycles"].get<uint64_t>();
  };
  // mprotect of pages the loads never touched, from page 64 on.
  const auto phase = [&](int pages) {
    const std::string mp = fmt::format("mprotect 0x7f0000040000 {} r\n", pages * 4096);
    return std::make_pair(run_timed(setup + mp), run_timed(setup + mp + touch));
  };
  const auto [inv_before, inv_after] = phase(2);
  CHECK(inv_after["processes"][0]["invalidations"]["local_invlpg"] == 2);
  CHECK(w(inv_after) == w(inv_before));  // INVLPG of two other pages: the 48 stay cached
  const auto [full_before, full_after] = phase(40);
  CHECK(full_after["processes"][0]["invalidations"]["local_full_flushes"] == 1);
  CHECK(w(full_after) - w(full_before) == 48);  // a full flush: all are walked again
  CHECK(wc(full_after) > wc(full_before));
  CHECK(full_after["cores"][0]["cycle_stack"]["page_walk"].get<uint64_t>() >
        full_before["cores"][0]["cycle_stack"]["page_walk"].get<uint64_t>());
}

TEST_CASE("the same run twice gives byte-identical JSON", "[report]") {
  const std::string trace =
      "mmap 0x7f0000000000 1M rw\nthread 1\n" + spread_pages(64, "store") +
      "thread 0\npkey_alloc\npkey_mprotect 0x7f0000000000 1M rw 1\nload 0x7f0000001000 8\n"
      "wrpkru 0\nload 0x7f0000001000 8\nmprotect 0x7f0000000000 64K r\n";
  const json a = test::run_report({trace}), b = test::run_report({trace});
  CHECK(a.dump() == b.dump());
  CHECK(a.contains("config"));
  CHECK(a["schema"] == "pkusim.report");
  CHECK(a["version"] == 2);
  CHECK(a["stats"]["total"].contains("instructions"));
  CHECK(a["stats"]["total"].contains("cycles"));
}

TEST_CASE("flush policy none counts stale-permission accesses", "[kernel][pku]") {
  const std::string trace =
      "mmap 0x7f0000000000 16K rw populate\nstore 0x7f0000000000 8\n"
      "mprotect 0x7f0000000000 16K r\nstore 0x7f0000000000 8\nstore 0x7f0000000000 8\n";
  const json linux = run_timed(trace);
  const json none = run_timed(trace, {"kernel.flush_policy=none"});
  CHECK(linux["processes"][0]["mmu"]["stale_permission_accesses"] == 0);
  CHECK(linux["processes"][0]["faults"]["total"] == 2);
  CHECK(none["processes"][0]["mmu"]["stale_permission_accesses"] == 2);
  CHECK(none["processes"][0]["faults"]["total"] == 0);
  CHECK(none["processes"][0]["invalidations"]["skipped"] == 1);
}

TEST_CASE("several traces run as separate processes on their own cores", "[system]") {
  // Each process's first thread takes a core when the process is added (A:
  // core 0, B: core 1); A's thread 2 takes the next free core (2) when it
  // is created.
  const std::string a =
      "mmap 0x7f0000000000 64K rw populate\nthread 2\nload 0x7f0000000000 8\nthread 0\n"
      "mprotect 0x7f0000000000 64K r\n";
  const std::string b =
      "mmap 0x7f0000000000 64K rw populate\nstore 0x7f0000000000 8\ncompute 100\n";
  const json r = test::run_report({a, b})["stats"];
  REQUIRE(r["cores"].size() == 3);
  CHECK(r["cores"][0]["process"] == 0);
  CHECK(r["cores"][0]["thread"] == 0);
  CHECK(r["cores"][1]["process"] == 1);
  CHECK(r["cores"][1]["thread"] == 0);
  CHECK(r["cores"][2]["process"] == 0);
  CHECK(r["cores"][2]["thread"] == 2);
  // Same virtual address, separate page tables: B's store is not affected by
  // A's mprotect, and A's shootdown reaches only A's other core.
  CHECK(r["processes"][1]["faults"]["total"] == 0);
  CHECK(r["processes"][0]["invalidations"]["ipis"] == 1);
  CHECK(r["cores"][2]["interrupts"]["count"] == 1);
  CHECK(r["cores"][1]["interrupts"]["count"] == 0);
  CHECK(r["processes"][1]["instructions"] == 102);
  // A process's TLB statistics are the sum of its cores'.
  CHECK(r["processes"][0]["tlb"]["data"]["lookups"] ==
        r["cores"][0]["tlb"]["data"]["lookups"].get<uint64_t>() +
            r["cores"][2]["tlb"]["data"]["lookups"].get<uint64_t>());
}

TEST_CASE("the flush ceiling is a parameter", "[kernel]") {
  const std::string trace = "mmap 0x7f0000000000 64K rw populate\nmprotect 0x7f0000000000 8K r\n";
  const json linux = run_timed(trace);
  const json zero = run_timed(trace, {"kernel.flush_ceiling=0"});
  const json big = run_timed("mmap 0x7f0000000000 1M rw populate\nmprotect 0x7f0000000000 1M r\n",
                             {"kernel.flush_ceiling=1000"});
  CHECK(linux["processes"][0]["invalidations"]["local_invlpg"] == 2);
  CHECK(zero["processes"][0]["invalidations"]["local_full_flushes"] == 1);
  CHECK(zero["processes"][0]["invalidations"]["local_invlpg"] == 0);
  CHECK(big["processes"][0]["invalidations"]["local_invlpg"] == 256);
}

TEST_CASE("compute N in closed form matches N single instructions", "[core]") {
  const std::string setup = "mmap 0x7f0000000000 1M rw populate\n" + spread_pages(4, "load");
  const json batch = run_timed(setup + "compute 20000\n" + spread_pages(4, "load"));
  const json single = run_timed(setup + repeat("compute 1\n", 20000) + spread_pages(4, "load"));
  CHECK(batch["total"]["instructions"] == single["total"]["instructions"]);
  const double a = double(cycles(batch)), b = double(cycles(single));
  CHECK(a == Approx(b).epsilon(0.001));
  // And huge counts take no time: 10^12 instructions at IPC 4.
  const json huge = run_timed("compute 1000000000000\n");
  CHECK(cycles(huge) == Approx(2.5e11).epsilon(1e-6));
}

TEST_CASE("review findings of the timed system stay fixed", "[system]") {
  // A fault on a TLB hit (PKU denied) is not a page walk.
  const json pk = run_timed(
      "mmap 0x7f0000000000 4K rw populate\nload 0x7f0000000000 8\n"
      "wrpkru 0x55555557\n" +
      repeat("load 0x7f0000000000 8\n", 10));
  // The first denied load hits the TLB (no walk); its #PF drops the entry,
  // so each later one walks: 1 + 9. The timed count equals the MMU's.
  CHECK(pk["cores"][0]["walks"]["started"] == 10);
  CHECK(pk["cores"][0]["walks"]["started"] == pk["processes"][0]["walks"]["started"]);
  CHECK(pk["processes"][0]["faults"]["total"] == 10);
  // A system call whose fetch faults is not charged as a call.
  const json sc = run_timed("mmap 0x7f0000000000 4K rw @0x400000\n");
  CHECK(sc["processes"][0]["syscalls"]["mmap"]["calls"] == 0);
  CHECK(sc["processes"][0]["syscalls"]["mmap"]["cycles"] == 0);
  CHECK(sc["total"]["cycle_stack"]["syscall"] == 0);
}
