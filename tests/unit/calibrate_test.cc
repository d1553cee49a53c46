// pkusim calibrate: the hostbench reader (one case per kind of bad input),
// the fit on measurements the model itself produced (it must find the
// parameters again), and the fit on a recorded run of a real host. No timing:
// every measurement here is recorded or synthetic.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/calibrate/fit.h"
#include "sim/calibrate/hostbench.h"
#include "sim/calibrate/probes.h"

using namespace pkusim;
using calibrate::Measurements;
using calibrate::Row;

namespace {

// A small valid report; `extra` is spliced into the top-level object and
// `row` replaces the one result.
std::string report(const std::string& row = R"({"bench":"syscall","params":{"call":"getppid"},
    "unit":"ns","median":100.0,"samples":10})",
                   const std::string& host_extra = "", const std::string& extra = "") {
  return R"({"schema":"pkusim.hostbench","version":1,
    "host":{"cpu":"Test CPU","vendor":"GenuineIntel","family":6,"model":85,"kernel":"6.1.0",
            "date":"2026-12-02T00:00:00Z","cpus":2,"tsc_ghz":2.6,"core_ghz":2.6,
            "meltdown":"Not affected")" +
         host_extra + R"(},
    "results":[)" +
         row + "]" + extra + "}";
}

std::string error_of(const std::string& text) {
  try {
    calibrate::parse_hostbench(text, "hb.json");
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string source_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
}

}  // namespace

TEST_CASE("a hostbench report is read with its host and rows", "[calibrate]") {
  const Measurements m = calibrate::parse_hostbench(
      report(R"({"bench":"mprotect","params":{"pages":33,"page_size":"4k","peer":"active",
                 "direction":"r"},"unit":"ns","median":5000,"p10":4900,"p90":5100,
                 "samples":300,"notes":{"tlb_ipis_per_op":1}})",
             R"(,"caches":[{"level":3,"type":"Unified","bytes":33554432,"ways":16}])"),
      "hb.json");
  CHECK(m.host.vendor == "GenuineIntel");
  CHECK(m.host.core_ghz == Approx(2.6));
  REQUIRE(m.host.caches.size() == 1);
  CHECK(m.host.caches[0].bytes == 33554432);
  REQUIRE(m.rows.size() == 1);
  CHECK(m.rows[0].param("pages") == "33");
  CHECK(m.rows[0].note("tlb_ipis_per_op", 0) == 1);
  CHECK(m.find("mprotect", {{"peer", "active"}}) == &m.rows[0]);
  CHECK(m.find("mprotect", {{"peer", "alone"}}) == nullptr);
}

TEST_CASE("bad hostbench reports name the JSON path and what was expected", "[calibrate]") {
  SECTION("not JSON") {
    CHECK_THAT(error_of("{\"schema\":"), Catch::Contains("hb.json: not valid JSON"));
  }
  SECTION("another schema") {
    CHECK_THAT(error_of(R"({"schema":"pkusim.report","version":2,"host":{},"results":[]})"),
               Catch::Contains("schema: expected \"pkusim.hostbench\", got \"pkusim.report\""));
  }
  SECTION("a version this build does not read") {
    std::string t = report();
    t.replace(t.find("\"version\":1"), 11, "\"version\":7");
    CHECK_THAT(error_of(t), Catch::Contains("version: expected 1"));
  }
  SECTION("an unknown key") {
    CHECK_THAT(error_of(report(R"({"bench":"syscall","params":{},"unit":"ns","median":1,
                                   "samples":1,"medain":2})")),
               Catch::Contains("results[0].medain: unknown key: did you mean 'median'?"));
  }
  SECTION("a missing key") {
    CHECK_THAT(error_of(report(R"({"bench":"syscall","params":{},"unit":"ns","samples":1})")),
               Catch::Contains("results[0].median: required, missing"));
  }
  SECTION("a median that was not finite") {
    CHECK_THAT(error_of(report(R"({"bench":"syscall","params":{},"unit":"ns","median":null,
                                   "samples":1})")),
               Catch::Contains("results[0].median: expected a number, got null"));
  }
  SECTION("a negative time") {
    CHECK_THAT(error_of(report(R"({"bench":"syscall","params":{},"unit":"ns","median":-3,
                                   "samples":1})")),
               Catch::Contains("results[0].median: expected a number >= 0"));
  }
  SECTION("a wrong unit") {
    CHECK_THAT(error_of(report(R"({"bench":"syscall","params":{},"unit":"us","median":3,
                                   "samples":1})")),
               Catch::Contains("results[0].unit: expected \"ns\""));
  }
  SECTION("a parameter that is neither text nor an integer") {
    CHECK_THAT(error_of(report(R"({"bench":"syscall","params":{"pages":1.5},"unit":"ns",
                                   "median":3,"samples":1})")),
               Catch::Contains("results[0].params.pages: expected a string or an integer"));
  }
  SECTION("no samples") {
    CHECK_THAT(error_of(report(R"({"bench":"syscall","params":{},"unit":"ns","median":3,
                                   "samples":0})")),
               Catch::Contains("results[0].samples: expected 1 to"));
  }
  SECTION("nothing measured") {
    std::string t = report();
    t = t.substr(0, t.find("\"results\":[")) + "\"results\":[]}";
    CHECK_THAT(error_of(t), Catch::Contains("results: no measured point"));
  }
  SECTION("a host without its clock") {
    std::string t = report();
    t.replace(t.find("\"tsc_ghz\":2.6"), 13, "\"tsc_ghz\":0");
    CHECK_THAT(error_of(t), Catch::Contains("host.tsc_ghz: expected a number > 0"));
  }
  SECTION("a bad cache entry") {
    CHECK_THAT(
        error_of(report(R"({"bench":"syscall","params":{},"unit":"ns","median":3,
                                   "samples":1})",
                        R"(,"caches":[{"level":3,"type":"Unified","bytes":"32M","ways":16}])")),
        Catch::Contains("host.caches[0].bytes: expected an integer, got a string"));
  }
  SECTION("missing is not an array") {
    CHECK_THAT(error_of(report(R"({"bench":"syscall","params":{},"unit":"ns","median":3,
                                   "samples":1})",
                               "", R"(,"missing":{})")),
               Catch::Contains("missing: expected an array"));
  }
  SECTION("files") {
    const auto dir = std::filesystem::temp_directory_path();
    CHECK_THROWS_WITH(calibrate::read_hostbench(dir.string()), Catch::Contains("is a directory"));
    CHECK_THROWS_WITH(calibrate::read_hostbench((dir / "no-such-hostbench.json").string()),
                      Catch::Contains("cannot open"));
    const auto empty = dir / "pkusim-empty-hostbench.json";
    std::ofstream(empty).close();
    CHECK_THROWS_WITH(calibrate::read_hostbench(empty.string()), Catch::Contains("empty file"));
    std::filesystem::remove(empty);
  }
}

