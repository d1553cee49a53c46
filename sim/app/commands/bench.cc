// pkusim bench: simulation speed (simulated instructions per host second) on
// a generated workload or a trace, median of several runs.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/report.h"
#include "sim/simulation.h"
#include "traces/gen/generator.h"
#include "traces/open_trace.h"

namespace pkusim::app {

namespace {

constexpr const char* kUsage =
    "pkusim bench [--workload NAME[:KEY=VALUE,...]] [--trace FILE] [--runs N] [--decode-only]";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int decode_only(const po::variables_map& vm, unsigned runs) {
  if (!vm.count("trace")) throw UsageError("pkusim bench: --decode-only needs --trace FILE");
  const std::string path = vm["trace"].as<std::string>();
  std::vector<double> rates;
  for (unsigned r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    traces::OpenedTrace t = traces::open_trace(path, format_option(vm));
    uint64_t n = 0, sum = 0;
    // As the simulation takes them: in place (pull).
    while (const isa::Instr* rec = t.source->pull()) {
      ++n;
      sum += rec->addr;  // keep the decode from being optimized away
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(double(n) / s / 1e6);
    std::cout << fmt::format("run {}: {} ({}): {} records in {:.2f} s, {:.1f} M records/s{}\n",
                             r + 1, path, t.format->name, n, s, rates.back(), sum == 42 ? " " : "");
  }
  std::cout << fmt::format("median: {:.1f} M records/s over {} runs\n", median(rates), runs);
  return kExitOk;
}

int bench_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("workload", po::value<std::string>()->default_value("mmu-stress"),
                     "a generator invocation, NAME[:KEY=VALUE,...] (pkusim gen --list)")(
      "instructions", po::value<uint64_t>(),
      "shorthand for the workload's instructions parameter (mmu-stress: 20,000,000)")(
      "runs", po::value<unsigned>()->default_value(3), "runs; the median is reported")(
      "trace", po::value<std::string>(), "bench a trace file instead of a workload")(
      "json", po::value<std::string>(), "write the last run's report to FILE")(
      "decode-only", "with --trace: only read the records (reader speed, records/s)");
  add_config_options(opts);
  add_format_option(opts);
  const po::variables_map vm = parse("bench", opts, args, "");
  if (help(vm, opts, kUsage)) return kExitOk;
  const unsigned runs = std::max(1u, vm["runs"].as<unsigned>());
  if (vm.count("decode-only")) return decode_only(vm, runs);
  if (vm.count("json")) check_output(vm["json"].as<std::string>());
  std::string workload = "gen:" + vm["workload"].as<std::string>();
  if (vm.count("instructions")) {
    workload +=
        fmt::format("{}instructions={}", workload.find(':', 4) == std::string::npos ? ":" : ",",
                    vm["instructions"].as<uint64_t>());
  }
  const std::string input = vm.count("trace") ? vm["trace"].as<std::string>() : workload;
  const sim::Config cfg = load_config(vm);
  std::vector<double> mips;
  for (unsigned r = 0; r < runs; ++r) {
    sim::Simulation s(cfg, sim::Mode::kTiming);
    s.add_input(input, format_option(vm));
    s.run();
    const stats::Snapshot st = s.stats();
    const uint64_t n = st.get("total.instructions");
    const double secs = s.system().wall_seconds();
    mips.push_back(secs > 0 ? double(n) / secs / 1e6 : 0.0);
    const stats::Entry* ipc = st.find("total.ipc");
    std::cout << fmt::format("run {}: {}: {} instructions, IPC {:.3f}, {:.2f} s, {:.2f} MIPS\n",
                             r + 1, s.system().inputs()[0].name, n, ipc ? ipc->d : 0.0, secs,
                             mips.back());
    if (r + 1 == runs && vm.count("json")) {
      write_output(vm["json"].as<std::string>(), sim::report_json(s).dump(2) + "\n");
    }
  }
  std::cout << fmt::format("median: {:.2f} MIPS over {} run{}\n", median(mips), runs,
                           runs == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace

Command bench_command() {
  return {"bench", "measure simulation speed (mmu-stress by default, any workload or trace)",
          bench_main};
}

}  // namespace pkusim::app
