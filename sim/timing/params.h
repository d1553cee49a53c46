#pragma once
// The typed parameters of the timed machine, each part filled from a
// validated Config by its component's parameter table: the system (cores,
// clock, scheduling, walk timing), the core, the functional machine (MMU
// geometry, flush policy), the memory hierarchy and the kernel's costs.
#include <cstdint>

#include "sim/config/config.h"
#include "sim/core/core_timer.h"
#include "sim/kernel/kernel_costs.h"
#include "sim/machine.h"
#include "sim/mem/memory_system.h"

namespace pkusim::sim {

/// system.cores, system.frequency_ghz, system.quantum_records and the
/// timing of the MMU (tlb.stlb_latency_cycles, mmu.walkers, mmu.walk_extra_cycles,
/// mmu.walk_entry_level).
struct SystemParams {
  unsigned cores;
  double frequency_ghz;
  unsigned quantum_records;
  uint64_t stlb_latency_cycles;
  unsigned walkers;
  uint64_t walk_extra_cycles;
  MemLevel walk_entry;
};
const ParamTable<SystemParams>& system_param_table();

struct TimingParams {
  SystemParams system;
  CoreParams core;
  MachineConfig machine;
  MemoryParams memory;
  KernelCosts kernel;
};

/// Builds the typed parameters from a validated config.
TimingParams timing_params(const Config& cfg);

}  // namespace pkusim::sim
