#pragma once
// What the kernel's work costs the timed machine (kernel.* costs): system
// call entry and exit, the fixed and per-VMA and per-PTE work of the memory
// system calls, TLB invalidations, shootdown IPIs, page faults and signal
// delivery. The functional kernel (kernel.h) says what work is done; the
// timing model (sim/timing) charges it with these costs.
#include <cstdint>

#include "sim/config/param.h"

namespace pkusim::sim {

struct KernelCosts {
  uint64_t syscall_cycles;  // entry + exit without KPTI
  bool kpti;
  uint64_t kpti_extra_cycles;  // per system call with KPTI
  uint64_t vma_op_cycles;
  uint64_t per_vma_cycles;
  uint64_t per_pte_cycles;
  uint64_t pkey_op_cycles;
  uint64_t invlpg_cycles;
  uint64_t full_flush_cycles;
  uint64_t ipi_send_cycles;
  uint64_t ipi_delivery_cycles;
  uint64_t ipi_handler_cycles;
  uint64_t ipi_ack_cycles;
  uint64_t minor_fault_cycles;
  uint64_t populate_page_cycles;
  uint64_t signal_delivery_cycles;

  /// Entry and exit of one system call, KPTI included.
  uint64_t entry_exit_cycles() const { return syscall_cycles + (kpti ? kpti_extra_cycles : 0); }
};

/// The kernel.* cost parameters, bound to KernelCosts.
const ParamTable<KernelCosts>& kernel_cost_table();

}  // namespace pkusim::sim
