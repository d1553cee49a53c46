// The use-case generators: deterministic, variants that differ only in their
// protection, traps that fault, a Zipf sampler with the right distribution,
// and GiB-scale regions that cost what their touched pages cost.
#include "traces/gen/workload.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "test_support.h"
#include "traces/gen/generator.h"

using namespace pkusim;

namespace {

// Small versions of each use case: every path of the generator, quickly.
const std::vector<std::string> kSmall = {
    "crypto-key:records=40,record_bytes=256,secrets=3,threads=2",
    "kv-store:operations=400,writes=0.3,work=20,region_bytes=64M,threads=2",
    "kv-store:operations=200,keys=uniform,region_bytes=64M,page=2m",
    "kv-store:operations=300,writes=0.5,stray_writes=0.1,region_bytes=16M",
    "pmem:bursts=6,reads=50,region_bytes=256M,extent_max=16K",
    "watchpoint:accesses=3000,objects=2000,watched=0.01,trap_rate=0.05,threads=2",
    "gigabytes:region_bytes=8M,flips=3,touch=20",
};

std::vector<isa::Instr> records(const std::string& invocation) {
  const auto [g, args] = traces::parse_invocation(invocation);
  auto src = g->make(args);
  std::vector<isa::Instr> out;
  isa::Instr r;
  while (src->next(r)) out.push_back(r);
  return out;
}

bool same(const isa::Instr& a, const isa::Instr& b) {
  return a.op == b.op && a.size == b.size && a.prot == b.prot && a.flags == b.flags &&
         a.expect == b.expect && a.has_ip == b.has_ip && a.key == b.key && a.addr == b.addr &&
         a.len == b.len && a.value == b.value && a.ip == b.ip;
}

bool is_fault_expect(const isa::Instr& r) {
  return r.op == isa::Op::kExpect &&
         (r.expect == isa::ExpectKind::kAccerr || r.expect == isa::ExpectKind::kPkuerr);
}

// What is left of a trace without its protection: the records of the
// protection's code (system calls, WRPKRU, the signal handler), the checks
// that follow them, the trapped accesses with their fault checks, and the
// program's stray writes (which only the protected variants catch).
std::vector<isa::Instr> strip(const std::vector<isa::Instr>& in) {
  const auto protection = [](const isa::Instr& r) {
    return r.has_ip && r.ip >= traces::kProtectionCode &&
           r.ip < traces::kProtectionCode + traces::kCodeBytes;
  };
  const auto stray = [](const isa::Instr& r) {
    return r.has_ip && r.ip >= traces::kStrayCode && r.ip < traces::kStrayCode + 256;
  };
  std::vector<isa::Instr> out;
  bool dropped = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const isa::Instr& r = in[i];
    if (r.op == isa::Op::kExpect) {
      if (!dropped) out.push_back(r);
      continue;
    }
    dropped = protection(r) || stray(r) || (i + 1 < in.size() && is_fault_expect(in[i + 1]));
    if (!dropped) out.push_back(r);
  }
  return out;
}

std::string with_variant(const std::string& inv, const std::string& v) {
  return inv + ",variant=" + v;
}

}  // namespace

TEST_CASE("a use-case generator gives the same records for the same seed", "[gen][workload]") {
  for (const std::string& inv : kSmall) {
    INFO(inv);
    const auto a = records(inv + ",seed=7");
    const auto b = records(inv + ",seed=7");
    REQUIRE(a.size() == b.size());
    bool equal = true;
    for (size_t i = 0; i < a.size(); ++i) equal = equal && same(a[i], b[i]);
    CHECK(equal);
    const auto c = records(inv + ",seed=8");
    bool differ = c.size() != a.size();
    for (size_t i = 0; !differ && i < a.size(); ++i) differ = !same(a[i], c[i]);
    CHECK(differ);
  }
}

TEST_CASE("the variants of a use case differ only in their protection", "[gen][workload]") {
  for (const std::string& inv : kSmall) {
    const auto base = records(with_variant(inv, "none"));
    const auto base_stripped = strip(base);
    if (inv.find("stray") == std::string::npos) {
      CHECK(base_stripped.size() == base.size());  // the baseline has nothing to strip
    }
    for (const char* v : {"mprotect", "pkey_mprotect", "wrpkru"}) {
      INFO(inv << " variant " << v);
      const auto full = records(with_variant(inv, v));
      const auto s = strip(full);
      CHECK(full.size() > s.size());  // it does protect something
      REQUIRE(s.size() == base_stripped.size());
      size_t first_difference = s.size();
      for (size_t i = 0; i < s.size() && first_difference == s.size(); ++i) {
        if (!same(s[i], base_stripped[i])) first_difference = i;
      }
      CHECK(first_difference == s.size());
    }
  }
}

