// The kernel cost parameters. Defaults: Linux 6.x on an Intel Skylake-SP at
// 2.6 GHz, with the mitigations Linux enables there by default (page-table
// isolation: Skylake-SP is affected by Meltdown). Figures published in
// nanoseconds are converted at that clock. [H] marks a measurement on an
// Intel Xeon KVM guest under Linux 6.18 (2.6 GHz TSC, no page-table
// isolation), the only machine at hand: its shape is trustworthy, its
// absolute values are not a Skylake-SP's (docs/calibration.md fits them to
// a host).
#include "sim/kernel/kernel_costs.h"

namespace pkusim::sim {

namespace {

constexpr double kCycles = 1e9;
constexpr const char* kHansen =
    "Dave Hansen, \"[PATCH] x86: mm: set TLB flush tunable to sane value (33)\", linux-mm, 2014: "
    "the local flush_tlb_mm_range path costs 1,276 cycles for 1 page, 9,350 for 32, 2,283 for a "
    "full flush (IvyBridge, about 250 cycles of tracing included)";

ParamTable<KernelCosts> make_table() {
  ParamTable<KernelCosts> t;
  t.integer("kernel.syscall_cycles", &KernelCosts::syscall_cycles, 260, "cycles", 0, kCycles,
            "System-call entry and exit without KPTI",
            "about 100 ns: FreeBSD getppid on Haswell, 339 ns with its overheads (K. Belousov, "
            "FreeBSD review D13985, 2018) [S]; [H] getppid 80-100 ns");
  t.flag("kernel.kpti", &KernelCosts::kpti, true,
         "Kernel page-table isolation: two CR3 switches per system call, and each flush also "
         "invalidates the user PCID",
         "on: Skylake-SP is Meltdown-affected (not in cpu_vuln_whitelist, no RDCL_NO; "
         "arch/x86/kernel/cpu/common.c cpu_set_bug_bits), so pti=auto enables it "
         "(arch/x86/mm/pti.c pti_check_boottime_disable)");
  t.integer("kernel.kpti_extra_cycles", &KernelCosts::kpti_extra_cycles, 364, "cycles", 0, kCycles,
            "Extra system-call cost with KPTI and PCID (SWITCH_TO_KERNEL_CR3 / _USER_CR3)",
            "+140 ns: FreeBSD getppid 478 ns with PTI vs 339 ns without (D13985, Haswell)");
  t.integer("kernel.kpti_invpcid_cycles", &KernelCosts::kpti_invpcid_cycles, 225, "cycles", 0,
            kCycles,
            "With KPTI, per page flushed: INVPCID of the page in the user PCID "
            "(native_flush_tlb_one_user, arch/x86/mm/tlb.c)",
            "INVPCID's cost is unpublished; taken as INVLPG's, 225 cycles on Skylake-X "
            "(uops.info) [U]");
  t.integer("kernel.kpti_user_flush_cycles", &KernelCosts::kpti_user_flush_cycles, 150, "cycles", 0,
            kCycles,
            "With KPTI, per full flush: the user PCID flushed by a CR3 write at the return to "
            "user (invalidate_user_asid, arch/x86/mm/tlb.c)",
            "a CR3 write: 96 cycles hot, 251-366 in other runs (Ingo Molnar, linux-mm, 8 Jun "
            "2015)");
  t.choice("kernel.mmap_lock", &KernelCosts::mmap_lock, "per-vma",
           std::vector<std::pair<std::string, MmapLockMode>>{{"per-vma", MmapLockMode::kPerVma},
                                                             {"mm", MmapLockMode::kMm}},
           "While mmap, munmap, mprotect or a pkey call holds mmap_lock for writing, which "
           "faults of the process wait: per-vma, those in the range being changed (Linux 6.4+); "
           "mm, all of them",
           "Linux 6.4+ CONFIG_PER_VMA_LOCK (x86): lock_vma_under_rcu fails on a write-locked "
           "VMA and the fault falls back to mmap_read_lock (arch/x86/mm/fault.c, mm/memory.c)");
  t.integer("kernel.mmap_lock_cycles", &KernelCosts::mmap_lock_cycles, 164, "cycles", 0, kCycles,
            "Taking mmap_lock, the VMA lookup and the mmu_gather of a memory system call",
            "[H] a no-op mprotect costs 63 ns more than getppid");
  t.integer("kernel.per_vma_cycles", &KernelCosts::per_vma_cycles, 170, "cycles", 0, kCycles,
            "Per VMA whose flags change (vm_flags_reset, vma_set_page_prot, the page-table walk)",
            "[H] an mprotect of a VMA without PTEs costs 65 ns more than a no-op");
  t.integer("kernel.vma_split_cycles", &KernelCosts::vma_split_cycles, 1150, "cycles", 0, kCycles,
            "Per VMA split (vm_area_dup, maple-tree preallocation and store; mm/mmap.c "
            "__split_vma); also per VMA created or removed",
            "[H] splitting one page off a 2-page VMA adds about 440 ns");
  t.integer("kernel.vma_merge_cycles", &KernelCosts::vma_merge_cycles, 1400, "cycles", 0, kCycles,
            "Per VMA merge (vma_merge)", "[H] re-merging adds about 500-600 ns");
  t.integer("kernel.per_pte_cycles", &KernelCosts::per_pte_cycles, 45, "cycles", 0, kCycles,
            "Per present PTE rewritten (ptep_modify_prot_start's xchg, pte_modify, commit), "
            "besides its store",
            "[H] mprotect RW->R over 34 to 2048 pages: 17.5 ns per page");
  t.integer("kernel.pte_writable_cycles", &KernelCosts::pte_writable_cycles, 8, "cycles", 0,
            kCycles,
            "Per PTE that mprotect makes writable, on top (can_change_pte_writable; "
            "mm/mprotect.c)",
            "[H] R->RW costs 20.5 ns per page against 17.5 for RW->R");
  t.integer("kernel.pkey_op_cycles", &KernelCosts::pkey_op_cycles, 100, "cycles", 0, kCycles,
            "pkey_alloc/pkey_free work besides the system call and the lock",
            "a bitmap update and a PKRU write (arch/x86/include/asm/pkeys.h) [SIM]");
  t.integer("kernel.flush_fixed_cycles", &KernelCosts::flush_fixed_cycles, 1000, "cycles", 0,
            kCycles,
            "The flush routine on the caller's core besides its INVLPGs or CR3 write "
            "(flush_tlb_mm_range, tlb_gen, flush_tlb_func, interrupts off and on)",
            std::string(kHansen) + ": 1,276 - 250 cycles for 1 page, one INVLPG in it");
  t.integer("kernel.invlpg_cycles", &KernelCosts::invlpg_cycles, 260, "cycles", 0, kCycles,
            "Per page flushed by INVLPG (the loop of flush_tlb_func)",
            std::string(kHansen) +
                ": (9,350 - 1,276) / 31 cycles per further page; INVLPG "
                "alone 225 cycles on Skylake-X (uops.info)");
  t.integer("kernel.full_flush_cycles", &KernelCosts::full_flush_cycles, 1280, "cycles", 0, kCycles,
            "A full flush of the process's PCID (CR3 write), the refills not included",
            std::string(kHansen) + ": 2,283 - 1,000 cycles");
  t.integer("kernel.ipi_send_cycles", &KernelCosts::ipi_send_cycles, 97, "cycles", 0, kCycles,
            "Initiator cost per IPI target (an ICR write)",
            "0.0375 us per target: a linear fit to LATR's two shootdown figures (Kumar et al., "
            "ASPLOS 2018: 2.7 us on 16 cores, 6.6 us on 120) [S]");
  t.integer("kernel.ipi_delivery_cycles", &KernelCosts::ipi_delivery_cycles, 3500, "cycles", 0,
            kCycles, "From sending an IPI to the target taking the interrupt",
            "completes a one-target shootdown of about 2.2 us, within LATR's 2.1-2.7 us [S/SIM]");
  t.integer("kernel.ipi_handler_cycles", &KernelCosts::ipi_handler_cycles, 1500, "cycles", 0,
            kCycles,
            "Target's interrupt entry/exit and flush_tlb_func, besides its INVLPGs or flush",
            "at least 1,000 cycles (LATR, ASPLOS 2018) [S]");
  t.integer("kernel.ipi_ack_cycles", &KernelCosts::ipi_ack_cycles, 300, "cycles", 0, kCycles,
            "From the target's handler end to the initiator seeing the acknowledgement",
            "one cache-line transfer: the target's csd_unlock, polled by the initiator's "
            "csd_lock_wait (kernel/smp.c) [U magnitude]");
  t.integer("kernel.minor_fault_cycles", &KernelCosts::minor_fault_cycles, 2600, "cycles", 0,
            kCycles,
            "A page fault resolved by the kernel (entry, allocation, zeroing, PTE write, return); "
            "a read fault served by the zero page costs kernel.zero_page_fault_cycles instead",
            "[H] 0.50 us for a first read (the zero page), 1.44 us for a first write (zero-fill)");
  t.integer("kernel.zero_page_fault_cycles", &KernelCosts::zero_page_fault_cycles, 1300, "cycles",
            0, kCycles,
            "A read fault of an anonymous page that maps the shared zero page (no allocation, "
            "no zeroing: do_anonymous_page, mm/memory.c)",
            "[H] 0.50 us for a first read, against 1.44 us for a first write");
  t.integer("kernel.per_huge_leaf_cycles", &KernelCosts::per_huge_leaf_cycles, 122, "cycles", 0,
            kCycles,
            "Per huge-page entry (PMD or PUD) that mprotect rewrites, on top of a PTE's cost "
            "(change_huge_pmd, hugetlb_change_protection: the entry is invalidated first, "
            "pmdp_invalidate_ad)",
            "a measurement on an AMD EPYC (Zen 5) KVM guest, Linux 6.18: mprotect(R) of 512 "
            "huge pages 63.6 us against 39.5 us for 512 4 KiB pages, 47 ns per entry "
            "(docs/calibration.md)");
  t.integer("kernel.populate_page_cycles", &KernelCosts::populate_page_cycles, 650, "cycles", 0,
            kCycles, "Per page faulted in by MAP_POPULATE (zeroing 4 KiB, PTE setup; no trap)",
            "about 250 ns: a 4 KiB memset at about 16 GB/s plus get_user_pages overhead [SIM]");
  t.integer("kernel.signal_delivery_cycles", &KernelCosts::signal_delivery_cycles, 3100, "cycles",
            0, kCycles, "SIGSEGV delivery, handler entry and sigreturn",
            "[H] a write to a read-only page with a handler that skips it: 1.2 us");
  return t;
}

}  // namespace

const ParamTable<KernelCosts>& kernel_cost_table() {
  static const ParamTable<KernelCosts> t = make_table();
  return t;
}

}  // namespace pkusim::sim
