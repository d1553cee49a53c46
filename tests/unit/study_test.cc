// Study specs (expansion into runs and baselines, and one test per kind of
// bad spec) and the comparison arithmetic of `pkusim compare` and `study`.
#include <catch2/catch.hpp>
#include <set>

#include "sim/app/study_tables.h"
#include "sim/config/config.h"
#include "sim/study/metrics.h"
#include "sim/study/runner.h"
#include "sim/study/spec.h"

using namespace pkusim;

namespace {

study::Study parse(const std::string& text) { return study::parse_study(text, "s.json", "."); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string one(const std::string& experiment) {
  return R"({"experiments": [)" + experiment + "]}";
}

}  // namespace

TEST_CASE("a study spec expands into runs, each with the none run at its point", "[study]") {
  const study::Study s = parse(R"({
    "title": "t", "set": {"system.cores": 4},
    "experiments": [
      {"name": "a", "workloads": ["kv-store:operations=10"], "variants": ["none", "wrpkru"],
       "axes": {"work": [1, 2, 3], "kernel.flush_policy": ["linux", "none"]}},
      {"name": "b", "workloads": [{"gen": "pmem", "axes": {"region_bytes": ["1M", "2M"]}}]}
    ]})");
  REQUIRE(s.experiments.size() == 2);
  CHECK(s.config.get_int("system.cores") == 4);
  REQUIRE(s.runs.size() == 3 * 2 * 2 + 2 * 4);
  CHECK(s.axis_columns == std::vector<std::string>{"work", "kernel.flush_policy", "region_bytes"});
  // The first axis moves slowest; the variants innermost.
  CHECK(s.runs[0].id == "a/000-kv-store-none");
  CHECK(s.runs[0].axes == std::vector<std::pair<std::string, std::string>>{
                              {"work", "1"}, {"kernel.flush_policy", "linux"}});
  CHECK(s.runs[1].variant == "wrpkru");
  CHECK(s.runs[2].axes[1].second == "none");
  CHECK(s.runs[2].config.values()["kernel"]["flush_policy"] == "none");
  CHECK(s.runs[0].config.values()["kernel"]["flush_policy"] == "linux");
  for (size_t i = 0; i < s.runs.size(); ++i) {
    REQUIRE(s.runs[i].baseline);
    const study::StudyRun& b = s.runs[*s.runs[i].baseline];
    CHECK(b.variant == "none");
    CHECK(b.axes == s.runs[i].axes);
    CHECK(b.experiment == s.runs[i].experiment);
  }
  // Sizes are written in bytes; the invocation carries every parameter.
  CHECK(s.runs[12].axes[0] == std::pair<std::string, std::string>{"region_bytes", "1048576"});
  CHECK(s.runs[12].invocation.rfind("gen:pmem:variant=none,", 0) == 0);
  CHECK(s.runs[12].invocation.find("region_bytes=1M") != std::string::npos);
}

TEST_CASE("the bundled study spec is valid and covers every use case", "[study]") {
  const study::Study s =
      study::parse_study(std::string(study::bundled_spec_text()), study::kBundledSpecName, ".");
  std::set<std::string> generators;
  for (const auto& r : s.runs) generators.insert(r.generator);
  CHECK(generators ==
        std::set<std::string>{"crypto-key", "kv-store", "pmem", "watchpoint", "gigabytes"});
  for (const auto& e : s.experiments) CHECK(e.figure);
  for (const auto& r : s.runs) CHECK(r.baseline);
}

