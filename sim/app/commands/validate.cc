// pkusim validate: the study's use cases run natively (pkusim-twin) and
// simulated from a trace of the same program, side by side. Each workload
// and variant is timed natively first (repeated, nothing else running), then
// traced with pkusim-trace-program and replayed on the given config over its
// region of interest. The answer is the overhead of each protection against
// the unprotected run, per protection switch, native against simulated.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/study/metrics.h"
#include "sim/study/runner.h"

#ifndef PKUSIM_TWIN
#define PKUSIM_TWIN ""
#endif
#ifndef PKUSIM_TRACER
#define PKUSIM_TRACER ""
#endif

extern char** environ;

namespace pkusim::app {

namespace {

constexpr const char* kUsage =
    "pkusim validate [-c CONFIG] [--workloads LIST] [--variants LIST] [--repeat N]\n"
    "                [--scale F] [--keep DIR] [--csv FILE] [-j N] [-q]\n"
    "  Runs the native twins of crypto-key, kv-store and watchpoint (tools/twins),\n"
    "  traces them with pkusim-trace-program, replays the traces on CONFIG (the\n"
    "  overlay of pkusim calibrate), and prints native against simulated overhead.\n"
    "  Example: pkusim calibrate -o host.json && pkusim validate -c host.json";

const std::vector<std::string> kWorkloads = {"crypto-key", "kv-store", "watchpoint"};
const std::vector<std::string> kVariantList = {"none", "mprotect", "pkey_mprotect", "wrpkru"};

struct Captured {
  int rc = 127;
  std::string out, err;
};

/// Runs `args` (no shell) with standard output and error captured in files
/// under `dir`.
Captured capture(const std::vector<std::string>& args, const std::filesystem::path& dir,
                 const std::string& tag) {
  const std::string out = (dir / (tag + ".out")).string(), err = (dir / (tag + ".err")).string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Captured c;
  pid_t pid;
  if (::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    if (::waitpid(pid, &status, 0) == pid) c.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }
  posix_spawn_file_actions_destroy(&fa);
  const auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  c.out = slurp(out);
  c.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return c;
}

std::string first_line(const std::string& s) {
  std::string l = s.substr(0, s.find('\n'));
  const std::string prefix = "pkusim-twin: ";
  if (l.rfind(prefix, 0) == 0) l = l.substr(prefix.size());
  return l;
}

std::vector<std::string> split_list(const std::string& s, const std::vector<std::string>& valid,
                                    const char* what) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? comma : comma - start);
    if (item == "all") return valid;
    if (std::find(valid.begin(), valid.end(), item) == valid.end()) {
      std::string names;
      for (const auto& v : valid) names += (names.empty() ? "" : ", ") + v;
      throw UsageError(
          fmt::format("pkusim validate: unknown {} '{}' (expected {} or all)", what, item, names));
    }
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

struct Case {
  std::string workload, variant;
  // Native.
  std::optional<double> native_ns;  // the fastest of the protected runs
  double native_median = 0;
  double native_none = 0;  // the fastest of the unprotected runs it was paired with
  uint64_t operations = 0, native_switches = 0;
  std::string native_missing;
  // Simulated.
  std::string trace;
  std::optional<double> sim_ns;
  uint64_t sim_switches = 0;
  std::string sim_missing;
};

int validate_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  add_config_options(opts);
  opts.add_options()("workloads", po::value<std::string>()->default_value("all"),
                     "crypto-key, kv-store, watchpoint (comma-separated) or all")(
      "variants", po::value<std::string>()->default_value("all"),
      "none, mprotect, pkey_mprotect, wrpkru (comma-separated) or all")(
      "repeat", po::value<unsigned>()->default_value(15),
      "native pairs of runs per case (protected and unprotected; the fastest of each)")(
      "scale", po::value<double>()->default_value(1.0),
      "operations as a multiple of the generators' defaults")("keep", po::value<std::string>(),
                                                              "keep the traces in this folder")(
      "csv", po::value<std::string>(), "the table as CSV")(
      "jobs,j", po::value<unsigned>()->default_value(0), "traces and replays at once (0: per CPU)")(
      "quiet,q", "no progress lines");
  const po::variables_map vm = parse("validate", opts, args, "");
  if (help(vm, opts, kUsage)) return kExitOk;
  const std::vector<std::string> workloads =
      split_list(vm["workloads"].as<std::string>(), kWorkloads, "workload");
  std::vector<std::string> variants =
      split_list(vm["variants"].as<std::string>(), kVariantList, "variant");
  if (std::find(variants.begin(), variants.end(), "none") == variants.end())
    variants.insert(variants.begin(), "none");  // the baseline of every overhead
  const unsigned repeat = vm["repeat"].as<unsigned>();
  const double scale = vm["scale"].as<double>();
  if (repeat < 1 || repeat > 1000) throw UsageError("pkusim validate: --repeat takes 1 to 1000");
  if (!(scale > 0 && scale <= 1000)) throw UsageError("pkusim validate: --scale takes (0, 1000]");
  if (vm.count("csv")) check_output(vm["csv"].as<std::string>());
  const sim::Config cfg = load_config(vm);
  const bool quiet = vm.count("quiet") > 0;
  const auto say = [quiet](const std::string& s) {
    if (!quiet) std::cerr << "[validate] " << s << "\n";
  };
  unsigned jobs = vm["jobs"].as<unsigned>();
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());

  const std::string twin = tool_path("PKUSIM_TWIN", PKUSIM_TWIN, "pkusim-twin");
  const std::string tracer =
      tool_path("PKUSIM_TRACE_PROGRAM", PKUSIM_TRACER, "pkusim-trace-program");
  std::filesystem::path dir;
  const bool keep = vm.count("keep") > 0;
  if (keep) {
    dir = vm["keep"].as<std::string>();
    std::filesystem::create_directories(dir);
  } else {
    dir = std::filesystem::temp_directory_path() / fmt::format("pkusim-validate.{}", ::getpid());
    std::filesystem::create_directories(dir);
  }
  const std::string scale_text = fmt::format("{}", scale);

  std::vector<Case> cases;
  for (const auto& w : workloads)
    for (const auto& v : variants) {
      Case c;
      c.workload = w;
      c.variant = v;
      cases.push_back(std::move(c));
    }

  // 1. Native, one case at a time: each variant paired with the unprotected
  // loop in the same process (pkusim-twin --paired), the fastest of each.
  say(fmt::format("native runs: {} cases, {} pairs each ({})", cases.size(), repeat, twin));
  for (Case& c : cases) {
    const Captured run = capture(
        {twin, c.workload, c.variant, "--scale", scale_text, "--paired", std::to_string(repeat)},
        dir, "native");
    if (run.rc == 127) {
      std::cerr << fmt::format(
          "pkusim validate: cannot run {} (build it: cmake --build --preset release, or set "
          "PKUSIM_TWIN)\n",
          twin);
      return kExitIo;
    }
    if (run.rc == 3) {
      c.native_missing = first_line(run.err);
      continue;
    }
    nlohmann::json j;
    try {
      if (run.rc != 0) throw std::runtime_error(first_line(run.err));
      j = nlohmann::json::parse(run.out);
      c.native_ns = j.at("ns").get<double>();
      c.native_median = j.at("ns_median").get<double>();
      c.native_none = j.at("ns_none").get<double>();
      c.operations = j.at("operations").get<uint64_t>();
      c.native_switches = j.at("switches").get<uint64_t>();
    } catch (const std::exception& e) {
      std::cerr << fmt::format("pkusim validate: {} {} {} failed (exit {}): {}\n", twin, c.workload,
                               c.variant, run.rc, e.what());
      return kExitInternal;
    }
  }

  // 2. Traces. The pkey shim emulates the keys' bookkeeping under valgrind
  // (which cannot run WRPKRU), not their protection: a traced access to a
  // keyed page does not trap, so the watchpoint's pkey variants cannot be
  // traced.
  std::vector<size_t> traced;
  for (size_t i = 0; i < cases.size(); ++i) {
    Case& c = cases[i];
    if (c.workload == "watchpoint" && (c.variant == "wrpkru" || c.variant == "pkey_mprotect")) {
      c.sim_missing = "under valgrind the keys do not protect, so no access traps";
      continue;
    }
    c.trace = (dir / fmt::format("{}-{}.pkb", c.workload, c.variant)).string();
    traced.push_back(i);
  }
  say(fmt::format("tracing {} cases with {} ({} at once)", traced.size(), tracer, jobs));
  {
    std::atomic<size_t> next{0};
    std::vector<std::string> errors(cases.size());
    const auto worker = [&] {
      for (size_t k; (k = next++) < traced.size();) {
        Case& c = cases[traced[k]];
        if (keep && std::filesystem::exists(c.trace)) continue;  // a kept trace is reused
        const Captured t =
            capture({tracer, "-o", c.trace, twin, c.workload, c.variant, "--scale", scale_text},
                    dir, fmt::format("trace-{}", traced[k]));
        if (t.rc != 0 || !std::filesystem::exists(c.trace))
          errors[traced[k]] =
              fmt::format("{} failed (exit {}): {}", tracer, t.rc, first_line(t.err));
      }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::min<size_t>(jobs, traced.size()); ++t)
      threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    for (size_t i = 0; i < cases.size(); ++i) {
      if (errors[i].empty()) continue;
      cases[i].sim_missing = errors[i];
      traced.erase(std::remove(traced.begin(), traced.end(), i), traced.end());
    }
  }

  // 3. Replays, over each trace's region of interest.
  say(fmt::format("replaying {} traces", traced.size()));
  std::vector<study::RunRequest> requests;
  for (const size_t i : traced) requests.push_back({cfg, {cases[i].trace}, {}});
  const std::vector<study::RunResult> results = study::run_all(requests, jobs);
  for (size_t k = 0; k < traced.size(); ++k) {
    Case& c = cases[traced[k]];
    const study::RunResult& r = results[k];
    if (!r.ok) {
      c.sim_missing = "the replay failed: " + r.error;
    } else if (!r.metrics.roi) {
      c.sim_missing = "the trace has no region of interest";
    } else {
      c.sim_ns = double(r.metrics.cycles) / cfg.get_float("system.frequency_ghz");
      c.sim_switches = r.metrics.switches();
    }
  }
  if (!keep) std::filesystem::remove_all(dir);

  // The table.
  const std::string config_name =
      vm.count("config") ? vm["config"].as<std::string>() : "skylake-sp";
  std::cout << fmt::format(
      "Native against simulated ({} at {} GHz); native: the fastest of {} runs, each paired with "
      "an unprotected run in the same process\n",
      config_name, cfg.get_float("system.frequency_ghz"), repeat);
  if (!vm.count("config"))
    std::cout << "(an uncalibrated preset: pkusim calibrate -o host.json, then -c host.json)\n";
  std::cout << fmt::format("\n{:<11} {:<14} {:>9} {:>25} {:>11} {:>15} {:>15} {:>9}\n", "workload",
                           "variant", "switches", "native fastest (median)", "simulated",
                           "native/switch", "simulated/sw.", "sim/nat.");
  std::string csv =
      "workload,variant,operations,switches,native_ns,native_median_ns,native_none_ns,simulated_ns,"
      "native_overhead_per_switch_ns,simulated_overhead_per_switch_ns,ratio,native_missing,"
      "simulated_missing\n";
  std::vector<std::string> missing_notes;
  std::vector<double> ratios;
  for (const Case& c : cases) {
    const Case* base = nullptr;
    for (const Case& b : cases)
      if (b.workload == c.workload && b.variant == "none") base = &b;
    std::optional<double> nat, sim;
    if (c.variant != "none" && base) {
      if (c.native_ns && c.native_switches)
        nat = (*c.native_ns - c.native_none) / double(c.native_switches);
      if (c.sim_ns && base->sim_ns && c.sim_switches)
        sim = (*c.sim_ns - *base->sim_ns) / double(c.sim_switches);
    }
    const bool has_ratio = nat && sim && *nat > 0;
    const double ratio = has_ratio ? *sim / *nat : 0;
    if (has_ratio) ratios.push_back(ratio);
    const std::string native =
        c.native_ns ? fmt::format("{} ({})", time_text(*c.native_ns), time_text(c.native_median))
                    : "missing";
    const uint64_t switches = c.native_ns ? c.native_switches : c.sim_switches;
    std::cout << fmt::format(
        "{:<11} {:<14} {:>9} {:>25} {:>11} {:>15} {:>15} {:>9}\n", c.workload, c.variant, switches,
        native, c.sim_ns ? time_text(*c.sim_ns) : "missing", nat ? time_text(*nat) : "",
        sim ? time_text(*sim) : "", has_ratio ? fmt::format("{:.2f}", ratio) : "");
    if (!c.native_missing.empty())
      missing_notes.push_back(
          fmt::format("{} {} native: {}", c.workload, c.variant, c.native_missing));
    if (!c.sim_missing.empty())
      missing_notes.push_back(
          fmt::format("{} {} simulated: {}", c.workload, c.variant, c.sim_missing));
    const auto num = [](const std::optional<double>& v) { return v ? fmt::format("{}", *v) : ""; };
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", c.workload, c.variant,
                       c.operations, switches, num(c.native_ns),
                       c.native_ns ? fmt::format("{}", c.native_median) : "",
                       c.native_ns ? fmt::format("{}", c.native_none) : "", num(c.sim_ns), num(nat),
                       num(sim), has_ratio ? fmt::format("{}", ratio) : "",
                       study::csv_field(c.native_missing), study::csv_field(c.sim_missing));
  }
  std::cout << "\n(times are the measured part of each run; per switch: the run minus the "
               "unprotected one, over its protection switches)\n";
  for (const auto& n : missing_notes) std::cout << "missing: " << n << "\n";
  if (!ratios.empty()) {
    std::sort(ratios.begin(), ratios.end());
    std::cout << fmt::format(
        "\nsimulated / native overhead per switch: {} cases, from {:.2f} to {:.2f} (median "
        "{:.2f})\n",
        ratios.size(), ratios.front(), ratios.back(), ratios[ratios.size() / 2]);
  }
  if (vm.count("csv")) write_output(vm["csv"].as<std::string>(), csv);
  size_t compared = 0;
  for (const Case& c : cases) compared += c.native_ns || c.sim_ns;
  if (compared == 0) {
    std::cerr << "pkusim validate: nothing was measured or simulated\n";
    return kExitInternal;
  }
  return kExitOk;
}

}  // namespace

Command validate_command() {
  return {"validate",
          "the use cases run natively and simulated from their traces: native against simulated "
          "overhead per switch",
          validate_main};
}

}  // namespace pkusim::app
