#include "sim/app/cli.h"

#include <fmt/format.h>

#include <iostream>
#include <string>
#include <vector>

#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/config/config.h"
#include "traces/gen/generator.h"
#include "traces/trace_error.h"

namespace pkusim::app {

namespace {

std::string usage() {
  std::string s = "usage: pkusim COMMAND [options]\n\ncommands:\n";
  for (const Command& c : commands()) s += fmt::format("  {:<10}  {}\n", c.name, c.summary);
  s += "\npkusim COMMAND --help shows a command's options.\n"
       "exit codes: 0 ok, 1 an assertion failed, 2 trace error, 3 config error,\n"
       "            4 usage error, 5 output error, 70 internal error\n";
  return s;
}

}  // namespace

int exit_code_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const UsageError&) {
    return kExitUsage;
  } catch (const traces::GenError&) {
    return kExitUsage;
  } catch (const OutputError&) {
    return kExitIo;
  } catch (const traces::TraceError&) {
    return kExitTrace;
  } catch (const sim::ConfigError&) {
    return kExitConfig;
  } catch (...) {
    return kExitInternal;
  }
}

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      (args.empty() ? std::cerr : std::cout) << usage();
      return args.empty() ? kExitUsage : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "pkusim " << PKUSIM_VERSION << "\n";
      return kExitOk;
    }
    const std::string name = args[0];
    args.erase(args.begin());
    for (const Command& c : commands()) {
      if (c.name == name) return c.main(args);
    }
    throw UsageError(fmt::format("pkusim: unknown command '{}' (try pkusim --help)", name));
  } catch (const UsageError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  } catch (const traces::GenError& e) {
    std::cerr << "pkusim: " << e.what() << "\n";
    return kExitUsage;
  } catch (const OutputError& e) {
    std::cerr << "pkusim: " << e.what() << "\n";
    return kExitIo;
  } catch (const traces::TraceError& e) {
    std::cerr << "pkusim: " << e.what() << "\n";
    return kExitTrace;
  } catch (const sim::ConfigError& e) {
    std::cerr << "pkusim: config error: " << e.what() << "\n";
    return kExitConfig;
  } catch (const std::exception& e) {
    std::cerr << "pkusim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace pkusim::app