TEST_CASE("a bad study spec is an error naming the JSON path", "[study][bad]") {
  struct Case {
    const char* what;
    std::string spec;
    std::string error;
  };
  const std::string kv = R"("workloads": ["kv-store"])";
  const std::vector<Case> cases = {
      {"not JSON", "{", "s.json: not valid JSON"},
      {"unknown top-level key", R"({"experiment": []})",
       "s.json: experiment: unknown key: did you mean 'experiments'?"},
      {"no experiments", R"({"title": "x"})", "s.json: experiments: required, missing"},
      {"empty experiments", R"({"experiments": []})",
       "experiments: expected a non-empty array of experiments"},
      {"experiment not an object", one("3"), "experiments[0]: expected an object, got a number"},
      {"unknown experiment key", one(R"({"name": "a", )" + kv + R"(, "axis": {}})"),
       "experiments[0].axis: unknown key: did you mean 'axes'?"},
      {"missing workloads", one(R"({"name": "a"})"), "experiments[0].workloads: required, missing"},
      {"bad name", one(R"({"name": "A b", )" + kv + "}"),
       "experiments[0].name: expected lower-case letters, digits and '-'"},
      {"duplicate name",
       R"({"experiments": [{"name": "a", )" + kv + R"(}, {"name": "a", )" + kv + "}]}",
       "experiments[1].name: 'a' is used twice"},
      {"unknown variant", one(R"({"name": "a", )" + kv + R"(, "variants": ["mpk"]})"),
       "experiments[0].variants[0]: unknown variant 'mpk'"},
      {"unknown generator", one(R"({"name": "a", "workloads": ["kv"]})"),
       "experiments[0].workloads[0]: unknown generator 'kv'"},
      {"not a use case", one(R"({"name": "a", "workloads": ["mmu-stress"]})"),
       "experiments[0].workloads[0]: mmu-stress is not a use case"},
      {"bad fixed parameter", one(R"({"name": "a", "workloads": ["kv-store:writes=3"]})"),
       "experiments[0].workloads[0]: kv-store: writes=3: out of range"},
      {"variant as a fixed parameter",
       one(R"({"name": "a", "workloads": ["kv-store:variant=none"]})"),
       "experiments[0].workloads[0]: the variants are the experiment's"},
      {"unknown parameter axis", one(R"({"name": "a", )" + kv + R"(, "axes": {"wrk": [1]}})"),
       "experiments[0].axes.wrk: 'wrk' is not a parameter of kv-store"},
      {"bad parameter value", one(R"({"name": "a", )" + kv + R"(, "axes": {"work": [1, -5]}})"),
       "experiments[0].axes.work[1]: kv-store: work=-5"},
      {"axis not an array", one(R"({"name": "a", )" + kv + R"(, "axes": {"work": 5}})"),
       "experiments[0].axes.work: expected a non-empty array of values"},
      {"object as a value", one(R"({"name": "a", )" + kv + R"(, "axes": {"work": [{}]}})"),
       "experiments[0].axes.work[0]: expected a string, number or boolean, got an object"},
      {"variant as an axis", one(R"({"name": "a", )" + kv + R"(, "axes": {"variant": ["none"]}})"),
       "experiments[0].axes.variant: the variants are the experiment's"},
      {"unknown config path",
       one(R"({"name": "a", )" + kv + R"(, "axes": {"tlb.stlb.entrie": [64]}})"),
       "experiments[0].axes.tlb.stlb.entrie[0]: tlb.stlb.entrie: unknown key"},
      {"bad config value",
       one(R"({"name": "a", )" + kv + R"(, "axes": {"kernel.flush_policy": ["lazy"]}})"),
       "experiments[0].axes.kernel.flush_policy[0]: kernel.flush_policy: unknown value"},
      {"axis twice",
       one(R"({"name": "a", "axes": {"work": [1]}, "workloads": [{"gen": "kv-store", "axes": {"work": [2]}}]})"),
       "experiments[0].workloads[0].axes.work: already an axis of the experiment"},
      {"unknown workload key", one(R"({"name": "a", "workloads": [{"gen": "pmem", "ax": {}}]})"),
       "experiments[0].workloads[0].ax: unknown key"},
      {"figure without y", one(R"({"name": "a", )" + kv + R"(, "figure": {"x": "variant"}})"),
       "experiments[0].figure.y: required, missing"},
      {"figure unknown column",
       one(R"({"name": "a", )" + kv + R"(, "figure": {"x": "work", "y": "cycles"}})"),
       "experiments[0].figure.x: unknown column 'work'"},
      {"figure bad kind",
       one(R"({"name": "a", )" + kv +
           R"(, "figure": {"kind": "pie", "x": "variant", "y": "cycles"}})"),
       "experiments[0].figure.kind: unknown kind 'pie'"},
      {"stacked figure of a metric",
       one(R"({"name": "a", )" + kv +
           R"(, "figure": {"kind": "stacked", "x": "variant", "y": "cycles"}})"),
       "experiments[0].figure.y: a stacked figure shows \"stack\""},
      {"logx on bars",
       one(R"({"name": "a", )" + kv +
           R"(, "figure": {"kind": "bar", "x": "variant", "y": "cycles", "logx": true}})"),
       "experiments[0].figure.logx: applies to line figures only"},
      {"table value unknown", one(R"({"name": "a", )" + kv + R"(, "table": {"value": "speed"}})"),
       "experiments[0].table.value: unknown column 'speed'"},
      {"set unknown path",
       R"({"set": {"core.robb": 3}, "experiments": [{"name": "a", )" + kv + "}]}",
       "s.json: set.core.robb: core.robb: unknown key"},
      {"unknown config", R"({"config": "skylake", "experiments": [{"name": "a", )" + kv + "}]}",
       "s.json: config: skylake: cannot open"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      const std::string e = error_of(c.spec);
      INFO("error: " << e);
      CHECK(e.find(c.error) != std::string::npos);
    }
  }
}

