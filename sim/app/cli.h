#pragma once
// The pkusim command line: subcommands over the simulator libraries. main()
// only forwards argv here, so tests can run the CLI in-process.
namespace pkusim::app {

// Exit codes, one per class of failure.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;  // `check`: an assertion did not hold
inline constexpr int kExitTrace = 2;        // a trace is unreadable or breaks the grammar
inline constexpr int kExitConfig = 3;       // a configuration error
inline constexpr int kExitUsage = 4;        // bad command line
inline constexpr int kExitIo = 5;           // an output could not be written
inline constexpr int kExitInternal = 70;    // a bug in pkusim

int run_cli(int argc, char** argv);

}  // namespace pkusim::app
