// Reads pkusim-hostbench's JSON report (tools/hostbench/README.md, "The
// JSON report"). Strict: unknown keys, wrong types, a schema or version this
// build does not read, and impossible values are errors naming the JSON path.
#include "sim/calibrate/hostbench.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/study/json_reader.h"

namespace pkusim::calibrate {

namespace {

using json = nlohmann::ordered_json;
using study::detail::Reader;

constexpr const char* kSchema = "pkusim.hostbench";
constexpr int kVersion = 1;

class HostbenchReader {
 public:
  explicit HostbenchReader(std::string origin) : r_(origin) {}

  Measurements read(const json& j) {
    Measurements m;
    r_.keys(j, "", {"schema", "version", "host", "run", "results", "missing"},
            {"schema", "version", "host", "results"});
    const std::string schema = r_.string(j["schema"], "schema");
    if (schema != kSchema)
      r_.fail("schema", fmt::format("expected \"{}\", got \"{}\"", kSchema, schema));
    if (!j["version"].is_number_integer() || j["version"].get<long>() != kVersion)
      r_.fail("version", fmt::format("expected {} (the version this pkusim reads), got {}",
                                     kVersion, j["version"].dump()));
    m.host = host(j["host"]);
    if (j.contains("run") && !j["run"].is_object())
      r_.fail("run", "expected an object, got " + Reader::kind(j["run"]));
    const json& rows = j["results"];
    if (!rows.is_array()) r_.fail("results", "expected an array, got " + Reader::kind(rows));
    for (size_t i = 0; i < rows.size(); ++i)
      m.rows.push_back(row(rows[i], fmt::format("results[{}]", i)));
    if (j.contains("missing")) {
      const json& miss = j["missing"];
      if (!miss.is_array()) r_.fail("missing", "expected an array, got " + Reader::kind(miss));
      for (size_t i = 0; i < miss.size(); ++i)
        m.missing.push_back(missing(miss[i], fmt::format("missing[{}]", i)));
    }
    if (m.rows.empty()) r_.fail("results", "no measured point: nothing to fit");
    return m;
  }

 private:
  Host host(const json& j) {
    r_.keys(j, "host",
            {"cpu",
             "vendor",
             "family",
             "model",
             "stepping",
             "kernel",
             "date",
             "cpus",
             "cpus_allowed",
             "pku",
             "ospke",
             "thp",
             "thp_defrag",
             "mthp",
             "hypervisor",
             "hypervisor_vendor",
             "kvm_pv_tlb_flush",
             "kvm_pv_send_ipi",
             "meltdown",
             "xsave_bytes",
             "tlb_single_page_flush_ceiling",
             "tsc_ghz",
             "tsc_invariant",
             "tsc_calibration",
             "core_ghz",
             "caches"},
            {"cpu", "vendor", "family", "model", "kernel", "date", "cpus", "tsc_ghz"});
    Host h;
    h.cpu = r_.string(j["cpu"], "host.cpu");
    h.vendor = r_.string(j["vendor"], "host.vendor");
    h.family = integer(j["family"], "host.family", 0, 1 << 16);
    h.model = integer(j["model"], "host.model", 0, 1 << 16);
    h.kernel = r_.string(j["kernel"], "host.kernel");
    h.date = r_.string(j["date"], "host.date");
    h.cpus = integer(j["cpus"], "host.cpus", 1, 1 << 20);
    if (j.contains("pku")) h.pku = r_.boolean(j["pku"], "host.pku");
    if (j.contains("meltdown") && !j["meltdown"].is_null())
      h.meltdown = r_.string(j["meltdown"], "host.meltdown");
    if (j.contains("hypervisor_vendor") && !j["hypervisor_vendor"].is_null())
      h.hypervisor_vendor = r_.string(j["hypervisor_vendor"], "host.hypervisor_vendor");
    h.tsc_ghz = positive(j["tsc_ghz"], "host.tsc_ghz");
    if (j.contains("core_ghz") && !j["core_ghz"].is_null())
      h.core_ghz = positive(j["core_ghz"], "host.core_ghz");
    if (j.contains("caches")) {
      const json& cs = j["caches"];
      if (!cs.is_array()) r_.fail("host.caches", "expected an array, got " + Reader::kind(cs));
      for (size_t i = 0; i < cs.size(); ++i) {
        const std::string path = fmt::format("host.caches[{}]", i);
        r_.keys(cs[i], path, {"level", "type", "bytes", "ways"},
                {"level", "type", "bytes", "ways"});
        HostCache c;
        c.level = int(integer(cs[i]["level"], path + ".level", 1, 8));
        c.type = r_.string(cs[i]["type"], path + ".type");
        c.bytes = integer(cs[i]["bytes"], path + ".bytes", 1, 1L << 40);
        c.ways = int(integer(cs[i]["ways"], path + ".ways", 0, 1 << 16));
        h.caches.push_back(std::move(c));
      }
    }
    return h;
  }

