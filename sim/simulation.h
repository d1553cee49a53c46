#pragma once
// The facade every command uses: a validated configuration and inputs
// (trace files, or generator invocations `gen:NAME:k=v,...`) in, a run, and
// its statistics and report out. Progress goes to an observer.
#include <memory>
#include <optional>
#include <string>

#include "sim/config/config.h"
#include "sim/system.h"
#include "sim/timing/params.h"
#include "traces/record_source.h"

namespace pkusim::sim {

class Simulation {
 public:
  /// `cfg` must be validated.
  Simulation(Config cfg, Mode mode);

  /// Adds a process: a trace file ("-" for standard input) in `format` (""
  /// to recognize it), or a generator invocation "gen:NAME[:k=v,...]".
  /// Throws traces::TraceError (unreadable) or traces::GenError (bad invocation).
  void add_input(const std::string& input, const std::string& format = "");
  /// Adds a process that replays a text trace given as a string.
  void add_text(std::string name, std::string text);
  /// Adds a process that replays `source` (a generator made by the caller).
  void add_source(std::string name, std::unique_ptr<traces::RecordSource> source,
                  std::string format = "generated");
  /// --skip, --warmup, --max-instructions (see RunLimits).
  void set_limits(const RunLimits& l) {
    limits_ = l;
    system_->set_limits(l);
  }
  void set_observer(RunObserver* observer, double interval_seconds = 1.0) {
    observer_ = observer;
    interval_ = interval_seconds;
  }
  /// Runs every input to its end. Throws traces::TraceError for a trace that
  /// breaks its format, ConfigError when the machine is too small for it.
  void run();

  const Config& config() const { return cfg_; }
  const TimingParams& params() const { return params_; }
  Mode mode() const { return system_->mode(); }
  const System& system() const { return *system_; }
  /// The statistics of the measured run: the whole run, or what follows
  /// --skip and --warmup.
  stats::Snapshot stats() const;
  /// The statistics of the region of interest, if the inputs mark one.
  std::optional<stats::Snapshot> roi_stats() const;
  const RunLimits& limits() const { return limits_; }

 private:
  Config cfg_;
  TimingParams params_;
  std::unique_ptr<System> system_;
  bool stdin_used_ = false;
  unsigned inputs_ = 0;
  RunLimits limits_;
  RunObserver* observer_ = nullptr;
  double interval_ = 1.0;
};

}  // namespace pkusim::sim
