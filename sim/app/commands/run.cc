// pkusim run: simulate inputs (traces or generators) and report.
#include <fmt/format.h>

#include <iostream>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/report.h"
#include "sim/simulation.h"

namespace pkusim::app {

namespace {

constexpr const char* kUsage =
    "pkusim run INPUT... [-c CONFIG] [--set PATH=VALUE]... [--json FILE] [--csv FILE] [-q]\n"
    "  INPUT: a trace file ('-' for stdin), or a generator gen:NAME[:KEY=VALUE,...]";

int run_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("json", po::value<std::string>(),
                     "write the JSON report to FILE ('-' for stdout), atomically")(
      "csv", po::value<std::string>(), "write the statistics as a CSV header and row to FILE")(
      "quiet,q", "no text report, no progress")(
      "functional", "replay functionally only (no timing): outcomes and event counts")(
      "skip", po::value<uint64_t>()->default_value(0),
      "run the first N instructions functionally (fast-forward), outside the statistics")(
      "warmup", po::value<uint64_t>()->default_value(0),
      "then run N instructions timed, with their statistics discarded (warm caches and TLBs)")(
      "max-instructions", po::value<uint64_t>()->default_value(0),
      "stop after N measured instructions (0: run to the end)")(
      "input", po::value<std::vector<std::string>>(), "traces or generator invocations");
  add_config_options(opts);
  add_format_option(opts);
  const po::variables_map vm = parse("run", opts, args);
  if (help(vm, opts, kUsage)) return kExitOk;
  if (!vm.count("input")) throw UsageError("pkusim run: no input given (pkusim run --help)");
  const sim::Config cfg = load_config(vm);
  for (const char* out : {"json", "csv"}) {
    if (vm.count(out)) check_output(vm[out].as<std::string>());
  }
  const bool quiet = vm.count("quiet") > 0;
  sim::Simulation s(cfg, vm.count("functional") ? sim::Mode::kFunctional : sim::Mode::kTiming);
  for (const std::string& in : vm["input"].as<std::vector<std::string>>()) {
    s.add_input(in, format_option(vm));
  }
  s.set_limits({vm["skip"].as<uint64_t>(), vm["warmup"].as<uint64_t>(),
                vm["max-instructions"].as<uint64_t>()});
  Heartbeat hb;
  s.set_observer(heartbeat_if_interactive(quiet, hb));
  s.run();
  if (vm.count("json"))
    write_output(vm["json"].as<std::string>(), sim::report_json(s).dump(2) + "\n");
  if (vm.count("csv")) write_output(vm["csv"].as<std::string>(), sim::report_csv(s));
  const bool stdout_taken = (vm.count("json") && vm["json"].as<std::string>() == "-") ||
                            (vm.count("csv") && vm["csv"].as<std::string>() == "-");
  const bool report_shown = !quiet && !stdout_taken;
  if (report_shown) std::cout << sim::report_text(s);
  // A failed `expect` line fails the run, as in `pkusim check`. The text
  // report lists the failures; stderr does when there is no text report.
  const auto failures = sim::expect_failure_lines(s);
  if (!report_shown) {
    for (const std::string& f : failures) std::cerr << "pkusim: " << f << "\n";
  }
  if (!failures.empty()) {
    std::cerr << fmt::format("pkusim: {} assertion{} failed{}\n", failures.size(),
                             failures.size() == 1 ? "" : "s",
                             report_shown ? " (listed at the end of the report)" : "");
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

Command run_command() {
  return {"run", "simulate traces or generated workloads on the timed machine and report cycles",
          run_main};
}

}  // namespace pkusim::app
