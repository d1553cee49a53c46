// Sweep specs: expansion (axes, zipped axes, seeds), stable run ids, and
// one test per kind of bad spec.
#include "sim/study/sweep.h"

#include <catch2/catch.hpp>
#include <set>

#include "sim/config/config.h"

using namespace pkusim;

namespace {

study::Sweep parse(const std::string& text) { return study::parse_sweep(text, "w.json", "."); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kKv = R"("workloads": ["gen:kv-store:operations=10"])";

}  // namespace

TEST_CASE("a sweep expands workloads x axes x zipped axes x seeds, ids stable", "[sweep]") {
  const std::string text = R"({
    "workloads": ["gen:kv-store:operations=10", {"name": "p", "input": "gen:pmem:bursts=2"}],
    "axes": {"system.cores": [2, 4]},
    "zip": [{"tlb.stlb.entries": [768, 1536], "tlb.stlb.ways": [12, 12]}],
    "seeds": [5, 6, 7],
    "metrics": ["cycles", "processes.0.page_faults.minor", "whole.total.cycles"]})";
  const study::Sweep s = parse(text);
  REQUIRE(s.runs.size() == 2 * 2 * 2 * 3);
  CHECK(s.axis_columns ==
        std::vector<std::string>{"seed", "system.cores", "tlb.stlb.entries", "tlb.stlb.ways"});
  const study::SweepRun& r = s.runs[4];  // kv-store, 2 cores, the second zip point, seed 6
  CHECK(r.workload == "kv-store");
  CHECK(*r.seed == 6);
  CHECK(r.axes == std::vector<std::pair<std::string, std::string>>{{"system.cores", "2"},
                                                                   {"tlb.stlb.entries", "1536"},
                                                                   {"tlb.stlb.ways", "12"}});
  CHECK(r.config.get_int("tlb.stlb.entries") == 1536);
  CHECK(r.input.find("seed=6") != std::string::npos);
  CHECK(s.runs[12].workload == "p");
  std::set<std::string> ids;
  for (const auto& run : s.runs) {
    CHECK(run.id.size() == 16);
    ids.insert(run.id);
  }
  CHECK(ids.size() == s.runs.size());
  // The id is a function of what runs, not of where it sits in the spec.
  const study::Sweep again = parse(R"({
    "workloads": [{"name": "p", "input": "gen:pmem:bursts=2"}, "gen:kv-store:operations=10"],
    "axes": {"system.cores": [4, 2]},
    "zip": [{"tlb.stlb.entries": [1536, 768], "tlb.stlb.ways": [12, 12]}],
    "seeds": [7, 6, 5]})");
  std::set<std::string> ids2;
  for (const auto& run : again.runs) ids2.insert(run.id);
  CHECK(ids2 == ids);
  CHECK(parse(text).runs[4].id == r.id);
}

