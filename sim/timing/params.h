#pragma once
// The typed view of a validated Config that the timed system is built from.
#include <cstdint>

#include "sim/config/config.h"
#include "sim/core/core_timer.h"
#include "sim/machine.h"
#include "sim/mem/memory_system.h"

namespace pkusim::sim {

struct KernelCosts {
  uint64_t syscall_cycles = 0;  // entry + exit, KPTI extra included
  uint64_t vma_op_cycles = 0;
  uint64_t per_vma_cycles = 0;
  uint64_t per_pte_cycles = 0;
  uint64_t pkey_op_cycles = 0;
  uint64_t invlpg_cycles = 0;
  uint64_t full_flush_cycles = 0;
  uint64_t ipi_send_cycles = 0;
  uint64_t ipi_delivery_cycles = 0;
  uint64_t ipi_handler_cycles = 0;
  uint64_t ipi_ack_cycles = 0;
  uint64_t minor_fault_cycles = 0;
  uint64_t populate_page_cycles = 0;
  uint64_t signal_delivery_cycles = 0;
};

struct TimingParams {
  unsigned cores = 8;
  double frequency_ghz = 2.6;
  CoreParams core;
  uint64_t compute_latency_cycles = 1;
  uint64_t wrpkru_latency_cycles = 25;
  bool wrpkru_drains_rob = false;
  uint64_t rdpkru_latency_cycles = 2;
  MachineConfig machine;  // MMU geometry and kernel policy
  uint64_t stlb_latency_cycles = 9;
  unsigned walkers = 2;
  MemLevel walk_entry = MemLevel::kL1;
  MemoryParams memory;
  KernelCosts kernel;
};

/// Builds the typed parameters from a validated config.
TimingParams timing_params(const Config& cfg);

}  // namespace pkusim::sim
