// pkusim sweep: declarative, resumable, parallel sweeps (docs/sweeps.md).
//   plan     the manifest: every run, its id, workload and axes
//   run      the runs not done yet, -j at a time (or one: --index K), then collect
//   status   done, failed (with the error) and pending runs
//   collect  results.csv and results.jsonl from the finished runs
//   emit     a Slurm job array and its collector, or a GNU parallel command line
#include "sim/study/sweep.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/study/runner.h"
#include "sim/util/atomic_file.h"

namespace pkusim::app {

namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "pkusim sweep plan SPEC [-o DIR]\n"
    "pkusim sweep run SPEC -o DIR [-j N] [--shard I/N] [--retry-failed] [--index K]\n"
    "pkusim sweep status SPEC -o DIR\n"
    "pkusim sweep collect SPEC -o DIR\n"
    "pkusim sweep emit --engine slurm|parallel SPEC -o DIR [--throttle N] [--cpus-per-task N]\n"
    "                  [--mem SIZE] [--time HH:MM:SS] [--partition NAME]";

struct Shard {
  size_t index = 0, count = 1;
};

Shard parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  Shard s;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used = 0;
    s.index = std::stoul(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    s.count = std::stoul(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    throw UsageError(fmt::format("--shard {}: expected I/N, such as 0/4", text));
  }
  if (s.count == 0 || s.index >= s.count) {
    throw UsageError(fmt::format("--shard {}: expected 0 <= I < N", text));
  }
  return s;
}

std::string absolute(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

void prepare(const std::string& dir, const study::Sweep& s) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "runs", ec);
  if (ec || !fs::is_directory(dir)) {
    throw OutputError(fmt::format("{}: cannot create the sweep folder: {}", dir,
                                  ec ? ec.message() : "not a folder"));
  }
  write_output((fs::path(dir) / "manifest.json").string(), study::manifest_json(s));
}

int do_collect(const std::string& dir, const study::Sweep& s, bool quiet) {
  std::pair<std::string, std::string> out;
  try {
    out = study::collect(dir, s);
  } catch (const std::runtime_error& e) {
    std::cerr << fmt::format("pkusim sweep collect: {}\n", e.what());
    return kExitCheckFailed;
  }
  write_output((fs::path(dir) / "results.csv").string(), out.first);
  write_output((fs::path(dir) / "results.jsonl").string(), out.second);
  if (!quiet) {
    std::cerr << fmt::format("pkusim sweep: {} runs -> {}/results.csv, {}/results.jsonl\n",
                             s.runs.size(), dir, dir);
  }
  return kExitOk;
}

int do_status(const std::string& dir, const study::Sweep& s) {
  size_t done = 0, failed = 0, pending = 0;
  for (const auto& r : s.runs) {
    switch (study::run_state(dir, r)) {
      case study::RunState::kDone:
        ++done;
        break;
      case study::RunState::kFailed:
        ++failed;
        std::cout << fmt::format("failed  {:>5}  {}  {}: {}\n", r.index, r.id, r.workload,
                                 study::run_error(dir, r));
        break;
      case study::RunState::kPending:
        ++pending;
        break;
    }
  }
  std::cout << fmt::format(
      "{} runs: {} done, {} failed, {} pending{}\n", s.runs.size(), done, failed, pending,
      failed ? " (pkusim sweep run --retry-failed runs the failed ones again)" : "");
  return failed ? kExitCheckFailed : kExitOk;
}