TEST_CASE("a bad sweep spec is an error naming the JSON path", "[sweep][bad]") {
  struct Case {
    const char* what;
    std::string spec;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"not JSON", "[", "w.json: not valid JSON"},
      {"unknown key", R"({"workload": []})",
       "w.json: workload: unknown key: did you mean 'workloads'?"},
      {"no workloads", R"({"axes": {}})", "workloads: required, missing"},
      {"empty workloads", R"({"workloads": []})", "workloads: expected a non-empty array"},
      {"bad generator", R"({"workloads": ["gen:kv"]})", "workloads[0]: unknown generator 'kv'"},
      {"bad generator parameter", R"({"workloads": ["gen:kv-store:wrk=1"]})",
       "workloads[0]: kv-store: unknown parameter 'wrk'"},
      {"missing trace", R"({"workloads": ["no/such.trace"]})",
       "workloads[0]: no/such.trace: no such trace file"},
      {"unknown format", R"({"workloads": [{"input": "gen:kv-store", "format": "pin"}]})",
       "workloads[0].format: unknown format 'pin'"},
      {"same name twice", R"({"workloads": ["gen:kv-store", "gen:kv-store:writes=1"]})",
       "workloads[1]: the name 'kv-store' is also workloads[0]'s"},
      {"unknown config path", "{" + kKv + R"(, "axes": {"tlb.stlb.entrie": [64]}})",
       "axes.tlb.stlb.entrie[0]: tlb.stlb.entrie: unknown key (did you mean tlb.stlb.entries?)"},
      {"bad config value", "{" + kKv + R"(, "axes": {"system.cores": [0]}})",
       "axes.system.cores[0]: system.cores"},
      {"parameter of no workload",
       R"({"workloads": ["gen:kv-store", "gen:pmem"], "axes": {"writes": [0.5]}})",
       "axes.writes: 'writes' is not a config path (those have a dot) nor a parameter of workload "
       "'pmem'"},
      {"bad parameter value", "{" + kKv + R"(, "axes": {"writes": [2]}})",
       "axes.writes[0]: kv-store: writes=2: out of range"},
      {"axis not an array", "{" + kKv + R"(, "axes": {"writes": 0.5}})",
       "axes.writes: expected a non-empty array of values"},
      {"seed as an axis", "{" + kKv + R"(, "axes": {"seed": [1]}})",
       "axes.seed: seeds are the spec's \"seeds\""},
      {"zip of one", "{" + kKv + R"(, "zip": [{"writes": [0.1]}]})",
       "zip[0]: expected an object of at least two axes"},
      {"zip of unequal lengths", "{" + kKv + R"(, "zip": [{"writes": [0.1, 0.2], "work": [1]}]})",
       "zip[0].work: 1 values, but writes has 2: zipped axes move together"},
      {"zip point invalid together",
       "{" + kKv + R"(, "zip": [{"tlb.stlb.entries": [512], "tlb.stlb.ways": [12]}]})",
       "zip[0] (values [0]): tlb.stlb.entries: 512 entries / 12 ways"},
      {"axis twice",
       "{" + kKv + R"(, "axes": {"work": [1]}, "zip": [{"work": [2], "writes": [0.1]}]})",
       "zip[0].work: 'work' is already an axis"},
      {"negative seed", "{" + kKv + R"(, "seeds": [-1]})",
       "seeds[0]: expected a non-negative integer"},
      {"seeds of a trace",
       R"({"workloads": [")" + std::string(PKUSIM_SOURCE_DIR) +
           R"(/traces/examples/secret-key.trace"], "seeds": [1]})",
       "seeds: workload 'secret-key' is a trace file: it has no seed"},
      {"unknown metric", "{" + kKv + R"(, "metrics": ["cycels"]})",
       "metrics[0]: unknown metric 'cycels'"},
      {"unknown statistic", "{" + kKv + R"(, "metrics": ["processes.0.page_faults.minr"]})",
       "metrics[0]: unknown metric 'processes.0.page_faults.minr'"},
      {"metric twice", "{" + kKv + R"(, "metrics": ["cycles", "cycles"]})",
       "metrics[1]: 'cycles' is listed twice"},
      {"the same run twice",
       R"({"workloads": ["gen:kv-store", {"name": "b", "input": "gen:kv-store"}]})",
       "runs 0 and 1 are the same run"},
      {"unknown config", R"({"config": "zen4", )" + kKv + "}", "w.json: config: zen4: cannot open"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      const std::string e = error_of(c.spec);
      INFO("error: " << e);
      CHECK(e.find(c.error) != std::string::npos);
    }
  }
}

TEST_CASE("the example sweeps are valid", "[sweep]") {
  for (const char* f : {"stlb-size", "shootdown-scaling", "region-page"}) {
    INFO(f);
    const study::Sweep s =
        study::load_sweep(std::string(PKUSIM_SOURCE_DIR) + "/configs/sweeps/" + f + ".json");
    CHECK(s.runs.size() >= 8);
  }
}