TEST_CASE("a comparison's overhead and cycles per switch are against its baseline", "[study]") {
  study::Metrics base, a, b;
  base.cycles = 1000;
  a.cycles = 1500;
  a.wrpkru = 10;
  b.cycles = 900;
  b.mprotect = 2;
  b.pkey_mprotect = 3;
  const study::Comparison c({{"base", "x", base}, {"a", "y", a}, {"b", "z", b}}, 0);
  CHECK(c.overhead_pct(0) == Approx(0));
  CHECK(c.overhead_pct(1) == Approx(50));
  CHECK(c.overhead_pct(2) == Approx(-10));
  CHECK_FALSE(c.cycles_per_switch(0));
  CHECK(*c.cycles_per_switch(1) == Approx(50));
  CHECK(*c.cycles_per_switch(2) == Approx(-20));
  const std::string text = c.text();
  CHECK(text.find("base (baseline)") != std::string::npos);
  CHECK(text.find("+50.0%") != std::string::npos);
  const std::string csv = c.csv();
  CHECK(csv.rfind("label,input,baseline,overhead_pct,cycles_per_switch,cycles,", 0) == 0);
  CHECK(csv.find("\na,y,0,50,50,1500,") != std::string::npos);
  CHECK(c.json()["runs"][2]["switches"] == 5);
}

TEST_CASE("a comparison says where each run's cycles go", "[study]") {
  study::Metrics base, mp;
  base.cycles = 1000;
  base.stack = {{"base", 600}, {"memory", 400}, {"syscall", 0}, {"page_fault", 0}};
  mp.cycles = 5000;
  mp.mprotect = 4;
  mp.stack = {{"base", 600}, {"memory", 400}, {"syscall", 3000}, {"page_fault", 0}};
  const std::string text =
      study::Comparison({{"none", "x", base}, {"mprotect", "y", mp}}, 0).text();
  const size_t why = text.find("where the cycles go");
  REQUIRE(why != std::string::npos);
  const std::string table = text.substr(why);
  // A component no run has is left out; the others show each run's cycles.
  CHECK(table.find("syscall") != std::string::npos);
  CHECK(table.find("page_fault") == std::string::npos);
  CHECK(table.find("mprotect") != std::string::npos);
  CHECK(table.find("3,000") != std::string::npos);
  // Without a cycle stack (a functional run) there is no such table.
  study::Metrics bare;
  CHECK(study::Comparison({{"a", "x", bare}}, 0).text().find("where the cycles go") ==
        std::string::npos);
}

TEST_CASE("a printed study table says that a negative cost is not a gain", "[study]") {
  using app::study_tables::Pivot;
  Pivot p;
  p.keys = 1;
  p.head = {"region", "mprotect", "wrpkru"};
  p.rows = {{"4 KiB", "2,509", "12"}, {"64 GiB", "1,421,883,832", "23"}};
  CHECK(app::study_tables::text_table(p).find("not a gain") == std::string::npos);
  p.rows[1][2] = "-57";
  const std::string text = app::study_tables::text_table(p);
  CHECK(text.find("-57") != std::string::npos);
  CHECK(text.find("a negative value is not a gain") != std::string::npos);
  // A row name that starts with a minus is not a value.
  p.rows[1] = {"-1", "5", "6"};
  CHECK(app::study_tables::text_table(p).find("not a gain") == std::string::npos);
}

TEST_CASE("parallel runs give the results of serial ones, in request order", "[study]") {
  std::vector<study::RunRequest> reqs;
  const sim::Config cfg = sim::Config::preset(sim::kDefaultPreset);
  for (const char* v : {"none", "mprotect", "pkey_mprotect", "wrpkru"}) {
    reqs.push_back({cfg, {std::string("gen:kv-store:operations=300,variant=") + v}, {}});
  }
  reqs.push_back({cfg, {"gen:no-such-generator"}, {}});
  const auto serial = study::run_all(reqs, 1);
  const auto parallel = study::run_all(reqs, 3);
  REQUIRE(serial.size() == reqs.size());
  for (size_t i = 0; i + 1 < reqs.size(); ++i) {
    REQUIRE(serial[i].ok);
    CHECK(serial[i].report == parallel[i].report);
    CHECK(serial[i].metrics.cycles == parallel[i].metrics.cycles);
    CHECK(serial[i].metrics.roi);
  }
  CHECK(serial[1].metrics.mprotect > 0);
  CHECK(serial[3].metrics.wrpkru > 0);
  CHECK_FALSE(serial.back().ok);
  CHECK(serial.back().error.find("unknown generator") != std::string::npos);
  CHECK(serial.back().exception);
}
