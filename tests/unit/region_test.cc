// Regions of interest, --skip, --warmup and --max-instructions.
#include <catch2/catch.hpp>

#include "test_support.h"
#include "traces/trace_error.h"

using namespace pkusim;
using json = nlohmann::ordered_json;

namespace {

const std::string kSetup =
    "mmap 0x7f0000000000 64K rw populate\npkey_alloc\npkey_mprotect 0x7f0000000000 64K rw 1\n";

json run_limited(const std::string& trace, sim::RunLimits limits,
                 sim::Mode mode = sim::Mode::kTiming) {
  test::TempTrace t(trace);
  sim::Simulation s(test::config_with({}), mode);
  s.add_input(t.path());
  s.set_limits(limits);
  s.run();
  return sim::report_json(s);
}

}  // namespace

TEST_CASE("the region of interest is reported beside the whole run", "[report][roi]") {
  const std::string trace = kSetup + "roi begin\n" +
                            "wrpkru 0x55555550\nload 0x7f0000000000 8\nwrpkru 0x55555554\n" +
                            "roi end\nmprotect 0x7f0000000000 64K r\n";
  for (const auto mode : {sim::Mode::kTiming, sim::Mode::kFunctional}) {
    const json r = test::run_report({trace}, {}, mode);
    REQUIRE(r.contains("roi"));
    const json& roi = r["roi"]["stats"]["processes"][0];
    const json& all = r["stats"]["processes"][0];
    CHECK(r["roi"]["begin_instruction"] == 3);
    CHECK(r["roi"]["end_instruction"] == 6);
    CHECK(roi["instructions"] == 3);
    CHECK(roi["pkru"]["wrpkru"] == 2);
    CHECK(roi["syscalls"]["mprotect"]["calls"] == 0);
    CHECK(roi["syscalls"]["mmap"]["calls"] == 0);
    CHECK(all["instructions"] == 7);
    CHECK(all["syscalls"]["mprotect"]["calls"] == 1);
    if (mode == sim::Mode::kTiming) {
      // The region's cycles are the work's, far fewer than the set-up's.
      const uint64_t roi_cycles = r["roi"]["stats"]["total"]["cycles"].get<uint64_t>();
      CHECK(roi_cycles > 0);
      CHECK(roi_cycles * 10 < r["stats"]["total"]["cycles"].get<uint64_t>());
      CHECK(r["roi"]["stats"]["total"]["cycle_stack"]["syscall"] == 0);
    }
  }
}

TEST_CASE("a region left open closes at the end of the trace", "[report][roi]") {
  const json r = test::run_report({kSetup + "roi begin\ncompute 10\nload 0x7f0000000000 8\n"});
  REQUIRE(r.contains("roi"));
  CHECK(r["roi"]["stats"]["total"]["instructions"] == 11);
}

TEST_CASE("no markers, no region", "[report][roi]") {
  CHECK_FALSE(test::run_report({kSetup + "compute 5\n"}).contains("roi"));
}

TEST_CASE("skipped and warm-up instructions are outside the statistics", "[report][limits]") {
  const std::string trace = kSetup + "compute 1000\nload 0x7f0000000000 8\ncompute 500\n";
  const json whole = run_limited(trace, {});
  const json skipped = run_limited(trace, {3, 0, 0});
  const json warmed = run_limited(trace, {0, 3, 0});
  CHECK(whole["stats"]["total"]["instructions"] == 1504);
  CHECK(skipped["stats"]["total"]["instructions"] == 1501);
  CHECK(warmed["stats"]["total"]["instructions"] == 1501);
  // The set-up's system calls are not measured either way.
  CHECK(skipped["stats"]["processes"][0]["syscalls"]["mmap"]["calls"] == 0);
  CHECK(warmed["stats"]["processes"][0]["syscalls"]["mmap"]["calls"] == 0);
  // Skipped instructions take no simulated time; warm-up ones do, but are
  // not counted: both measure the same work.
  const uint64_t cycles_whole = whole["stats"]["total"]["cycles"].get<uint64_t>();
  const uint64_t cycles_skip = skipped["stats"]["total"]["cycles"].get<uint64_t>();
  const uint64_t cycles_warm = warmed["stats"]["total"]["cycles"].get<uint64_t>();
  CHECK(cycles_skip < cycles_whole);
  CHECK(cycles_warm < cycles_whole);
  CHECK(skipped["measured"]["begin_instruction"] == 3);
  CHECK(skipped["measured"]["skip_instructions"] == 3);
}

TEST_CASE("an instruction limit stops the run", "[report][limits]") {
  const json r = run_limited(kSetup + "compute 1\ncompute 1\ncompute 1\ncompute 1\ncompute 1\n",
                             {0, 3, 2});
  CHECK(r["stats"]["total"]["instructions"] == 2);
  CHECK(r["measured"]["end_instruction"] == 5);
}

TEST_CASE("a trace shorter than its warm-up is an error", "[report][limits][bad]") {
  test::TempTrace t(kSetup);
  sim::Simulation s(test::config_with({}), sim::Mode::kTiming);
  s.add_input(t.path());
  s.set_limits({0, 100, 0});
  CHECK_THROWS_AS(s.run(), traces::TraceError);
}
