// The system's own parameters, and the table of every parameter: the
// concatenation of the components' tables, grouped by their top-level
// section in a fixed order.
#include "sim/timing/params.h"

#include <algorithm>
#include <array>

namespace pkusim::sim {

namespace {

ParamTable<SystemParams> make_table() {
  ParamTable<SystemParams> t;
  t.integer("system.cores", &SystemParams::cores, 8, "cores", 1, 1024,
            "Cores; each thread of a trace runs on a core of its own, taken when the thread "
            "is created",
            "Xeon Gold 6142 has 16 (Intel ARK); 8 lets traces of up to 8 threads run [SIM]");
  t.real("system.frequency_ghz", &SystemParams::frequency_ghz, 2.6, "GHz", 0.1, 10,
         "Core clock, used to turn published nanosecond costs into cycles and to report time",
         "Xeon Gold 6142 base clock 2.6 GHz (Intel ARK), the machine ERIM (USENIX Security "
         "2019) measured on");
  t.integer("system.quantum_records", &SystemParams::quantum_records, 64, "records", 1, 1 << 20,
            "Records a process runs before the scheduler again picks the process whose core is "
            "earliest in simulated time (several traces only)",
            "a trade-off of interleaving accuracy and speed [SIM]");
  t.integer("tlb.stlb_latency_cycles", &SystemParams::stlb_latency_cycles, 9, "cycles", 0, 1000,
            "Extra latency of an STLB hit",
            "about 9 cycles on Skylake (7-cpu.com, Skylake: L2 TLB miss penalty) [S]");
  t.integer("mmu.walkers", &SystemParams::walkers, 2, "walkers", 1, 64, "Concurrent page walks",
            "Skylake: two page walks in parallel (Intel Optimization Manual 248966, 2.2)");
  t.integer("mmu.walk_extra_cycles", &SystemParams::walk_extra_cycles, 0, "cycles", 0, 100000,
            "Extra latency of every page walk beyond its reads of paging-structure entries: in a "
            "virtual machine, the walk of the guest's tables through the host's (EPT, NPT)",
            "0: a native walk (bare metal). A guest's two-dimensional walk reads up to 24 "
            "entries instead of 4 (Bhargava et al., \"Accelerating two-dimensional page walks "
            "for virtualized systems\", ASPLOS 2008); `pkusim calibrate` fits it to a host");
  t.choice(
      "mmu.walk_entry_level", &SystemParams::walk_entry, "l1d",
      std::vector<std::pair<std::string, MemLevel>>{{"l1d", MemLevel::kL1}, {"l2", MemLevel::kL2}},
      "Cache level where page-walk reads of paging-structure entries enter",
      "Intel's page miss handler reads through the L1D [U]");
  return t;
}

std::vector<ParamSpec> all_specs() {
  std::vector<ParamSpec> all;
  const auto add = [&](const std::vector<ParamSpec>& s) {
    all.insert(all.end(), s.begin(), s.end());
  };
  add(system_param_table().specs());
  add(core_param_table().specs());
  add(machine_param_table().specs());
  add(memory_param_table().specs());
  add(kernel_cost_table().specs());
  // Sections in a fixed order; within one, the order of declaration.
  constexpr std::array<std::string_view, 7> kSections = {"system", "core", "tlb",   "mmu",
                                                         "cache",  "dram", "kernel"};
  const auto rank = [&](const ParamSpec& s) {
    const std::string_view top = std::string_view(s.path).substr(0, s.path.find('.'));
    return std::find(kSections.begin(), kSections.end(), top) - kSections.begin();
  };
  std::stable_sort(all.begin(), all.end(),
                   [&](const ParamSpec& a, const ParamSpec& b) { return rank(a) < rank(b); });
  return all;
}

}  // namespace

const ParamTable<SystemParams>& system_param_table() {
  static const ParamTable<SystemParams> t = make_table();
  return t;
}

const std::vector<ParamSpec>& param_specs() {
  static const std::vector<ParamSpec> specs = all_specs();
  return specs;
}

const ParamSpec* find_param(std::string_view path) {
  const auto& s = param_specs();
  const auto it =
      std::find_if(s.begin(), s.end(), [&](const ParamSpec& p) { return p.path == path; });
  return it == s.end() ? nullptr : &*it;
}

TimingParams timing_params(const Config& c) {
  return {system_param_table().bind(c), core_param_table().bind(c), machine_config(c),
          memory_param_table().bind(c), kernel_cost_table().bind(c)};
}

}  // namespace pkusim::sim
