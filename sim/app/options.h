#pragma once
// What the commands share: option parsing with Boost.Program_options, the
// configuration options (-c, --set), the trace-format option, output paths
// (checked before a run starts, written atomically), and the progress line.
#include <boost/program_options.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/config/config.h"
#include "sim/system.h"
#include "traces/record_source.h"

namespace pkusim::app {

namespace po = boost::program_options;

/// A bad command line (exit 4).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// An output that cannot be written (exit 5).
struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses `args` for command `cmd`; `positional` names the option that
/// takes the positional arguments ("" for none). Adds -h/--help.
po::variables_map parse(const std::string& cmd, po::options_description& opts,
                        const std::vector<std::string>& args, const char* positional = "input");
/// True (after printing the options) when --help was given.
bool help(const po::variables_map& vm, const po::options_description& opts,
          const std::string& usage);

void add_config_options(po::options_description& opts);
/// The validated configuration of -c and --set.
sim::Config load_config(const po::variables_map& vm);
void add_format_option(po::options_description& opts);
std::string format_option(const po::variables_map& vm);

/// Throws OutputError when `path` ("-" is standard output) cannot be
/// written: its directory is missing or not writable, or it is a directory.
void check_output(const std::string& path);
/// Writes `text` to `path` atomically ("-": standard output); OutputError on failure.
void write_output(const std::string& path, const std::string& text);

/// Streams every record of `source` to `path` ("-": standard output) in
/// `format` (a writable format's name), atomically (a temporary file
/// renamed at the end). Returns the record count; `notes` gets what the
/// format could not keep.
uint64_t write_records(traces::RecordSource& source, const std::string& path,
                       const std::string& format, std::vector<std::string>& notes);
/// The output format for `path`: `to` if given, else binary for *.pkb, else text.
std::string output_format(const std::string& path, const std::string& to);

/// A progress line on standard error ("\r[pkusim] ...") while a run goes,
/// when standard error is a terminal and the run is not quiet.
class Heartbeat final : public sim::RunObserver {
 public:
  void progress(const sim::Progress& p) override;
  void finished(const sim::Progress& p) override;

 private:
  bool shown_ = false;
};
/// The Python that draws figures: $PKUSIM_PYTHON, else /usr/bin/python3
/// (Debian's, with python3-matplotlib), else python3 on PATH.
std::string python_interpreter();
/// tools/plot of the source tree pkusim was built from, or $PKUSIM_PLOT_DIR.
std::string plot_tools_dir();
/// A helper program: $ENV if set, else `built` (the path CMake built it at)
/// if it exists, else `name` on PATH.
std::string tool_path(const char* env, const char* built, const char* name);
/// A time for people: "12.3 ns", "4.56 us", "7.89 ms".
std::string time_text(double ns);
/// Runs `args` (no shell) and returns its exit status (127: could not start).
int run_process(const std::vector<std::string>& args);

/// The progress line of a command that runs many simulations: done,
/// running, failed, rate and ETA; on a terminal it redraws one line, else
/// it prints a line at every tenth of the runs.
class RunsProgress {
 public:
  RunsProgress(std::string command, bool quiet, size_t total, unsigned workers);
  /// `done` runs finished so far; `failed` if the one that just ended failed.
  void update(size_t done, bool failed);
  void end();
  double seconds() const;

 private:
  std::string command_;
  bool tty_, quiet_;
  size_t total_;
  unsigned workers_;
  size_t failed_ = 0;
  double start_;
};

/// A heartbeat for an interactive, non-quiet run; null otherwise.
sim::RunObserver* heartbeat_if_interactive(bool quiet, Heartbeat& hb);

}  // namespace pkusim::app
