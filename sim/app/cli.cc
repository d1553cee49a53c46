#include "sim/app/cli.h"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sim/machine.h"
#include "sim/replay.h"
#include "sim/report.h"
#include "sim/util/atomic_file.h"
#include "traces/trace_error.h"

namespace pkusim::app {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: pkusim COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  check TRACE...   replay traces and verify their `expect` lines\n"
    "  run TRACE...     replay traces and print a report\n"
    "\n"
    "pkusim COMMAND --help shows a command's options.\n"
    "exit codes: 0 ok, 1 an assertion failed, 2 trace error, 3 config error,\n"
    "            4 usage error, 5 output error, 70 internal error\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

po::variables_map parse(const std::string& cmd, po::options_description& opts,
                        std::vector<std::string> args) {
  po::positional_options_description pos;
  pos.add("trace", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(fmt::format("pkusim {}: {}", cmd, e.what()));
  }
  return vm;
}

int cmd_check(const std::vector<std::string>& args) {
  po::options_description opts("pkusim check TRACE... : replay and verify `expect` lines");
  opts.add_options()("help,h", "show this help")("quiet,q", "print failures only")(
      "trace", po::value<std::vector<std::string>>(), "trace files");
  const po::variables_map vm = parse("check", opts, args);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  if (!vm.count("trace")) throw UsageError("pkusim check: no trace given");
  const bool quiet = vm.count("quiet") > 0;
  uint64_t total = 0, failed = 0;
  for (const std::string& path : vm["trace"].as<std::vector<std::string>>()) {
    sim::Machine machine{sim::MachineConfig{}};
    const sim::ReplayResult r = sim::replay_file(path, machine);
    total += r.expectations;
    failed += r.failures.size();
    for (const sim::ExpectFailure& f : r.failures) {
      std::cout << fmt::format("{}:{}: expected {}, got {}\n", path, f.line, f.expected, f.actual);
    }
    if (!quiet) {
      std::cout << fmt::format("{}: {} of {} assertions hold\n", path,
                               r.expectations - r.failures.size(), r.expectations);
    }
  }
  std::cout << fmt::format("{} passed, {} failed\n", total - failed, failed);
  return failed ? kExitCheckFailed : kExitOk;
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description opts("pkusim run TRACE... : replay traces and report");
  opts.add_options()("help,h", "show this help")(
      "json", po::value<std::string>(), "also write the JSON report to FILE ('-' for stdout)")(
      "quiet,q", "do not print the text report")("trace", po::value<std::vector<std::string>>(),
                                                 "trace files ('-' for stdin)");
  const po::variables_map vm = parse("run", opts, args);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  if (!vm.count("trace")) throw UsageError("pkusim run: no trace given");
  std::vector<std::unique_ptr<sim::Machine>> machines;
  std::vector<sim::TraceRun> runs;
  for (const std::string& path : vm["trace"].as<std::vector<std::string>>()) {
    machines.push_back(std::make_unique<sim::Machine>(sim::MachineConfig{}));
    sim::replay_file(path, *machines.back());
    runs.push_back({path, machines.back().get()});
  }
  const auto report = sim::report_json(runs);
  if (vm.count("json")) {
    try {
      sim::write_file_atomic(vm["json"].as<std::string>(), report.dump(2) + "\n");
    } catch (const std::runtime_error& e) {
      std::cerr << "pkusim run: " << e.what() << "\n";
      return kExitIo;
    }
  }
  if (!vm.count("quiet")) std::cout << sim::render_text(report);
  return kExitOk;
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << kUsage;
      return args.empty() ? kExitUsage : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "pkusim " << PKUSIM_VERSION << "\n";
      return kExitOk;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "check") return cmd_check(args);
    if (cmd == "run") return cmd_run(args);
    throw UsageError(fmt::format("pkusim: unknown command '{}' (try pkusim --help)", cmd));
  } catch (const UsageError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  } catch (const traces::TraceError& e) {
    std::cerr << "pkusim: " << e.what() << "\n";
    return kExitTrace;
  } catch (const std::exception& e) {
    std::cerr << "pkusim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace pkusim::app
