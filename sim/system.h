#pragma once
// The simulated system: processes (one per trace or generator), each
// replayed by its functional Machine, on cores that share the physical
// memory, the LLC and DRAM. In timing mode this layer follows every Machine
// through MachineHooks and turns what happened into cycles (timing.cc):
//  - the core model (CoreTimer) for dispatch, issue, completion, retirement;
//  - TLB and STLB hits, page walks through the caches (PSCs, concurrent
//    walkers), data and fetch accesses through L1/L2/LLC/DRAM with MSHRs;
//  - kernel work: syscall entry/exit, VMA work, PTE stores through the caches,
//    local INVLPGs or full flushes (the TLB contents really go), shootdowns:
//    an IPI to every other core running the process, each target interrupted
//    for the handler and its own flush, the initiator waiting for the slowest
//    acknowledgement; minor faults; SIGSEGV delivery.
// In functional mode only outcomes and event counts are kept.
//
// Each thread runs on a core of its own, taken when the thread is created
// (a process's first thread when the process is added): cores are numbered
// in that order. Within a process, records run in trace order (the trace
// fixes what happened); across processes, the process whose current core is
// earliest in simulated time runs next, for system.quantum_records records.
// An IPI arriving at a core that is behind in time waits for it; one
// arriving at a core already past the arrival time is taken at once (an
// approximation, docs/model.md).
//
// Every counter is registered in the statistics tree (stats()) when its
// component is created.
#include <array>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/core_timer.h"
#include "sim/machine.h"
#include "sim/mem/memory_system.h"
#include "sim/stats/stats.h"
#include "sim/timing/params.h"
#include "traces/record_source.h"

namespace pkusim::sim {

enum class Mode : uint8_t { kTiming, kFunctional };

/// How far a run is, for observers.
struct Progress {
  uint64_t instructions = 0;
  uint64_t records = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_total = 0;  // 0 if unknown
  double wall_seconds = 0;
};

/// Hears of a run's progress (a heartbeat on a terminal, a sweep's status).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  /// Called about every `interval` seconds of host time while the run goes.
  virtual void progress(const Progress& p) = 0;
  /// Called once when the run ends.
  virtual void finished(const Progress& p) { (void)p; }
};

/// An `expect` line that did not hold.
struct ExpectFailure {
  unsigned process = 0;
  uint64_t location = 0;  // line, or record number
  bool is_line = true;
  std::string expected, actual;
};

/// A fault of the first ones a process took, in detail.
struct FaultDetail {
  unsigned process = 0;
  FaultRecord fault;
};

/// What part of a run is measured. Instructions are counted over every
/// process. The first `skip` run functionally (no timing; TLBs warm, caches
/// only by page walks); the next `warmup` run timed; statistics start after
/// both. With `max_instructions`, the run stops after that many measured
/// instructions. 0 means none.
struct RunLimits {
  uint64_t skip = 0;
  uint64_t warmup = 0;
  uint64_t max_instructions = 0;
};

/// Where the measured run and the region of interest begin and end, in
/// instructions counted over every process.
struct RegionInfo {
  uint64_t begin_instruction = 0;
  uint64_t end_instruction = 0;
};

/// One process's input, for the report.
struct InputInfo {
  std::string name;  // as given: a path, or a generator invocation
  std::string format, compression;
  std::vector<std::pair<std::string, uint64_t>> counters;
};

class System {
 public:
  System(const TimingParams& p, Mode mode);
  ~System();
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  /// Adds a process that replays `source`; `stream` (may be null) is what the
  /// source reads from. Its first thread takes a core now.
  void add_process(std::string name, std::unique_ptr<traces::RecordSource> source,
                   std::unique_ptr<std::istream> stream, std::string format,
                   std::string compression, uint64_t size_bytes);
  void set_limits(const RunLimits& l) { limits_ = l; }
  /// Runs every process to its end (or to the instruction limit). Throws
  /// traces::TraceError for records the trace may not have (a record of a
  /// thread that exited, a second region of interest, ...).
  void run(RunObserver* observer = nullptr, double interval_seconds = 1.0);

  /// The statistics when measuring began (after --skip and --warmup), if
  /// measuring did not begin at the start; and the measured span.
  const std::optional<stats::Snapshot>& measure_start() const { return measure_start_; }
  RegionInfo measured() const { return measured_; }
  /// The region of interest (`roi begin` to `roi end`), if the inputs mark one.
  const std::optional<stats::Snapshot>& roi_start() const { return roi_start_; }
  const std::optional<stats::Snapshot>& roi_end() const { return roi_end_; }
  RegionInfo roi() const { return roi_; }

  Mode mode() const { return mode_; }
  const stats::Group& stats() const { return root_; }
  const std::vector<ExpectFailure>& expect_failures() const { return failures_; }
  uint64_t expectations() const;
  std::vector<FaultDetail> first_faults() const;
  std::vector<InputInfo> inputs() const;
  uint64_t instructions() const;
  double wall_seconds() const { return wall_seconds_; }

  struct Core;
  struct Process;
  class Hooks;
  class FunctionalHooks;
  class TimingHooks;

 private:
  friend class FunctionalHooks;
  friend class TimingHooks;
  Core& allocate_core(Process& p, unsigned tid);
  void register_core_stats(Core& c, const mmu::Mmu& m);
  void register_process_timing(Process& p, stats::Group& g);
  void register_system_stats();
  bool step(Process& p);
  void roi_marker(Process& p, const isa::Instr& rec);
  void phase_change();
  [[noreturn]] void trace_error(const Process& p, const std::string& what) const;
  void execute_timed(Process& p, const isa::Instr& in);
  void take_interrupts(Core& c, uint64_t upto);
  Core& core_of(const Process& p, unsigned tid);
  Progress progress() const;

  TimingParams p_;
  Mode mode_;
  Latency compute_latency_;  // of one compute instruction
  mmu::PhysMem mem_;
  std::unique_ptr<MemorySystem> memory_;  // timing mode only
  std::vector<std::unique_ptr<Core>> cores_;
  unsigned cores_used_ = 0;
  std::vector<std::unique_ptr<Process>> procs_;
  std::vector<ExpectFailure> failures_;
  double wall_seconds_ = 0;

  // Phases of the run (skip, warm-up, measurement, limit) and the region of
  // interest; see RunLimits.
  RunLimits limits_;
  uint64_t executed_ = 0;                  // instructions so far, every process
  uint64_t next_phase_at_ = ~uint64_t{0};  // executed_ at which phase_change() runs
  bool fast_forward_ = false;              // skipping: no timing
  bool stopped_ = false;                   // the instruction limit was reached
  std::optional<stats::Snapshot> measure_start_;
  RegionInfo measured_;
  std::optional<stats::Snapshot> roi_start_, roi_end_;
  RegionInfo roi_;
  unsigned roi_open_ = 0;  // processes inside their region

  stats::Group root_{"", "", "pkusim statistics"};
  stats::Group* cores_group_ = nullptr;
  stats::Group* procs_group_ = nullptr;
  std::vector<std::string> core_instruction_paths_, core_cpi_paths_;
  std::vector<std::string> process_instruction_paths_, process_fault_paths_;
};

}  // namespace pkusim::sim
