// The functional machine's parameters: the MMU geometry (system.maxphyaddr,
// tlb.* sizes, mmu.psc_*) and the kernel's flush policy (kernel.flush_*).
// Defaults: Intel Skylake-SP (Xeon Gold 6142 class) under Linux 6.x.
#include <algorithm>

#include "sim/machine.h"

namespace pkusim::sim {

namespace {

constexpr const char* kTlbSource =
    "Intel 64 and IA-32 Architectures Optimization Reference Manual (248966), Table 2-15 "
    "(Skylake TLBs)";

ParamTable<MachineConfig> make_table() {
  ParamTable<MachineConfig> t;
  t.integer(
      "system.maxphyaddr", [](MachineConfig& m) -> unsigned& { return m.mmu.maxphyaddr; }, 46,
      "bits", 36, 52, "Physical address width (MAXPHYADDR)",
      "Skylake-SP: CPUID.80000008H:EAX[7:0] = 46 (Intel ARK, Xeon Gold 6142: 768 GB per socket)");
  struct Array {
    const char* name;
    mmu::TlbArraySize mmu::TlbConfig::*field;
    int64_t entries, ways;
    const char* what;
    const char* source;
  };
  const Array arrays[] = {
      {"l1d_4k", &mmu::TlbConfig::l1d_4k, 64, 4, "L1 DTLB, 4 KiB pages", kTlbSource},
      {"l1d_2m", &mmu::TlbConfig::l1d_2m, 32, 4, "L1 DTLB, 2 MiB pages", kTlbSource},
      {"l1d_1g", &mmu::TlbConfig::l1d_1g, 4, 4, "L1 DTLB, 1 GiB pages", kTlbSource},
      {"l1i_4k", &mmu::TlbConfig::l1i_4k, 128, 8, "L1 ITLB, 4 KiB pages", kTlbSource},
      {"l1i_2m", &mmu::TlbConfig::l1i_2m, 8, 8, "L1 ITLB, 2 MiB pages", kTlbSource},
      {"stlb", &mmu::TlbConfig::stlb, 1536, 12, "Unified STLB (4 KiB + 2 MiB)",
       "Optimization Manual Table 2-15: 1536 entries; 12-way per WikiChip, Skylake (server) [S]"},
      {"stlb_1g", &mmu::TlbConfig::stlb_1g, 16, 4, "STLB, 1 GiB pages",
       "Optimization Manual Table 2-15: 16 entries, 4-way [U]"},
  };
  for (const Array& a : arrays) {
    const auto field = a.field;
    const std::string base = std::string("tlb.") + a.name;
    t.integer(
        base + ".entries",
        [field](MachineConfig& m) -> unsigned& { return (m.mmu.tlb.*field).entries; }, a.entries,
        "entries", 0, 1 << 20, std::string(a.what) + ": entries (0: no such array)", a.source);
    t.integer(
        base + ".ways", [field](MachineConfig& m) -> unsigned& { return (m.mmu.tlb.*field).ways; },
        a.ways, "ways", 1, 65536, std::string(a.what) + ": associativity", a.source);
  }
  constexpr const char* kPscSource =
      "Intel does not publish paging-structure-cache sizes (SDM Vol. 3A 4.10.3); sizes as "
      "commonly assumed in simulators [U]";
  t.integer(
      "mmu.psc_pml4_entries", [](MachineConfig& m) -> unsigned& { return m.mmu.psc_pml4_entries; },
      4, "entries", 0, 4096, "PML4E paging-structure cache (fully associative, LRU)", kPscSource);
  t.integer(
      "mmu.psc_pdpt_entries", [](MachineConfig& m) -> unsigned& { return m.mmu.psc_pdpt_entries; },
      16, "entries", 0, 4096, "PDPTE paging-structure cache", kPscSource);
  t.integer(
      "mmu.psc_pde_entries", [](MachineConfig& m) -> unsigned& { return m.mmu.psc_pde_entries; },
      32, "entries", 0, 4096, "PDE paging-structure cache", kPscSource);
  std::vector<std::pair<std::string, FlushPolicy>> policies;
  for (const auto& [name, p] : kFlushPolicies) policies.emplace_back(std::string(name), p);
  t.choice(
      "kernel.flush_policy", [](MachineConfig& m) -> FlushPolicy& { return m.kernel.flush_policy; },
      "linux", policies,
      "linux: invalidate after PTE changes as Linux does; skip-upgrades: no invalidation for "
      "changes that only grant rights (safe: a stale, stricter TLB entry raises a spurious "
      "fault, which invalidates it, SDM 4.10.4.1; Ingo Molnar's suggestion on linux-kernel, "
      "2015); none: rewrite PTEs but skip every invalidation (unsafe; counts "
      "stale-permission accesses)",
      "Linux arch/x86/mm/tlb.c flush_tlb_mm_range");
  t.integer(
      "kernel.flush_ceiling", [](MachineConfig& m) -> unsigned& { return m.kernel.flush_ceiling; },
      33, "pages", 0, 1 << 30, "Largest range flushed page by page; above it, a full flush",
      "Linux arch/x86/mm/tlb.c tlb_single_page_flush_ceiling = 33 (Dave Hansen, 2014, commit "
      "a5102476a24b)");
  t.then([](MachineConfig& m) { m.kernel.pcid = 1; });
  return t;
}

}  // namespace

const ParamTable<MachineConfig>& machine_param_table() {
  static const ParamTable<MachineConfig> t = make_table();
  return t;
}

}  // namespace pkusim::sim
