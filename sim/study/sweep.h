#pragma once
// A sweep (docs/sweeps.md): a spec (JSON) of workloads (trace files or
// generator invocations), axes over config paths and generator parameters,
// zipped axes whose values move together, seeds and the metrics to collect,
// expanded into a manifest of runs. Each run has a stable id, a hash of its
// effective config, its input and its seed, and a folder of its own under
// DIR/runs/ID that holds its config, report and metrics and, written last
// by an atomic rename, DONE (or FAILED with the error). A sweep therefore
// resumes where it stopped, whatever killed it, and a run can be run alone
// (a Slurm array task, a GNU parallel job).
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/config/config.h"
#include "sim/study/metrics.h"

namespace pkusim::study {

struct SweepRun {
  size_t index = 0;
  std::string id;        // 16 hex digits
  std::string workload;  // the workload's name
  std::string input;     // the trace file, or gen:NAME:k=v,... (every parameter)
  std::string format;    // the trace's format ("" to recognize it)
  std::optional<uint64_t> seed;
  std::vector<std::pair<std::string, std::string>> axes;  // column, value
  sim::Config config;                                     // validated
};

struct Sweep {
  std::string origin;  // the spec's file name
  std::string config_name;
  std::vector<std::string> axis_columns;  // every axis, in order
  std::vector<std::string> metrics;       // the columns of results.csv after the axes
  std::vector<SweepRun> runs;
};

/// Parses and expands a sweep spec (`dir` resolves relative file names).
/// Throws sim::ConfigError naming the JSON path.
Sweep parse_sweep(const std::string& text, const std::string& origin, const std::string& dir);
Sweep load_sweep(const std::string& path);

/// What a run's folder says of it.
enum class RunState { kPending, kDone, kFailed };
RunState run_state(const std::string& dir, const SweepRun& r);
/// The error a FAILED run recorded.
std::string run_error(const std::string& dir, const SweepRun& r);
std::string run_dir(const std::string& dir, const SweepRun& r);

/// Runs `r` (in this thread) and records the outcome in its folder: config,
/// report and metrics, then DONE; or FAILED with the error. Returns the
/// error ("" when done).
std::string execute_run(const std::string& dir, const Sweep& s, const SweepRun& r);

/// The manifest (manifest.json): every run's index, id, workload, input,
/// seed and axes.
std::string manifest_json(const Sweep& s);
/// results.csv and results.jsonl from the DONE runs, in manifest order.
/// Throws std::runtime_error naming the runs that are not done.
std::pair<std::string, std::string> collect(const std::string& dir, const Sweep& s);

/// The metrics a sweep can collect by bare name (the study's) and, for any
/// statistic path, whether it exists (indices written as digits).
const std::vector<std::string>& named_metrics();
bool known_statistic(const std::string& path);

}  // namespace pkusim::study