TEST_CASE("the nearest preset follows the vendor and the model", "[calibrate]") {
  calibrate::Host h;
  h.vendor = "AuthenticAMD";
  CHECK(calibrate::nearest_preset(h) == "zen3");
  h.vendor = "GenuineIntel";
  h.family = 6;
  h.model = 85;  // Skylake-SP, Cascade Lake
  CHECK(calibrate::nearest_preset(h) == "skylake-sp");
  h.model = 106;  // Ice Lake-SP
  CHECK(calibrate::nearest_preset(h) == "icelake-sp");
  h.model = 143;  // Sapphire Rapids
  CHECK(calibrate::nearest_preset(h) == "icelake-sp");
}

TEST_CASE("the fit finds again the kernel costs that produced the measurements", "[calibrate]") {
  // A "host" that is the model with known costs: every measurement is a
  // probe simulated on it. The fit starts from the preset and must land on
  // the truth (identifiable parameters only; the rest equal the preset's).
  sim::Config truth = sim::Config::preset("skylake-sp");
  for (const char* s :
       {"system.frequency_ghz=2.6", "kernel.kpti=false", "kernel.syscall_cycles=400",
        "kernel.minor_fault_cycles=3000", "kernel.signal_delivery_cycles=6000",
        "kernel.flush_fixed_cycles=2500", "kernel.per_pte_cycles=120",
        "kernel.pte_writable_cycles=30", "kernel.invlpg_cycles=200", "kernel.full_flush_cycles=900",
        "kernel.ipi_delivery_cycles=20000", "kernel.vma_split_cycles=2000",
        "kernel.vma_merge_cycles=1800", "core.wrpkru_latency_cycles=60",
        "core.rdpkru_latency_cycles=5"})
    truth.set(s);
  truth.validate();
  const double ghz = 2.6;  // the preset's: its other kernel costs stay as they are
  Measurements m;
  m.origin = "synthetic";
  m.host = {"Model CPU",
            "GenuineIntel",
            6,
            85,
            "6.1.0",
            "2026-12-02T00:00:00Z",
            2,
            false,
            "Not affected",
            "",
            ghz,
            ghz,
            {}};
  const auto row = [&](std::string bench, std::map<std::string, std::string> params,
                       const calibrate::Probe& p) {
    Row r;
    r.bench = std::move(bench);
    r.params = std::move(params);
    r.unit = "ns";
    r.median = r.p10 = r.p90 = calibrate::simulate(truth, p) / ghz;
    r.samples = 100;
    r.notes["tlb_ipis_per_op"] = 1;
    m.rows.push_back(r);
  };
  row("syscall", {{"call", "getppid"}}, calibrate::syscall_probe(64));
  row("fault", {{"access", "write"}, {"page_size", "4k"}}, calibrate::fault_probe(64, true));
  row("sigsegv", {{"cause", "prot"}}, calibrate::sigsegv_probe(32));
  row("wrpkru", {{"pattern", "toggle"}}, calibrate::pkru_probe(256, false));
  row("rdpkru", {}, calibrate::pkru_probe(256, true));
  row("mprotect_split", {{"op", "split"}, {"page_size", "4k"}}, calibrate::split_probe(false));
  row("mprotect_split", {{"op", "merge"}, {"page_size", "4k"}}, calibrate::split_probe(true));
  for (const uint64_t pages : {1, 2, 8, 32, 33, 34, 64, 512}) {
    for (const bool rw : {false, true}) {
      for (const auto& [name, peer] : {std::pair{"alone", calibrate::Peer::kAlone},
                                       std::pair{"active", calibrate::Peer::kActive}}) {
        row("mprotect",
            {{"pages", std::to_string(pages)},
             {"page_size", "4k"},
             {"peer", name},
             {"direction", rw ? "rw" : "r"}},
            calibrate::mprotect_probe(pages, false, peer, rw));
      }
    }
  }
  const calibrate::Calibration c = calibrate::calibrate(m, "skylake-sp", 2);
  CHECK(c.config.get_float("system.frequency_ghz") == Approx(2.6));
  CHECK_FALSE(c.config.get_bool("kernel.kpti"));
  const auto near = [&](const char* path, double want, double tolerance) {
    INFO(path << " = " << c.config.get_int(path) << ", truth " << want);
    CHECK(std::abs(double(c.config.get_int(path)) - want) <= tolerance);
  };
  near("kernel.syscall_cycles", 400, 2);
  near("kernel.minor_fault_cycles", 3000, 5);
  near("kernel.signal_delivery_cycles", 6000, 5);
  near("kernel.flush_fixed_cycles", 2500, 25);
  near("kernel.per_pte_cycles", 120, 2);
  near("kernel.pte_writable_cycles", 30, 2);
  near("kernel.invlpg_cycles", 200, 3);
  near("kernel.full_flush_cycles", 900, 30);
  near("kernel.ipi_delivery_cycles", 20000, 60);
  near("kernel.vma_split_cycles", 2000, 5);
  near("core.wrpkru_latency_cycles", 60, 1);
  near("core.rdpkru_latency_cycles", 5, 1);
  near("kernel.vma_merge_cycles", 1800, 5);
  for (const calibrate::Compared& p : c.points) {
    INFO(p.group << " " << p.label);
    CHECK(std::abs(p.rel_error()) < 0.01);
  }
}

