// pkusim check: replay traces functionally and verify their `expect` lines.
#include <fmt/format.h>

#include <iostream>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/report.h"
#include "sim/simulation.h"

namespace pkusim::app {

namespace {

int check_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("quiet,q", "print failures only")(
      "input", po::value<std::vector<std::string>>(), "trace files ('-' for stdin)");
  add_config_options(opts);
  add_format_option(opts);
  const po::variables_map vm = parse("check", opts, args);
  if (help(vm, opts, "pkusim check TRACE... [-q]: replay traces, verify their `expect` lines")) {
    return kExitOk;
  }
  if (!vm.count("input")) throw UsageError("pkusim check: no trace given (pkusim check --help)");
  const sim::Config cfg = load_config(vm);
  const bool quiet = vm.count("quiet") > 0;
  uint64_t total = 0, failed = 0;
  for (const std::string& path : vm["input"].as<std::vector<std::string>>()) {
    sim::Simulation s(cfg, sim::Mode::kFunctional);
    s.add_input(path, format_option(vm));
    s.run();
    const uint64_t n = s.system().expectations();
    const auto failures = sim::expect_failure_lines(s);
    total += n;
    failed += failures.size();
    for (const std::string& f : failures) std::cout << f << "\n";
    if (!quiet) {
      std::cout << fmt::format("{}: {} of {} assertions hold\n", path, n - failures.size(), n);
    }
  }
  std::cout << fmt::format("{} passed, {} failed\n", total - failed, failed);
  return failed ? kExitCheckFailed : kExitOk;
}

}  // namespace

Command check_command() {
  return {"check", "replay traces functionally and verify their `expect` lines", check_main};
}

}  // namespace pkusim::app
