// The parameter table. Defaults describe an Intel Skylake-SP server core
// (Xeon Gold 6142 class, the machine ERIM measured on) running Linux 6.x;
// sources are keyed as in shared/reference/pku-spec.md and docs/config.md.
#include <algorithm>

#include "sim/config/param.h"

namespace pkusim::sim {

namespace {

using nlohmann::json;

ParamSpec i(std::string path, int64_t def, std::string unit, double lo, double hi, std::string desc,
            std::string src) {
  return {std::move(path), ParamType::kInt, def, std::move(unit), lo, hi, {},
          std::move(desc), std::move(src)};
}
ParamSpec f(std::string path, double def, std::string unit, double lo, double hi, std::string desc,
            std::string src) {
  return {std::move(path), ParamType::kFloat, def, std::move(unit), lo, hi, {},
          std::move(desc), std::move(src)};
}
ParamSpec b(std::string path, bool def, std::string desc, std::string src) {
  return {std::move(path), ParamType::kBool, def, "", 0, 0, {}, std::move(desc), std::move(src)};
}
ParamSpec c(std::string path, std::string def, std::vector<std::string> choices, std::string desc,
            std::string src) {
  return {std::move(path),    ParamType::kChoice, def,           "", 0, 0,
          std::move(choices), std::move(desc),    std::move(src)};
}

constexpr double kBig = 1e12;

std::vector<ParamSpec> make_specs() {
  std::vector<ParamSpec> p;
  // System.
  p.push_back(i("system.cores", 8, "cores", 1, 1024,
                "Cores; thread t of a trace runs on core t, later traces on the next free cores",
                "Xeon Gold 6142 has 16; 8 lets traces of up to 8 threads run by default [SIM]"));
  p.push_back(
      f("system.frequency_ghz", 2.6, "GHz", 0.1, 10,
        "Core clock, used to turn published nanosecond costs into cycles and to report time",
        "Xeon Gold 6142 base clock (ERIM's machine), pku-spec.md 5"));
  p.push_back(i("system.maxphyaddr", 46, "bits", 36, 52, "Physical address width (MAXPHYADDR)",
                "Skylake-SP CPUID.80000008H:EAX[7:0] = 46"));
  // Core.
  p.push_back(i("core.dispatch_width", 4, "instructions/cycle", 1, 16,
                "Instructions allocated into the ROB per cycle",
                "Skylake allocation width 4, Intel Optimization Manual 2.2"));
  p.push_back(i("core.retire_width", 4, "instructions/cycle", 1, 16,
                "Instructions retired per cycle",
                "Skylake retirement 4/cycle, Intel Opt. Manual 2.2"));
  p.push_back(i("core.rob_entries", 224, "entries", 1, 4096, "Reorder-buffer entries",
                "Skylake ROB 224, Intel Opt. Manual Table 2-6"));
  p.push_back(i("core.lq_entries", 72, "entries", 1, 4096, "Load-queue entries",
                "Skylake load buffer 72, Intel Opt. Manual Table 2-6"));
  p.push_back(i("core.sq_entries", 56, "entries", 1, 4096, "Store-queue entries",
                "Skylake store buffer 56, Intel Opt. Manual Table 2-6"));
  p.push_back(i("core.l1d_mshrs", 12, "entries", 1, 256,
                "Outstanding L1D misses (fill buffers): the memory-level parallelism",
                "Skylake 12 fill buffers [U], pku-spec.md 8"));
  p.push_back(i("core.compute_latency_cycles", 1, "cycles", 1, 1000,
                "Latency of a `compute` instruction", "single-cycle ALU op [SIM]"));
  p.push_back(i("core.wrpkru_latency_cycles", 25, "cycles", 0, 100000, "WRPKRU latency",
                "NOJITSU (NDSS 2020) ~20, CryptoMPK 20-30; pku-spec.md 5 [S]"));
  p.push_back(b("core.wrpkru_blocks_younger_memory", true,
                "Younger loads and stores wait until WRPKRU completes",
                "SDM Vol. 2 WRPKRU: PKRU-checked accesses do not execute, even speculatively, "
                "before prior WRPKRUs complete"));
  p.push_back(
      b("core.wrpkru_drains_rob", false,
        "WRPKRU also waits for every older instruction (a full pipeline drain)",
        "not architectural (SDM: not serializing); papers describe a flush [S]; off by default"));
  p.push_back(i("core.rdpkru_latency_cycles", 2, "cycles", 0, 100000, "RDPKRU latency",
                "Linux asm/pkru.h: RDPKRU is cheap; 2 cycles [U]"));
  // TLBs.
  const std::string sky_tlb = "Skylake, Intel Opt. Manual Table 2-15 via pku-spec.md 5.1";
  p.push_back(i("tlb.l1d_4k.entries", 64, "entries", 0, 65536, "L1 DTLB, 4 KiB pages", sky_tlb));
  p.push_back(i("tlb.l1d_4k.ways", 4, "ways", 1, 65536, "L1 DTLB, 4 KiB pages", sky_tlb));
  p.push_back(i("tlb.l1d_2m.entries", 32, "entries", 0, 65536, "L1 DTLB, 2 MiB pages", sky_tlb));
  p.push_back(i("tlb.l1d_2m.ways", 4, "ways", 1, 65536, "L1 DTLB, 2 MiB pages", sky_tlb));
  p.push_back(i("tlb.l1d_1g.entries", 4, "entries", 0, 65536, "L1 DTLB, 1 GiB pages", sky_tlb));
  p.push_back(i("tlb.l1d_1g.ways", 4, "ways", 1, 65536, "L1 DTLB, 1 GiB pages", sky_tlb));
  p.push_back(i("tlb.l1i_4k.entries", 128, "entries", 0, 65536, "L1 ITLB, 4 KiB pages", sky_tlb));
  p.push_back(i("tlb.l1i_4k.ways", 8, "ways", 1, 65536, "L1 ITLB, 4 KiB pages", sky_tlb));
  p.push_back(i("tlb.l1i_2m.entries", 8, "entries", 0, 65536, "L1 ITLB, 2 MiB pages", sky_tlb));
  p.push_back(i("tlb.l1i_2m.ways", 8, "ways", 1, 65536, "L1 ITLB, 2 MiB pages", sky_tlb));
  p.push_back(
      i("tlb.stlb.entries", 1536, "entries", 0, 1 << 20, "Unified STLB (4 KiB + 2 MiB)", sky_tlb));
  p.push_back(i("tlb.stlb.ways", 12, "ways", 1, 65536, "Unified STLB (4 KiB + 2 MiB)",
                "WikiChip Skylake: STLB 12-way [S]"));
  p.push_back(i("tlb.stlb_1g.entries", 16, "entries", 0, 65536, "STLB, 1 GiB pages",
                "Skylake [U], pku-spec.md 5.1"));
  p.push_back(i("tlb.stlb_1g.ways", 4, "ways", 1, 65536, "STLB, 1 GiB pages", "Skylake [U]"));
  p.push_back(i("tlb.stlb_latency_cycles", 9, "cycles", 0, 1000, "Extra latency of an STLB hit",
                "Haswell/Ivy Bridge measurements ~9-12, pku-spec.md 5 [S]"));
  // MMU.
  p.push_back(i("mmu.walkers", 2, "walkers", 1, 64, "Concurrent page walks",
                "Skylake: two page walks in parallel, pku-spec.md 5.1"));
  p.push_back(i("mmu.psc_pml4_entries", 4, "entries", 0, 4096,
                "PML4E paging-structure cache (fully associative, LRU)",
                "Intel does not publish PSC sizes; pku-spec.md 5.1 [U]"));
  p.push_back(i("mmu.psc_pdpt_entries", 16, "entries", 0, 4096, "PDPTE paging-structure cache",
                "pku-spec.md 5.1 [U]"));
  p.push_back(i("mmu.psc_pde_entries", 32, "entries", 0, 4096, "PDE paging-structure cache",
                "pku-spec.md 5.1 [U]"));
  p.push_back(c("mmu.walk_entry_level", "l1d", {"l1d", "l2"},
                "Cache level where page-walk reads of paging-structure entries enter",
                "Intel PMH reads through the L1D [U]"));
  // Caches.
  p.push_back(i("cache.line_bytes", 64, "bytes", 64, 64, "Cache line size (fixed)", "x86"));
  struct Level {
    const char* name;
    int64_t size;
    int64_t ways;
    int64_t latency;
    const char* what;
    const char* src;
  };
  const Level levels[] = {{"l1i", 32 * 1024, 8, 4, "private L1 instruction cache",
                           "Skylake 32 KiB 8-way, Opt. Manual 2.2"},
                          {"l1d", 32 * 1024, 8, 4, "private L1 data cache",
                           "Skylake 32 KiB 8-way, load-to-use 4-5 cycles, Opt. Manual Table 2-4"},
                          {"l2", 1024 * 1024, 16, 14, "private L2 cache",
                           "Skylake-SP 1 MiB 16-way, 14 cycles, Opt. Manual Table 2-4"},
                          {"llc", 11 * 1024 * 1024, 11, 50, "shared last-level cache",
                           "Skylake-SP 1.375 MiB/core x 8 cores, 11-way; ~50-70 cycles [S]"}};
  for (const Level& l : levels) {
    const std::string base = std::string("cache.") + l.name;
    p.push_back(i(base + ".size_bytes", l.size, "bytes", 1024, kBig,
                  std::string("Size of the ") + l.what, l.src));
    p.push_back(i(base + ".ways", l.ways, "ways", 1, 1024,
                  std::string("Associativity of the ") + l.what, l.src));
    p.push_back(
        i(base + ".latency_cycles", l.latency, "cycles", 0, 10000,
          std::string("Hit latency of the ") + l.what + " (cumulative: includes the levels above)",
          l.src));
    p.push_back(c(base + ".replacement", "lru", {"lru", "fifo", "random", "srrip"},
                  std::string("Replacement policy of the ") + l.what,
                  "LRU approximates Intel's tree-PLRU [SIM]"));
  }
  p.push_back(i("dram.latency_cycles", 208, "cycles", 1, 100000,
                "DRAM access latency beyond the LLC", "~80 ns at 2.6 GHz, pku-spec.md 5 [S]"));
  p.push_back(f("dram.bandwidth_bytes_per_cycle", 49.0, "bytes/cycle", 1, 10000,
                "Peak DRAM bandwidth shared by all cores",
                "6 x DDR4-2666 = 128 GB/s at 2.6 GHz [S]"));
  // Kernel.
  p.push_back(c("kernel.flush_policy", "linux", {"linux", "none"},
                "linux: invalidate after PTE changes as Linux does; none: rewrite PTEs but skip "
                "every invalidation (Molnar's suggestion; counts stale-permission accesses)",
                "arch/x86/mm/tlb.c; pku-spec.md 6.5"));
  p.push_back(i("kernel.flush_ceiling", 33, "pages", 0, 1 << 30,
                "Largest range flushed page by page; above it, a full flush",
                "tlb_single_page_flush_ceiling, arch/x86/mm/tlb.c (Hansen 2014)"));
  p.push_back(i("kernel.syscall_cycles", 260, "cycles", 0, 1e9,
                "System-call entry and exit without KPTI",
                "~100 ns (FreeBSD getppid, Haswell), pku-spec.md 5"));
  p.push_back(b("kernel.kpti", false, "Kernel page-table isolation (two CR3 writes per syscall)",
                "off on PKU-era parts not affected by Meltdown [SIM]"));
  p.push_back(i("kernel.kpti_extra_cycles", 364, "cycles", 0, 1e9,
                "Extra syscall cost with KPTI+PCID",
                "+140 ns (FreeBSD D13985: 478 vs 339 ns), pku-spec.md 5"));
  p.push_back(i("kernel.vma_op_cycles", 1560, "cycles", 0, 1e9,
                "Fixed work of mmap/munmap/mprotect: mmap lock, VMA lookup",
                "600 ns [U/SIM], pku-spec.md 5"));
  p.push_back(i("kernel.per_vma_cycles", 260, "cycles", 0, 1e9,
                "Per VMA touched (split, merge, tree update)", "100 ns [SIM]"));
  p.push_back(i("kernel.per_pte_cycles", 13, "cycles", 0, 1e9,
                "Per present PTE rewritten (atomic get-and-clear, modify), besides its store",
                "5 ns [U/SIM], pku-spec.md 5"));
  p.push_back(i("kernel.pkey_op_cycles", 100, "cycles", 0, 1e9,
                "pkey_alloc/pkey_free work besides the syscall", "bitmap + PKRU update [SIM]"));
  p.push_back(i("kernel.invlpg_cycles", 200, "cycles", 0, 1e9, "One INVLPG",
                "Hansen 2014 ~100-260; Molnar 2015 237 hot; pku-spec.md 5"));
  p.push_back(i("kernel.full_flush_cycles", 150, "cycles", 0, 1e9,
                "A full non-global flush (CR3 write); the refills cost what they cost",
                "Molnar 2015: 96 hot, 251-366; pku-spec.md 5"));
  p.push_back(i("kernel.ipi_send_cycles", 97, "cycles", 0, 1e9, "Initiator cost per IPI target",
                "LATR fit 0.0375 us per target at 2.6 GHz, pku-spec.md 5 [S]"));
  p.push_back(i("kernel.ipi_delivery_cycles", 2000, "cycles", 0, 1e9,
                "From sending an IPI to the target taking the interrupt",
                "with handler and ack: LATR 2.1 us base at 2.6 GHz [S/SIM fit]"));
  p.push_back(i("kernel.ipi_handler_cycles", 1500, "cycles", 0, 1e9,
                "Target's interrupt entry/exit and flush_tlb_func, besides its INVLPGs/flush",
                ">= 1,000 cycles, pku-spec.md 5 [S]"));
  p.push_back(i("kernel.ipi_ack_cycles", 1960, "cycles", 0, 1e9,
                "From the target's handler end to the initiator seeing the acknowledgement",
                "completes the LATR 2.1 us fit [SIM]"));
  p.push_back(
      i("kernel.minor_fault_cycles", 2600, "cycles", 0, 1e9,
        "A page fault resolved by the kernel (entry, allocation, zeroing, PTE write, return)",
        "~1 us [U]"));
  p.push_back(i("kernel.populate_page_cycles", 650, "cycles", 0, 1e9,
                "Per page faulted in by MAP_POPULATE (zeroing 4 KiB, PTE setup; no trap)",
                "~250 ns: 4 KiB memset at ~16 GB/s plus GUP overhead [SIM]"));
  p.push_back(i("kernel.signal_delivery_cycles", 5200, "cycles", 0, 1e9,
                "SIGSEGV delivery, handler entry and sigreturn", "2 us [U], pku-spec.md 5"));
  return p;
}

}  // namespace

const std::vector<ParamSpec>& param_specs() {
  static const std::vector<ParamSpec> specs = make_specs();
  return specs;
}

const ParamSpec* find_param(std::string_view path) {
  const auto& s = param_specs();
  const auto it =
      std::find_if(s.begin(), s.end(), [&](const ParamSpec& p) { return p.path == path; });
  return it == s.end() ? nullptr : &*it;
}

}  // namespace pkusim::sim
