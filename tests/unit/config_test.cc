#include "sim/config/config.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "sim/config/param.h"
#include "sim/mem/replacement.h"
#include "sim/simulation.h"
#include "sim/timing/params.h"

using namespace pkusim;
using sim::Config;
using sim::ConfigError;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}
std::string overlay_error(const std::string& text) {
  return error_of([&] {
    Config c = Config::defaults();
    c.overlay_text(text, "my.json");
    c.validate();
  });
}
}  // namespace

TEST_CASE("the default preset names every parameter with its declared default", "[config]") {
  const Config preset = Config::preset("skylake-sp");
  const Config defaults = Config::defaults();
  CHECK(preset.values() == defaults.values());
  for (const sim::ParamSpec& s : sim::param_specs()) {
    INFO(s.path);
    CHECK_FALSE(s.description.empty());
    CHECK_FALSE(s.source.empty());
  }
}

TEST_CASE("every preset loads and validates", "[config]") {
  REQUIRE(sim::preset_names().size() >= 3);
  for (const auto& name : sim::preset_names()) {
    INFO(name);
    const Config c = Config::preset(name);
    CHECK_NOTHROW(c.validate());
    CHECK_NOTHROW(sim::timing_params(c));
  }
  CHECK(Config::preset("icelake-sp").get_int("tlb.stlb.entries") == 1024);
  CHECK(Config::preset("zen3").get_int("mmu.walkers") == 6);
  CHECK(Config::preset("zen3").get_int("core.rob_entries") == 256);
}

TEST_CASE("comments, overlays and --set", "[config]") {
  Config c = Config::defaults();
  c.overlay_text("// a comment\n{\"core\": {\"rob_entries\": 128 /* inline */}}", "x");
  CHECK(c.get_int("core.rob_entries") == 128);
  c.set("kernel.flush_policy=none");
  CHECK(c.get_string("kernel.flush_policy") == "none");
  c.set("cache.llc.replacement=\"srrip\"");
  CHECK(c.get_string("cache.llc.replacement") == "srrip");
  c.set("system.frequency_ghz=3");
  CHECK(c.get_float("system.frequency_ghz") == 3.0);
}

TEST_CASE("a config file may name its base preset", "[config]") {
  const auto path = std::filesystem::temp_directory_path() / "pkusim-config-test.json";
  {
    std::ofstream out(path);
    out << "{\"base\": \"zen3\", \"core\": {\"rob_entries\": 100}}";
  }
  const Config c = Config::load(path.string());
  CHECK(c.get_int("core.rob_entries") == 100);
  CHECK(c.get_int("mmu.walkers") == 6);
  std::filesystem::remove(path);
}

