#pragma once
// What the kernel's work costs the timed machine (kernel.* costs): system
// call entry and exit (and page-table isolation), mmap_lock and the VMA work
// of the memory system calls, each PTE rewritten, TLB invalidations,
// shootdown IPIs, page faults and signal delivery. The functional kernel
// (kernel.h) says what work is done, on which path; the timing model
// (sim/timing) charges it with these costs, so a path Linux leaves early
// costs only what it did (docs/model.md, "Kernel costs").
#include <cstdint>

#include "sim/config/param.h"

namespace pkusim::sim {

/// What a fault of the process waits for when mprotect holds mmap_lock.
enum class MmapLockMode : uint8_t {
  kPerVma,  // Linux 6.4+: only faults on the VMAs being changed (lock_vma_under_rcu)
  kMm,      // before: every fault of the process (mmap_read_lock)
};

struct KernelCosts {
  uint64_t syscall_cycles;  // entry + exit without KPTI
  bool kpti;
  uint64_t kpti_extra_cycles;       // per system call with KPTI (the CR3 switches)
  uint64_t kpti_invpcid_cycles;     // per page flushed with KPTI (the user PCID's entry)
  uint64_t kpti_user_flush_cycles;  // per full flush with KPTI (the user PCID)
  MmapLockMode mmap_lock;
  uint64_t mmap_lock_cycles;  // taking mmap_lock, the VMA lookup, the mmu_gather
  uint64_t per_vma_cycles;    // a VMA whose flags change
  uint64_t vma_split_cycles;  // a VMA split (also a VMA created or removed)
  uint64_t vma_merge_cycles;
  uint64_t per_pte_cycles;
  uint64_t pte_writable_cycles;  // a PTE that mprotect makes writable, on top
  uint64_t pkey_op_cycles;
  uint64_t flush_fixed_cycles;  // the flush routine on the caller's core
  uint64_t invlpg_cycles;
  uint64_t full_flush_cycles;
  uint64_t ipi_send_cycles;
  uint64_t ipi_delivery_cycles;
  uint64_t ipi_handler_cycles;
  uint64_t ipi_ack_cycles;
  uint64_t minor_fault_cycles;
  uint64_t zero_page_fault_cycles;
  uint64_t per_huge_leaf_cycles;
  uint64_t populate_page_cycles;
  uint64_t signal_delivery_cycles;

  /// Entry and exit of one system call, KPTI included.
  uint64_t entry_exit_cycles() const { return syscall_cycles + (kpti ? kpti_extra_cycles : 0); }
  /// Flushing on one core: `invlpgs` pages, or everything of the PCID.
  uint64_t flush_cycles(uint64_t invlpgs, bool full) const {
    if (full) return full_flush_cycles + (kpti ? kpti_user_flush_cycles : 0);
    return invlpgs * (invlpg_cycles + (kpti ? kpti_invpcid_cycles : 0));
  }
};

/// The kernel.* cost parameters, bound to KernelCosts.
const ParamTable<KernelCosts>& kernel_cost_table();

}  // namespace pkusim::sim
