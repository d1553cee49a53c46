#pragma once
// The pkusim command line: a registry of subcommands (command.h) over the
// simulator libraries. main() only forwards argv here, so tests can run the
// CLI in-process.
#include <exception>

namespace pkusim::app {

// Exit codes, one per class of failure.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;  // an `expect` assertion did not hold
inline constexpr int kExitTrace = 2;        // a trace is unreadable or breaks its format
inline constexpr int kExitConfig = 3;       // a configuration (or spec) error
inline constexpr int kExitUsage = 4;        // bad command line
inline constexpr int kExitIo = 5;           // an output could not be written
inline constexpr int kExitInternal = 70;    // a bug in pkusim

int run_cli(int argc, char** argv);

/// The exit code for an exception thrown by a run (a command that ran
/// several and reported their errors itself).
int exit_code_of(const std::exception_ptr& e);

}  // namespace pkusim::app