TEST_CASE("use-case traces replay with every check passing and setup outside the ROI",
          "[gen][workload]") {
  for (const std::string& inv : kSmall) {
    for (const char* v : {"none", "mprotect", "pkey_mprotect", "wrpkru"}) {
      INFO(inv << " variant " << v);
      sim::Simulation s(test::config_with({}), sim::Mode::kFunctional);
      s.add_input("gen:" + with_variant(inv, v));
      s.run();
      const stats::Snapshot all = s.stats();
      CHECK(all.get("processes.0.expectations.failed") == 0);
      CHECK(all.get("processes.0.expectations.checked") > 0);
      const auto roi = s.roi_stats();
      REQUIRE(roi);
      // No mapping, key allocation or demand paging in the region of interest;
      // but opening hugetlb pages with mprotect leaves them read-only until
      // a write fault, each time (mm/hugetlb.c hugetlb_change_protection).
      CHECK(roi->get("processes.0.syscalls.mmap.calls") == 0);
      CHECK(roi->get("processes.0.syscalls.pkey_alloc.calls") == 0);
      const bool huge = inv.find("page=2m") != std::string::npos;
      const bool reopened = std::string(v) == "mprotect" || std::string(v) == "pkey_mprotect";
      if (huge && reopened) {
        CHECK(roi->get("processes.0.page_faults.minor") ==
              roi->get("processes.0.page_faults.write_upgrades"));
        CHECK(roi->get("processes.0.page_faults.write_upgrades") > 0);
      } else {
        CHECK(roi->get("processes.0.page_faults.minor") == 0);
      }
      const uint64_t switches = roi->get("processes.0.pkru.wrpkru") +
                                roi->get("processes.0.syscalls.mprotect.calls") +
                                roi->get("processes.0.syscalls.pkey_mprotect.calls");
      CHECK((switches == 0) == (std::string(v) == "none"));
    }
  }
}

TEST_CASE("a watchpoint trap faults with the code of its protection", "[gen][workload]") {
  const std::string inv = "watchpoint:accesses=2000,objects=500,watched=0.01,trap_rate=0.1";
  const auto count_traps = [&](const std::string& v) {
    uint64_t n = 0;
    for (const auto& r : records(with_variant(inv, v))) n += is_fault_expect(r);
    return n;
  };
  const uint64_t traps = count_traps("mprotect");
  CHECK(traps > 150);
  CHECK(traps < 250);  // about 10% of 2000
  CHECK(count_traps("wrpkru") == traps);
  for (const char* v : {"mprotect", "pkey_mprotect", "wrpkru"}) {
    INFO(v);
    sim::Simulation s(test::config_with({}), sim::Mode::kFunctional);
    s.add_input("gen:" + with_variant(inv, v));
    s.run();
    const auto roi = s.roi_stats();
    REQUIRE(roi);
    const std::string code = std::string(v) == "mprotect" ? "SEGV_ACCERR" : "SEGV_PKUERR";
    CHECK(roi->get("processes.0.faults.by_si_code." + code) == traps);
    CHECK(roi->get("processes.0.faults.total") == traps);
    // Two switches per trap: the handler opens and re-arms.
    CHECK(roi->get("processes.0.pkru.wrpkru") + roi->get("processes.0.syscalls.mprotect.calls") +
              roi->get("processes.0.syscalls.pkey_mprotect.calls") ==
          2 * traps);
  }
}

TEST_CASE("stray writes fault under protection and get through a stale TLB entry without flushes",
          "[gen][workload]") {
  const std::string inv =
      "gen:kv-store:operations=3000,writes=0.5,stray_writes=0.05,region_bytes=16M,variant=";
  const auto run = [&](const std::string& v, const std::string& policy) {
    sim::Simulation s(test::config_with({"kernel.flush_policy=" + policy}), sim::Mode::kTiming);
    s.add_input(inv + v + (policy == "none" ? ",expect=off" : ""));
    s.run();
    return *s.roi_stats();
  };
  const auto safe = run("mprotect", "linux");
  const uint64_t strays = safe.get("processes.0.faults.total");
  CHECK(strays > 100);  // about 5% of 3000
  CHECK(strays < 200);
  CHECK(safe.get("processes.0.faults.by_si_code.SEGV_ACCERR") == strays);
  CHECK(safe.get("processes.0.mmu.stale_permission_accesses") == 0);
  CHECK(run("wrpkru", "linux").get("processes.0.faults.by_si_code.SEGV_PKUERR") == strays);
  CHECK(run("none", "linux").get("processes.0.faults.total") == 0);
  // Without flushes, a page closed after an update keeps its writable entry:
  // some stray writes get through, and are counted.
  const auto unsafe = run("mprotect", "none");
  CHECK(unsafe.get("processes.0.mmu.stale_permission_accesses") > 0);
  CHECK(unsafe.get("processes.0.faults.total") +
            unsafe.get("processes.0.mmu.stale_permission_accesses") >=
        strays);
}

