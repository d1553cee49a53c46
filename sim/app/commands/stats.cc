// pkusim stats: every statistic a report holds, with its unit and meaning
// (docs/report.md is made from this).
#include <iostream>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/simulation.h"
#include "sim/stats/writers.h"

namespace pkusim::app {

namespace {

// A small run that creates every kind of group: two threads (two cores),
// system calls, a fault.
constexpr const char* kSample =
    "mmap 0x7f0000000000 64K rw populate\n"
    "pkey_alloc\n"
    "pkey_mprotect 0x7f0000000000 4K rw 1\n"
    "thread 1\n"
    "load 0x7f0000000000 8\n"
    "thread 0\n"
    "mprotect 0x7f0000000000 64K r\n";

int stats_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("markdown", "as a Markdown table (docs/report.md)")(
      "functional", "the statistics of a functional run");
  const po::variables_map vm = parse("stats", opts, args, "");
  if (help(vm, opts, "pkusim stats [--markdown] [--functional]: every statistic of a report")) {
    return kExitOk;
  }
  sim::Config cfg = sim::Config::preset(sim::kDefaultPreset);
  sim::Simulation s(cfg, vm.count("functional") ? sim::Mode::kFunctional : sim::Mode::kTiming);
  s.add_text("sample", kSample);
  s.run();
  std::cout << stats::describe(s.stats(), vm.count("markdown") > 0);
  return kExitOk;
}

}  // namespace

Command stats_command() {
  return {"stats", "list every statistic of a report: its path, unit and meaning", stats_main};
}

}  // namespace pkusim::app