int do_run(const std::string& dir, const study::Sweep& s, unsigned jobs, Shard shard,
           bool retry_failed, std::optional<size_t> only, bool quiet) {
  if (only) {
    // One run, as a job array task or a GNU parallel job runs it.
    if (*only >= s.runs.size()) {
      throw UsageError(
          fmt::format("--index {}: the sweep has runs 0 to {}", *only, s.runs.size() - 1));
    }
    const study::SweepRun& r = s.runs[*only];
    if (study::run_state(dir, r) == study::RunState::kDone) return kExitOk;
    const std::string error = study::execute_run(dir, s, r);
    if (!error.empty()) {
      std::cerr << fmt::format("pkusim sweep: run {} ({}, {}) failed: {}\n", r.index, r.id,
                               r.workload, error);
      return kExitCheckFailed;
    }
    return kExitOk;
  }
  std::vector<const study::SweepRun*> todo;
  size_t already = 0, skipped_failed = 0, in_shard = 0;
  for (const auto& r : s.runs) {
    if (r.index % shard.count != shard.index) continue;
    ++in_shard;
    const study::RunState st = study::run_state(dir, r);
    if (st == study::RunState::kDone) {
      ++already;
    } else if (st == study::RunState::kFailed && !retry_failed) {
      ++skipped_failed;
    } else {
      todo.push_back(&r);
    }
  }
  const unsigned workers = study::worker_count(jobs, todo.size());
  if (!quiet) {
    std::cerr << fmt::format(
        "pkusim sweep: {} runs{}: {} already done, {} to run on {} worker{}{}\n", in_shard,
        shard.count > 1 ? fmt::format(" in shard {}/{}", shard.index, shard.count) : std::string(),
        already, todo.size(), workers, workers == 1 ? "" : "s",
        skipped_failed ? fmt::format(", {} failed not retried", skipped_failed) : std::string());
  }
  RunsProgress progress("sweep", quiet, todo.size(), workers);
  std::atomic<size_t> next{0};
  std::mutex m;
  size_t done = 0;
  std::vector<std::string> errors(todo.size());
  const auto work = [&] {
    for (size_t i = next++; i < todo.size(); i = next++) {
      errors[i] = study::execute_run(dir, s, *todo[i]);
      const std::lock_guard<std::mutex> lock(m);
      progress.update(++done, !errors[i].empty());
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  progress.end();
  size_t failed = 0;
  for (size_t i = 0; i < todo.size(); ++i) {
    if (errors[i].empty()) continue;
    ++failed;
    std::cerr << fmt::format("pkusim sweep: run {} ({}, {}) failed: {}\n", todo[i]->index,
                             todo[i]->id, todo[i]->workload, errors[i]);
  }
  if (!quiet && !todo.empty()) {
    std::cerr << fmt::format("pkusim sweep: {} runs in {:.1f} s\n", todo.size(),
                             progress.seconds());
  }
  if (failed || skipped_failed) {
    std::cerr << fmt::format(
        "pkusim sweep: {} run{} failed (pkusim sweep status lists them; "
        "--retry-failed runs them again)\n",
        failed + skipped_failed, failed + skipped_failed == 1 ? "" : "s");
    return kExitCheckFailed;
  }
  // Every run of the sweep done (not only this shard's): collect.
  for (const auto& r : s.runs) {
    if (study::run_state(dir, r) != study::RunState::kDone) return kExitOk;
  }
  return do_collect(dir, s, quiet);
}

std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int do_emit(const std::string& dir, const std::string& spec, const study::Sweep& s,
            const po::variables_map& vm) {
  if (!vm.count("engine")) throw UsageError("pkusim sweep emit: --engine slurm or parallel");
  const std::string engine = vm["engine"].as<std::string>();
  const std::string self = absolute(fs::read_symlink("/proc/self/exe").string());
  const std::string d = absolute(dir), sp = absolute(spec);
  const std::string run_one =
      fmt::format("{} sweep run {} -o {} -q --index", sh_quote(self), sh_quote(sp), sh_quote(d));
  const std::string collect =
      fmt::format("{} sweep collect {} -o {}", sh_quote(self), sh_quote(sp), sh_quote(d));
  const size_t n = s.runs.size();
  if (engine == "parallel") {
    const std::string script = fmt::format(
        "#!/bin/bash\n"
        "# Runs the sweep {} ({} runs) with GNU parallel, then collects it.\n"
        "# Resumable: a job that finished is not run again (--resume, the joblog);\n"
        "# a run whose folder says DONE returns at once anyway. JOBS sets the\n"
        "# number of jobs at a time (default: one per CPU).\n"
        "set -euo pipefail\n"
        "seq 0 {} | parallel --joblog {} --resume --halt never -j \"${{JOBS:-$(nproc)}}\" \\\n"
        "  {} {{}}\n"
        "exec {}\n",
        sp, n, n - 1, sh_quote(d + "/parallel.joblog"), run_one, collect);
    const std::string path = (fs::path(d) / "parallel.sh").string();
    write_output(path, script);
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
    std::cout << fmt::format("wrote {}: run it (JOBS=N {}) to run the {} runs and collect\n", path,
                             path, n);
    return kExitOk;
  }
  if (engine != "slurm") {
    throw UsageError(fmt::format("--engine {}: expected slurm or parallel", engine));
  }
  const unsigned throttle = vm["throttle"].as<unsigned>();
  const std::string slurm_dir = (fs::path(d) / "slurm").string();
  std::error_code ec;
  fs::create_directories(fs::path(slurm_dir) / "logs", ec);
  std::string resources =
      fmt::format("#SBATCH --cpus-per-task={}\n", vm["cpus-per-task"].as<unsigned>());
  if (vm.count("mem")) resources += fmt::format("#SBATCH --mem={}\n", vm["mem"].as<std::string>());
  if (vm.count("time"))
    resources += fmt::format("#SBATCH --time={}\n", vm["time"].as<std::string>());
  if (vm.count("partition")) {
    resources += fmt::format("#SBATCH --partition={}\n", vm["partition"].as<std::string>());
  }
  const std::string array = fmt::format(
      "#!/bin/bash\n"
      "# One array task per run of the sweep {} ({} runs).\n"
      "#SBATCH --job-name=pkusim-sweep\n"
      "#SBATCH --array=0-{}{}\n"
      "{}"
      "#SBATCH --output={}/logs/run-%a.out\n"
      "exec {} \"$SLURM_ARRAY_TASK_ID\"\n",
      sp, n, n - 1, throttle ? fmt::format("%{}", throttle) : std::string(), resources, slurm_dir,
      run_one);
  const std::string collector = fmt::format(
      "#!/bin/bash\n"
      "# Collects the sweep {} once every array task succeeded (afterok).\n"
      "#SBATCH --job-name=pkusim-collect\n"
      "#SBATCH --cpus-per-task=1\n"
      "{}"
      "#SBATCH --output={}/logs/collect.out\n"
      "exec {}\n",
      sp,
      vm.count("partition")
          ? fmt::format("#SBATCH --partition={}\n", vm["partition"].as<std::string>())
          : std::string(),
      slurm_dir, collect);
  const std::string submit = fmt::format(
      "#!/bin/bash\n"
      "# Submits the array and its collector; prints their job ids. With --wait,\n"
      "# waits for the collector and fails unless results.csv was written.\n"
      "# A failed task cancels the collector (--kill-on-invalid-dep); after fixing\n"
      "# what failed, submit again: runs already done return at once.\n"
      "set -euo pipefail\n"
      "array=$(sbatch --parsable {})\n"
      "array=${{array%%;*}}\n"
      "collector=$(sbatch --parsable --dependency=afterok:\"$array\" --kill-on-invalid-dep=yes "
      "{})\n"
      "collector=${{collector%%;*}}\n"
      "echo \"array $array collector $collector\"\n"
      "if [ \"${{1:-}}\" = --wait ]; then\n"
      "  while squeue -h -j \"$array,$collector\" 2>/dev/null | grep -q .; do sleep 1; done\n"
      "  if [ ! -s {} ]; then\n"
      "    echo \"the sweep did not complete: pkusim sweep status {} -o {}\" >&2\n"
      "    exit 1\n"
      "  fi\n"
      "fi\n",
      sh_quote(slurm_dir + "/array.sbatch"), sh_quote(slurm_dir + "/collect.sbatch"),
      sh_quote(d + "/results.csv"), sh_quote(sp), sh_quote(d));
  write_output(slurm_dir + "/array.sbatch", array);
  write_output(slurm_dir + "/collect.sbatch", collector);
  write_output(slurm_dir + "/submit.sh", submit);
  fs::permissions(slurm_dir + "/submit.sh",
                  fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  std::cout << fmt::format(
      "wrote {}/array.sbatch ({} tasks{}), {}/collect.sbatch and {}/submit.sh: run {}/submit.sh "
      "on the cluster (pkusim, the spec and {} must be on a file system its nodes share)\n",
      slurm_dir, n, throttle ? fmt::format(", {} at a time", throttle) : std::string(), slurm_dir,
      slurm_dir, slurm_dir, d);
  return kExitOk;
}

int sweep_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("output,o", po::value<std::string>(), "the sweep's folder")(
      "jobs,j", po::value<unsigned>()->default_value(0),
      "runs at a time (0: one per hardware thread)")("shard", po::value<std::string>(),
                                                     "run only the runs whose index is I modulo N")(
      "retry-failed", "run the failed runs again (else they are listed and skipped)")(
      "index", po::value<size_t>(), "run only run K (a job array task)")(
      "engine", po::value<std::string>(), "emit: slurm or parallel")(
      "throttle", po::value<unsigned>()->default_value(0),
      "emit slurm: array tasks at a time (0: no limit)")(
      "cpus-per-task", po::value<unsigned>()->default_value(1), "emit slurm: CPUs per task")(
      "mem", po::value<std::string>(), "emit slurm: memory per task (sbatch --mem)")(
      "time", po::value<std::string>(), "emit slurm: time limit per task (sbatch --time)")(
      "partition", po::value<std::string>(), "emit slurm: the partition")(
      "quiet,q", "no progress or summary")("input", po::value<std::vector<std::string>>(),
                                           "ACTION SPEC");
  const po::variables_map vm = parse("sweep", opts, args);
  if (help(vm, opts, kUsage)) return kExitOk;
  const auto in =
      vm.count("input") ? vm["input"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (in.size() != 2) {
    throw UsageError(
        fmt::format("pkusim sweep: expected ACTION SPEC (plan, run, status, collect "
                    "or emit), got {} argument{}\n{}",
                    in.size(), in.size() == 1 ? "" : "s", kUsage));
  }
  const std::string& action = in[0];
  if (action != "plan" && action != "run" && action != "status" && action != "collect" &&
      action != "emit") {
    throw UsageError(fmt::format(
        "pkusim sweep: unknown action '{}': expected plan, run, status, collect or emit", action));
  }
  const study::Sweep s = study::load_sweep(in[1]);
  const bool quiet = vm.count("quiet") > 0;
  if (action == "plan") {
    for (const auto& r : s.runs) {
      std::string axes;
      for (const auto& [k, v] : r.axes) axes += fmt::format(" {}={}", k, v);
      std::cout << fmt::format("{:>5}  {}  {}{}{}\n", r.index, r.id, r.workload,
                               r.seed ? fmt::format(" seed={}", *r.seed) : std::string(), axes);
    }
    std::cout << fmt::format("{} runs\n", s.runs.size());
    if (vm.count("output")) prepare(vm["output"].as<std::string>(), s);
    return kExitOk;
  }
  if (!vm.count("output"))
    throw UsageError(fmt::format("pkusim sweep {}: -o DIR is required", action));
  const std::string dir = vm["output"].as<std::string>();
  if (action == "status") return do_status(dir, s);
  if (action == "collect") return do_collect(dir, s, quiet);
  prepare(dir, s);
  if (action == "emit") return do_emit(dir, in[1], s, vm);
  const Shard shard = vm.count("shard") ? parse_shard(vm["shard"].as<std::string>()) : Shard{};
  std::optional<size_t> only;
  if (vm.count("index")) only = vm["index"].as<size_t>();
  return do_run(dir, s, vm["jobs"].as<unsigned>(), shard, vm.count("retry-failed") > 0, only,
                quiet);
}

}  // namespace

Command sweep_command() {
  return {"sweep",
          "declarative config sweeps: plan, run (parallel, resumable, sharded), status, collect, "
          "emit for Slurm or GNU parallel",
          sweep_main};
}

}  // namespace pkusim::app
