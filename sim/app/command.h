#pragma once
// The registry of subcommands. Each command lives in its own file under
// commands/ and is listed once in commands.cc; `pkusim --help` is made from
// this list, and each command's `--help` from its own options.
#include <string>
#include <string_view>
#include <vector>

namespace pkusim::app {

struct Command {
  std::string_view name;
  std::string_view summary;  // one line, for `pkusim --help`
  /// Runs the command on the arguments after its name; returns the exit code.
  /// Throws UsageError, OutputError, traces::TraceError, sim::ConfigError ...
  int (*main)(const std::vector<std::string>& args);
};

/// Every command, in `pkusim --help` order.
const std::vector<Command>& commands();

}  // namespace pkusim::app