TEST_CASE("calibrated to a recorded host, the model meets it within 25 percent", "[calibrate]") {
  // docs/calibration/epyc-kvm.hostbench.json: pkusim-hostbench on a 2-vCPU
  // AMD EPYC KVM guest (docs/calibration.md).
  const Measurements m =
      calibrate::read_hostbench(source_dir() + "/docs/calibration/epyc-kvm.hostbench.json");
  const calibrate::Calibration c = calibrate::calibrate(m, calibrate::nearest_preset(m.host), 2);
  CHECK(c.preset == "zen3");
  double r33 = 0, r34 = 0;
  size_t mprotect_points = 0;
  for (const calibrate::Compared& p : c.points) {
    INFO(p.group << " " << p.label << ": host " << p.measured_ns << " ns, model " << p.predicted_ns
                 << " ns");
    if (p.group == "mprotect" && p.label.find("blocked") == std::string::npos) {
      ++mprotect_points;
      CHECK(std::abs(p.rel_error()) <= 0.25);
    }
    if (p.group == "memory" && p.label.rfind("independent", 0) == 0)
      CHECK(std::abs(p.rel_error()) <= 0.25);
    if (p.label == "33 pages, alone, R") r33 = p.predicted_ns;
    if (p.label == "34 pages, alone, R") r34 = p.predicted_ns;
  }
  CHECK(mprotect_points == 40);  // 1 page to 1 GiB: 10 sizes x 2 directions x alone and active
  // The flush ceiling: 34 pages take one full flush instead of 34 INVLPGs.
  CHECK(r34 < r33);

  // The overlay loads as a config and carries the measurement as its source.
  const auto path = std::filesystem::temp_directory_path() / "pkusim-calibrate-test.json";
  std::ofstream(path) << calibrate::overlay_text(c, m);
  const sim::Config loaded = sim::Config::load(path.string());
  loaded.validate();
  std::filesystem::remove(path);
  for (const calibrate::Setting& s : c.settings) {
    const std::string* src = loaded.source_of(s.path);
    REQUIRE(src != nullptr);
    INFO(s.path << ": " << *src);
    // Measured, or a preset's nanoseconds carried over to the measured clock.
    CHECK(
        (src->rfind("measured on AMD EPYC", 0) == 0 || src->find("preset's") != std::string::npos));
  }
  CHECK_THAT(*loaded.source_of("kernel.ipi_delivery_cycles"), Catch::StartsWith("measured on"));
  CHECK_THAT(*loaded.source_of("kernel.vma_split_cycles"), Catch::StartsWith("measured on"));
  CHECK_THAT(*loaded.source_of("kernel.ipi_handler_cycles"),
             Catch::Contains("at the measured clock"));
  CHECK(loaded.get_int("kernel.ipi_delivery_cycles") ==
        c.config.get_int("kernel.ipi_delivery_cycles"));
  CHECK(loaded.get_float("system.frequency_ghz") == c.config.get_float("system.frequency_ghz"));
}