// Bad input: one test per case, each names the JSON path and what was expected.
TEST_CASE("bad config: not JSON", "[config][bad]") {
  CHECK_THAT(overlay_error("{\"core\": {"), Catch::StartsWith("my.json: not valid JSON:"));
}
TEST_CASE("bad config: unknown key suggests the closest", "[config][bad]") {
  CHECK(overlay_error("{\"core\": {\"rob_entrys\": 3}}") ==
        "my.json: core.rob_entrys: unknown key (did you mean core.rob_entries?)");
  CHECK_THAT(overlay_error("{\"cahce\": {}}"),
             Catch::Equals("my.json: cahce: unknown key (did you mean cache?)"));
}
TEST_CASE("bad config: wrong type", "[config][bad]") {
  CHECK(overlay_error("{\"core\": {\"rob_entries\": \"big\"}}") ==
        "my.json: core.rob_entries: wrong type \"big\": expected an integer, 1 to 4096 entries");
  CHECK(overlay_error("{\"kernel\": {\"kpti\": 1}}") ==
        "my.json: kernel.kpti: wrong type 1: expected true or false");
  CHECK(overlay_error("{\"core\": 5}") == "my.json: core: expected an object of parameters, got 5");
}
TEST_CASE("bad config: out of range", "[config][bad]") {
  CHECK(overlay_error("{\"core\": {\"rob_entries\": 0}}") ==
        "my.json: core.rob_entries: 0 is out of range: expected an integer, 1 to 4096 entries");
  CHECK(
      overlay_error("{\"kernel\": {\"flush_policy\": \"lazy\"}}") ==
      "my.json: kernel.flush_policy: unknown value \"lazy\": expected one of \"linux\", \"skip-upgrades\", \"none\"");
}
TEST_CASE("bad config: a set count that is not a power of two", "[config][bad]") {
  CHECK(overlay_error("{\"cache\": {\"l2\": {\"size_bytes\": 786432}}}") ==
        "cache.l2.size_bytes: 786432 bytes / (16 ways x 64 bytes) = 768 sets: the set count must "
        "be a power of two");
  CHECK(overlay_error("{\"tlb\": {\"stlb\": {\"entries\": 1200}}}") ==
        "tlb.stlb.entries: 1200 entries / 12 ways: the set count must be a whole power of two");
}
TEST_CASE("bad config: a cache with zero ways", "[config][bad]") {
  CHECK(overlay_error("{\"cache\": {\"l1d\": {\"ways\": 0}}}") ==
        "my.json: cache.l1d.ways: 0 is out of range: expected an integer, 1 to 1024 ways");
}
TEST_CASE("bad config: --set of an unknown path", "[config][bad]") {
  const std::string e = error_of([] {
    Config c = Config::defaults();
    c.set("core.rob=5");
  });
  CHECK(e == "--set: core.rob: unknown key (did you mean core.rob_entries?)");
  CHECK(error_of([] { Config::defaults().set("noequals"); }) ==
        "--set: noequals: expected PATH=VALUE, e.g. core.rob_entries=128");
}
TEST_CASE("bad config: an unknown preset lists the valid ones", "[config][bad]") {
  CHECK_THAT(error_of([] { Config::preset("pentium"); }),
             Catch::StartsWith("unknown preset 'pentium': expected a JSON file or one of"));
}
TEST_CASE("bad config: more threads than cores", "[config][bad]") {
  const auto path = std::filesystem::temp_directory_path() / "pkusim-cores-test.trace";
  {
    std::ofstream out(path);
    out << "compute 1\nthread 2\ncompute 1\nthread 5\ncompute 1\n";
  }
  Config c = Config::defaults();
  c.set("system.cores=2");
  const std::string e = error_of([&] {
    sim::Simulation s(c, sim::Mode::kTiming);
    s.add_input(path.string());
    s.run();
  });
  CHECK_THAT(e,
             Catch::Contains("system.cores: ") &&
                 Catch::Contains(
                     "thread 5 needs a core of its own, but the machine has 2 cores, all taken"));
  std::filesystem::remove(path);
}

TEST_CASE("the replacement registry names its policies and refuses others", "[config][mem]") {
  CHECK(sim::replacement_names() == std::vector<std::string>{"lru", "fifo", "random", "srrip"});
  CHECK_THROWS_WITH(sim::make_replacement("plru", 4, 4),
                    "unknown replacement policy 'plru': expected one of lru, fifo, random, srrip");
}

TEST_CASE("config show's commented JSON reads back as the same config", "[config]") {
  Config c = Config::preset("zen3");
  c.set("core.rob_entries=77");
  const std::string text = c.to_commented_json();
  CHECK(text.find("\"rob_entries\": 77,  // Reorder-buffer entries [entries]") !=
        std::string::npos);
  Config back = Config::defaults();
  back.overlay_text(text, "shown");
  CHECK(back.values() == c.values());
}

TEST_CASE("bad config: a number too large for JSON is a config error", "[config][bad]") {
  // Found by the config fuzzer: nlohmann throws out_of_range, not parse_error.
  CHECK_THAT(overlay_error("{\"core\": {\"rob_entries\": 2e2222222222}}"),
             Catch::StartsWith("my.json: not valid JSON:"));
}

TEST_CASE("bad config: caches too large to simulate, bandwidth below a byte per cycle",
          "[config][bad]") {
  CHECK_THAT(overlay_error("{\"cache\": {\"llc\": {\"size_bytes\": 274877906944, \"ways\": 1}}}"),
             Catch::Contains("at most 16777216 sets are supported"));
  CHECK_THAT(overlay_error("{\"dram\": {\"bandwidth_bytes_per_cycle\": 0.5}}"),
             Catch::Contains("0.5 is out of range"));
}
