// The kernel cost parameters. Defaults: Linux 6.x on an Intel Skylake-SP at
// 2.6 GHz. Figures published in nanoseconds are converted at that clock.
#include "sim/kernel/kernel_costs.h"

namespace pkusim::sim {

namespace {

constexpr double kCycles = 1e9;

ParamTable<KernelCosts> make_table() {
  ParamTable<KernelCosts> t;
  t.integer("kernel.syscall_cycles", &KernelCosts::syscall_cycles, 260, "cycles", 0, kCycles,
            "System-call entry and exit without KPTI",
            "about 100 ns: FreeBSD getppid on Haswell, 339 ns with its overheads (K. Belousov, "
            "FreeBSD review D13985, 2018) [S]");
  t.flag("kernel.kpti", &KernelCosts::kpti, false,
         "Kernel page-table isolation (two CR3 writes per system call)",
         "off: the preset models a CPU without Meltdown [SIM]");
  t.integer("kernel.kpti_extra_cycles", &KernelCosts::kpti_extra_cycles, 364, "cycles", 0, kCycles,
            "Extra system-call cost with KPTI and PCID",
            "+140 ns: FreeBSD getppid 478 ns with PTI vs 339 ns without (D13985, Haswell)");
  t.integer("kernel.vma_op_cycles", &KernelCosts::vma_op_cycles, 1560, "cycles", 0, kCycles,
            "Fixed work of mmap/munmap/mprotect: mmap lock, VMA lookup",
            "600 ns [U]: no per-call measurement published");
  t.integer("kernel.per_vma_cycles", &KernelCosts::per_vma_cycles, 260, "cycles", 0, kCycles,
            "Per VMA touched (split, merge, tree update)", "100 ns [SIM]");
  t.integer("kernel.per_pte_cycles", &KernelCosts::per_pte_cycles, 13, "cycles", 0, kCycles,
            "Per present PTE rewritten (atomic get-and-clear, modify), besides its store",
            "5 ns [U]");
  t.integer("kernel.pkey_op_cycles", &KernelCosts::pkey_op_cycles, 100, "cycles", 0, kCycles,
            "pkey_alloc/pkey_free work besides the system call",
            "a bitmap update and a PKRU write (arch/x86/include/asm/pkeys.h) [SIM]");
  t.integer("kernel.invlpg_cycles", &KernelCosts::invlpg_cycles, 200, "cycles", 0, kCycles,
            "One INVLPG",
            "100-260 cycles: Dave Hansen, linux-mm, 2014 (IvyBridge); 237 hot: Ingo Molnar, "
            "linux-mm, 8 Jun 2015");
  t.integer("kernel.full_flush_cycles", &KernelCosts::full_flush_cycles, 150, "cycles", 0, kCycles,
            "A full non-global flush (CR3 write); the refills cost what they cost",
            "96 cycles hot, 251-366 in other runs: Ingo Molnar, linux-mm, 8 Jun 2015");
  t.integer("kernel.ipi_send_cycles", &KernelCosts::ipi_send_cycles, 97, "cycles", 0, kCycles,
            "Initiator cost per IPI target",
            "0.0375 us per target: a linear fit to LATR's two shootdown figures (Kumar et al., "
            "ASPLOS 2018: 2.7 us on 16 cores, 6.6 us on 120) [S]");
  t.integer("kernel.ipi_delivery_cycles", &KernelCosts::ipi_delivery_cycles, 2000, "cycles", 0,
            kCycles, "From sending an IPI to the target taking the interrupt",
            "with handler and ack, the 2.1 us base of the LATR fit [S/SIM]");
  t.integer("kernel.ipi_handler_cycles", &KernelCosts::ipi_handler_cycles, 1500, "cycles", 0,
            kCycles,
            "Target's interrupt entry/exit and flush_tlb_func, besides its INVLPGs or flush",
            "at least 1,000 cycles (LATR, ASPLOS 2018) [S]");
  t.integer("kernel.ipi_ack_cycles", &KernelCosts::ipi_ack_cycles, 1960, "cycles", 0, kCycles,
            "From the target's handler end to the initiator seeing the acknowledgement",
            "completes the LATR 2.1 us fit [SIM]");
  t.integer("kernel.minor_fault_cycles", &KernelCosts::minor_fault_cycles, 2600, "cycles", 0,
            kCycles,
            "A page fault resolved by the kernel (entry, allocation, zeroing, PTE write, return)",
            "about 1 us [U]");
  t.integer("kernel.populate_page_cycles", &KernelCosts::populate_page_cycles, 650, "cycles", 0,
            kCycles, "Per page faulted in by MAP_POPULATE (zeroing 4 KiB, PTE setup; no trap)",
            "about 250 ns: a 4 KiB memset at about 16 GB/s plus get_user_pages overhead [SIM]");
  t.integer("kernel.signal_delivery_cycles", &KernelCosts::signal_delivery_cycles, 5200, "cycles",
            0, kCycles, "SIGSEGV delivery, handler entry and sigreturn", "2 us [U]");
  return t;
}

}  // namespace

const ParamTable<KernelCosts>& kernel_cost_table() {
  static const ParamTable<KernelCosts> t = make_table();
  return t;
}

}  // namespace pkusim::sim
