#pragma once
// The timed system: N cores sharing an LLC and DRAM, running one process
// per trace file. Each trace is replayed by its functional Machine (so every
// outcome is exactly the functional model's); this layer follows it through
// MachineHooks and turns what happened into cycles:
//  - the core model (CoreTimer) for dispatch, issue, completion, retirement;
//  - TLB and STLB hits, page walks through the caches (PSCs, concurrent
//    walkers), data and fetch accesses through L1/L2/LLC/DRAM with MSHRs;
//  - kernel work: syscall entry/exit, VMA work, PTE stores through the caches,
//    local INVLPGs or full flushes (the TLB contents really go), shootdowns:
//    an IPI to every other core running the process, each target interrupted
//    for the handler and its own flush, the initiator waiting for the slowest
//    acknowledgement; minor faults; SIGSEGV delivery.
// Thread t of the first trace runs on core t; later traces take the cores
// after the highest thread of the one before. Within a trace, records run in
// trace order (the trace fixes what happened); across traces, the process
// whose core is earliest in simulated time steps next. An IPI arriving at a
// core that is behind in time waits for it; one arriving at a core already
// past the arrival time is taken at once (an approximation).
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/core/core_timer.h"
#include "sim/machine.h"
#include "sim/mem/memory_system.h"
#include "sim/timing/params.h"
#include "traces/record_source.h"
#include "traces/text_reader.h"

namespace pkusim::sim {

struct RunOptions {
  bool heartbeat = false;  // progress on stderr
};

class System {
 public:
  System(const TimingParams& p, nlohmann::ordered_json effective_config);
  ~System();
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  /// Adds a trace as a process; `format` "" recognizes it from the content.
  /// Throws traces::TraceError if it cannot be opened.
  void add_trace(const std::string& path, const std::string& format = "");
  /// Adds a process that runs the records of `source` (a generator, say);
  /// `threads` is the number of threads (cores) it uses.
  void add_source(const std::string& name, std::unique_ptr<traces::RecordSource> source,
                  unsigned threads = 1);
  /// Runs every trace to its end.
  void run(const RunOptions& opt = {});
  /// The report (schema pkusim.report); `host` holds wall time and MIPS.
  nlohmann::ordered_json report() const;

  struct Core;
  struct Process;
  class Hooks;

 private:
  friend class Hooks;
  Process& new_process(const std::string& name, unsigned span);
  bool step(Process& p);
  void execute_timed(Process& p, const isa::Instr& in);
  void take_interrupts(Core& c, uint64_t upto);
  Core& core_of(const Process& p, unsigned tid);

  TimingParams p_;
  nlohmann::ordered_json config_json_;
  mmu::PhysMem mem_;
  MemorySystem memory_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::vector<std::unique_ptr<Process>> procs_;
  double wall_seconds_ = 0;
};

}  // namespace pkusim::sim