TEST_CASE("a bad use-case parameter is an error naming it", "[gen][workload]") {
  CHECK_THROWS_WITH(traces::parse_invocation("kv-store:variant=mpk"),
                    Catch::Contains("variant=mpk") && Catch::Contains("one of none, mprotect"));
  CHECK_THROWS_WITH(traces::parse_invocation("kv-store:writes=2"),
                    Catch::Contains("writes=2") && Catch::Contains("out of range"));
  CHECK_THROWS_WITH(records("pmem:extent_min=64K,extent_max=4K"),
                    Catch::Contains("extent_min <= extent_max"));
  CHECK_THROWS_AS(records("kv-store:value_bytes=65536,region_bytes=4K"), traces::GenError);
  CHECK_THROWS_WITH(records("kv-store:items=100,region_bytes=4K"),
                    Catch::Contains("items=100 do not fit"));
}

TEST_CASE("the Zipf sampler draws ranks with probability proportional to 1/k^s", "[gen]") {
  for (const double s : {0.5, 0.99, 1.0, 1.5}) {
    INFO("s = " << s);
    const uint64_t n = 1000;
    traces::ZipfSampler z(n, s);
    traces::Rng rng(3);
    std::vector<uint64_t> count(n + 1, 0);
    const unsigned draws = 200000;
    for (unsigned i = 0; i < draws; ++i) {
      const uint64_t k = z.sample(rng);
      REQUIRE(k >= 1);
      REQUIRE(k <= n);
      ++count[k];
    }
    double norm = 0;
    for (uint64_t k = 1; k <= n; ++k) norm += std::pow(double(k), -s);
    for (const uint64_t k : {1, 2, 10, 100}) {
      const double expected = draws * std::pow(double(k), -s) / norm;
      INFO("rank " << k << " expected " << expected << " got " << count[k]);
      CHECK(std::abs(double(count[k]) - expected) < 5 * std::sqrt(expected) + 1);
    }
  }
}

namespace {

struct Cost {
  double cpu_seconds;
  long max_rss_kb;
};

// Runs `invocation` in a child process and returns its CPU time and peak
// memory (getrusage of the child).
Cost cost_of(const std::string& invocation) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int rc = 0;
    try {
      sim::Simulation s(test::config_with({}), sim::Mode::kTiming);
      s.add_input("gen:" + invocation);
      s.run();
      rc = s.stats().get("processes.0.expectations.failed") == 0 ? 0 : 2;
    } catch (...) {
      rc = 3;
    }
    ::_exit(rc);
  }
  int status = 0;
  struct rusage ru;
  std::memset(&ru, 0, sizeof ru);
  REQUIRE(::wait4(pid, &status, 0, &ru) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const auto secs = [](const timeval& t) { return double(t.tv_sec) + t.tv_usec * 1e-6; };
  return {secs(ru.ru_utime) + secs(ru.ru_stime), ru.ru_maxrss};
}

}  // namespace

TEST_CASE("a 64 GiB region costs the host what its touched pages cost, not its size",
          "[gen][workload][scaling]") {
  // The same items and operations over a 1 GiB and a 64 GiB arena (the same
  // touched pages); the setup keys or closes the whole region. Best of two
  // runs each, against noise.
  const std::string common =
      "kv-store:operations=60000,items=200000,keys=uniform,writes=0.2,work=50,variant=";
  for (const char* v : {"mprotect", "wrpkru"}) {
    INFO(v);
    Cost small{1e9, 0}, big{1e9, 0};
    for (int i = 0; i < 2; ++i) {
      const Cost s = cost_of(common + v + ",region_bytes=1G");
      const Cost b = cost_of(common + v + ",region_bytes=64G");
      small = {std::min(small.cpu_seconds, s.cpu_seconds),
               std::max(small.max_rss_kb, s.max_rss_kb)};
      big = {std::min(big.cpu_seconds, b.cpu_seconds), std::max(big.max_rss_kb, b.max_rss_kb)};
    }
    INFO("1 GiB: " << small.cpu_seconds << " s, " << small.max_rss_kb
                   << " KiB; 64 GiB: " << big.cpu_seconds << " s, " << big.max_rss_kb << " KiB");
    CHECK(big.cpu_seconds < 1.5 * small.cpu_seconds + 0.05);
    CHECK(double(big.max_rss_kb) < 1.5 * double(small.max_rss_kb));
  }
}
