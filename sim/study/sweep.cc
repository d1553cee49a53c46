// Running a sweep's runs into their folders, their state, the manifest and
// the collected results (sweep.h).
#include "sim/study/sweep.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "sim/report.h"
#include "sim/simulation.h"
#include "sim/study/json_reader.h"
#include "sim/util/atomic_file.h"
#include "traces/formats/format.h"
#include "traces/gen/generator.h"

namespace pkusim::study {

namespace {

namespace fs = std::filesystem;
using detail::is_config_path;
using detail::json;
using detail::list;
using detail::nested;
using detail::Reader;

// FNV-1a, 64 bits: a stable, platform-independent hash for run ids.
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One axis: a config path or a generator parameter, or a zipped group of them.
}  // namespace

std::string run_dir(const std::string& dir, const SweepRun& r) {
  return (fs::path(dir) / "runs" / r.id).string();
}

RunState run_state(const std::string& dir, const SweepRun& r) {
  std::error_code ec;
  if (fs::exists(fs::path(run_dir(dir, r)) / "DONE", ec)) return RunState::kDone;
  if (fs::exists(fs::path(run_dir(dir, r)) / "FAILED", ec)) return RunState::kFailed;
  return RunState::kPending;
}

std::string run_error(const std::string& dir, const SweepRun& r) {
  std::string e = read_file((fs::path(run_dir(dir, r)) / "FAILED").string());
  while (!e.empty() && e.back() == '\n') e.pop_back();
  return e;
}

std::string execute_run(const std::string& dir, const Sweep& s, const SweepRun& r) {
  const fs::path d = run_dir(dir, r);
  std::error_code ec;
  fs::create_directories(d, ec);
  fs::remove(d / "FAILED", ec);
  fs::remove(d / "DONE", ec);
  std::string error;
  try {
    sim::write_file_atomic((d / "config.json").string(), r.config.values().dump(2) + "\n");
    sim::Simulation sim(r.config, sim::Mode::kTiming);
    sim.add_input(r.input, r.format);
    sim.run();
    const auto roi = sim.roi_stats();
    const stats::Snapshot whole = sim.stats();
    const stats::Snapshot& main = roi ? *roi : whole;
    const Metrics m = metrics_of(main, roi.has_value());
    const auto names = metric_columns(m);
    const auto fields = metric_fields(m);
    json values = json::object();
    for (const std::string& metric : s.metrics) {
      const auto it = std::find(names.begin(), names.end(), metric);
      if (it != names.end()) {
        const std::string& f = fields[size_t(it - names.begin())];
        values[metric] = f.find_first_of(".e") == std::string::npos && !f.empty()
                             ? json(std::stoull(f))
                             : json(std::stod(f));
        continue;
      }
      const bool whole_run = metric.rfind("whole.", 0) == 0;
      const stats::Entry* e =
          (whole_run ? whole : main).find(whole_run ? metric.substr(6) : metric);
      if (!e) {
        values[metric] = nullptr;  // e.g. a core this run does not have
      } else if (e->is_double) {
        values[metric] = e->d;
      } else {
        values[metric] = e->u;
      }
    }
    sim::write_file_atomic((d / "report.json").string(), sim::report_json(sim).dump(2) + "\n");
    json mj;
    mj["index"] = r.index;
    mj["id"] = r.id;
    mj["region_of_interest"] = roi.has_value();
    mj["values"] = values;
    sim::write_file_atomic((d / "metrics.json").string(), mj.dump(2) + "\n");
    const auto failures = sim::expect_failure_lines(sim);
    if (!failures.empty()) {
      error = fmt::format("{} assertion{} failed; the first: {}", failures.size(),
                          failures.size() == 1 ? "" : "s", failures[0]);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  // The marker last, by rename: its presence means everything before it is complete.
  sim::write_file_atomic((d / (error.empty() ? "DONE" : "FAILED")).string(),
                         error.empty() ? std::string("done\n") : error + "\n");
  return error;
}

std::string manifest_json(const Sweep& s) {
  json j;
  j["schema"] = "pkusim.sweep-manifest";
  j["version"] = 1;
  j["spec"] = s.origin;
  j["runs"] = json::array();
  for (const SweepRun& r : s.runs) {
    json x;
    x["index"] = r.index;
    x["id"] = r.id;
    x["workload"] = r.workload;
    x["input"] = r.input;
    if (!r.format.empty()) x["format"] = r.format;
    x["seed"] = r.seed ? json(*r.seed) : json(nullptr);
    x["axes"] = json::object();
    for (const auto& [k, v] : r.axes) x["axes"][k] = v;
    j["runs"].push_back(std::move(x));
  }
  return j.dump(2) + "\n";
}

std::pair<std::string, std::string> collect(const std::string& dir, const Sweep& s) {
  std::vector<std::string> missing;
  for (const SweepRun& r : s.runs) {
    if (run_state(dir, r) != RunState::kDone) missing.push_back(std::to_string(r.index));
  }
  if (!missing.empty()) {
    const size_t shown = std::min<size_t>(missing.size(), 10);
    std::string which;
    for (size_t i = 0; i < shown; ++i) which += (i ? ", " : "") + missing[i];
    throw std::runtime_error(
        fmt::format("{} of {} runs are not done (runs {}{}): pkusim sweep status shows why",
                    missing.size(), s.runs.size(), which, missing.size() > shown ? ", ..." : ""));
  }
  std::string csv = "index,id,workload";
  std::vector<std::string> axis_cols;
  for (const auto& c : s.axis_columns) {
    if (c != "seed") axis_cols.push_back(c);
  }
  const bool has_seed =
      std::find(s.axis_columns.begin(), s.axis_columns.end(), "seed") != s.axis_columns.end();
  if (has_seed) csv += ",seed";
  for (const auto& c : axis_cols) csv += "," + csv_field(c);
  for (const auto& m : s.metrics) csv += "," + csv_field(m);
  csv += "\n";
  std::string jsonl;
  for (const SweepRun& r : s.runs) {
    const std::string text = read_file((fs::path(run_dir(dir, r)) / "metrics.json").string());
    json mj;
    try {
      mj = json::parse(text);
    } catch (const json::exception&) {
      throw std::runtime_error(
          fmt::format("run {} ({}): metrics.json is unreadable; delete {} "
                      "and run the sweep again",
                      r.index, r.id, run_dir(dir, r)));
    }
    std::map<std::string, std::string> axis;
    for (const auto& [k, v] : r.axes) axis[k] = v;
    csv += fmt::format("{},{},{}", r.index, r.id, csv_field(r.workload));
    if (has_seed) csv += "," + (r.seed ? std::to_string(*r.seed) : std::string());
    for (const auto& c : axis_cols) csv += "," + csv_field(axis[c]);
    json line;
    line["index"] = r.index;
    line["id"] = r.id;
    line["workload"] = r.workload;
    line["input"] = r.input;
    line["seed"] = r.seed ? json(*r.seed) : json(nullptr);
    line["axes"] = json::object();
    for (const auto& [k, v] : r.axes) line["axes"][k] = v;
    line["metrics"] = json::object();
    for (const auto& m : s.metrics) {
      if (!mj["values"].contains(m)) {
        throw std::runtime_error(fmt::format(
            "run {} ({}) has no metric '{}' (the spec's metrics changed after it ran): delete {} "
            "and run the sweep again",
            r.index, r.id, m, run_dir(dir, r)));
      }
      const json& v = mj["values"][m];
      std::string cell;
      if (v.is_number_unsigned() || v.is_number_integer()) {
        cell = v.dump();
      } else if (v.is_number_float()) {
        cell = fmt::format("{}", v.get<double>());
      }
      csv += "," + cell;
      line["metrics"][m] = v;
    }
    csv += "\n";
    jsonl += line.dump() + "\n";
  }
  return {csv, jsonl};
}

}  // namespace pkusim::study