  Row row(const json& j, const std::string& path) {
    r_.keys(j, path,
            {"bench", "params", "unit", "per", "median", "p10", "p90", "min", "max", "mean",
             "median_cycles", "samples", "warmup", "ops_per_sample", "notes"},
            {"bench", "params", "unit", "median", "samples"});
    Row r;
    r.bench = r_.string(j["bench"], path + ".bench");
    r.params = params(j["params"], path + ".params");
    r.unit = r_.string(j["unit"], path + ".unit");
    const std::string want = r.bench == "core_clock" ? "GHz" : "ns";
    if (r.unit != want)
      r_.fail(path + ".unit",
              fmt::format("expected \"{}\" for a {} row, got \"{}\"", want, r.bench, r.unit));
    r.median = non_negative(j["median"], path + ".median");
    r.p10 =
        j.contains("p10") && !j["p10"].is_null() ? non_negative(j["p10"], path + ".p10") : r.median;
    r.p90 =
        j.contains("p90") && !j["p90"].is_null() ? non_negative(j["p90"], path + ".p90") : r.median;
    r.samples = integer(j["samples"], path + ".samples", 1, 1L << 40);
    if (j.contains("notes")) {
      const json& n = j["notes"];
      if (!n.is_object()) r_.fail(path + ".notes", "expected an object, got " + Reader::kind(n));
      for (const auto& [k, v] : n.items())
        r.notes[k] = non_negative(v, Reader::join(path + ".notes", k));
    }
    return r;
  }

  Missing missing(const json& j, const std::string& path) {
    r_.keys(j, path, {"bench", "params", "why"}, {"bench", "why"});
    Missing m;
    m.bench = r_.string(j["bench"], path + ".bench");
    if (j.contains("params")) m.params = params(j["params"], path + ".params");
    m.why = r_.string(j["why"], path + ".why");
    return m;
  }

  std::map<std::string, std::string> params(const json& j, const std::string& path) {
    if (!j.is_object()) r_.fail(path, "expected an object, got " + Reader::kind(j));
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : j.items()) {
      if (v.is_string()) {
        out[k] = v.get<std::string>();
      } else if (v.is_number_integer()) {
        out[k] = v.dump();
      } else {
        r_.fail(Reader::join(path, k), "expected a string or an integer, got " + Reader::kind(v));
      }
    }
    return out;
  }

  long integer(const json& j, const std::string& path, long lo, long hi) {
    if (!j.is_number_integer()) r_.fail(path, "expected an integer, got " + Reader::kind(j));
    const long v = j.get<long>();
    if (v < lo || v > hi) r_.fail(path, fmt::format("expected {} to {}, got {}", lo, hi, v));
    return v;
  }
  double non_negative(const json& j, const std::string& path) {
    if (!j.is_number())
      r_.fail(path, "expected a number, got " + Reader::kind(j) +
                        (j.is_null() ? " (the measurement was not finite)" : ""));
    const double v = j.get<double>();
    if (!std::isfinite(v) || v < 0) r_.fail(path, fmt::format("expected a number >= 0, got {}", v));
    return v;
  }
  double positive(const json& j, const std::string& path) {
    const double v = non_negative(j, path);
    if (v == 0) r_.fail(path, "expected a number > 0, got 0");
    return v;
  }

  Reader r_;
};

bool matches(const std::map<std::string, std::string>& params,
             const std::map<std::string, std::string>& match) {
  for (const auto& [k, v] : match) {
    const auto it = params.find(k);
    if (it == params.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

std::string Row::param(const std::string& key) const {
  const auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

std::vector<const Row*> Measurements::select(
    const std::string& bench, const std::map<std::string, std::string>& match) const {
  std::vector<const Row*> out;
  for (const Row& r : rows)
    if (r.bench == bench && matches(r.params, match)) out.push_back(&r);
  return out;
}

const Row* Measurements::find(const std::string& bench,
                              const std::map<std::string, std::string>& match) const {
  const auto v = select(bench, match);
  return v.empty() ? nullptr : v.front();
}

double Row::note(const std::string& key, double otherwise) const {
  const auto it = notes.find(key);
  return it == notes.end() ? otherwise : it->second;
}

Measurements parse_hostbench(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw sim::ConfigError(origin, "", fmt::format("not valid JSON: {}", e.what()));
  }
  Measurements m = HostbenchReader(origin).read(j);
  m.origin = origin;
  return m;
}

Measurements read_hostbench(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw sim::ConfigError(path, "", "is a directory (expected a pkusim-hostbench JSON report)");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw sim::ConfigError(path, "", "cannot open (expected a pkusim-hostbench JSON report)");
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty())
    throw sim::ConfigError(path, "", "empty file (expected a pkusim-hostbench JSON report)");
  return parse_hostbench(ss.str(), path);
}

}  // namespace pkusim::calibrate
