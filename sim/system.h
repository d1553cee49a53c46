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
  /// Runs every process to its end.
  void run(RunObserver* observer = nullptr, double interval_seconds = 1.0);

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
  void execute_timed(Process& p, const isa::Instr& in);
  void take_interrupts(Core& c, uint64_t upto);
  Core& core_of(const Process& p, unsigned tid);
  Progress progress() const;

  TimingParams p_;
  Mode mode_;
  mmu::PhysMem mem_;
  std::unique_ptr<MemorySystem> memory_;  // timing mode only
  std::vector<std::unique_ptr<Core>> cores_;
  unsigned cores_used_ = 0;
  std::vector<std::unique_ptr<Process>> procs_;
  std::vector<ExpectFailure> failures_;
  double wall_seconds_ = 0;

  stats::Group root_{"", "", "pkusim statistics"};
  stats::Group* cores_group_ = nullptr;
  stats::Group* procs_group_ = nullptr;
  std::vector<std::string> core_instruction_paths_, core_cpi_paths_;
  std::vector<std::string> process_instruction_paths_, process_fault_paths_;
};

}  // namespace pkusim::sim
