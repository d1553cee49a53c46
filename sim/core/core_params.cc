// The core's parameters (core.*). Defaults: an Intel Skylake-SP server core
// (Xeon Gold 6142 class, the machine ERIM measured WRPKRU on).
#include "sim/core/core_timer.h"

namespace pkusim::sim {

namespace {
constexpr const char* kOptManual =
    "Intel 64 and IA-32 Architectures Optimization Reference Manual (248966), 2.2 Skylake";

ParamTable<CoreParams> make_table() {
  ParamTable<CoreParams> t;
  t.integer("core.dispatch_width", &CoreParams::dispatch_width, 4, "instructions/cycle", 1, 16,
            "Instructions allocated into the ROB per cycle",
            std::string(kOptManual) + ": allocation width 4");
  t.integer("core.retire_width", &CoreParams::retire_width, 4, "instructions/cycle", 1, 16,
            "Instructions retired per cycle", std::string(kOptManual) + ": retirement 4 per cycle");
  t.integer("core.rob_entries", &CoreParams::rob_entries, 224, "entries", 1, 4096,
            "Reorder-buffer entries", std::string(kOptManual) + ", Table 2-6: ROB 224");
  t.integer("core.lq_entries", &CoreParams::lq_entries, 72, "entries", 1, 4096,
            "Load-queue entries", std::string(kOptManual) + ", Table 2-6: load buffer 72");
  t.integer("core.sq_entries", &CoreParams::sq_entries, 56, "entries", 1, 4096,
            "Store-queue entries", std::string(kOptManual) + ", Table 2-6: store buffer 56");
  t.integer("core.l1d_mshrs", &CoreParams::mshrs, 12, "entries", 1, 256,
            "Outstanding L1D misses (fill buffers): the memory-level parallelism",
            "Skylake has 12 L1D fill buffers (WikiChip, Skylake (client) microarchitecture) [S]");
  t.integer("core.compute_latency_cycles", &CoreParams::compute_latency_cycles, 1, "cycles", 1,
            1000, "Latency of a `compute` instruction", "a single-cycle ALU operation [SIM]");
  t.integer("core.wrpkru_latency_cycles", &CoreParams::wrpkru_latency_cycles, 25, "cycles", 0,
            100000, "WRPKRU latency",
            "about 20 cycles: NOJITSU (Park et al., NDSS 2020, 2.3); 20-30 cycles as quoted from "
            "CryptoMPK (IEEE S&P 2022) [S]");
  t.flag("core.wrpkru_blocks_younger_memory", &CoreParams::wrpkru_blocks_younger_memory, true,
         "Younger loads and stores wait until WRPKRU completes",
         "Intel SDM Vol. 2B, WRPKRU: memory accesses affected by PKRU do not execute, even "
         "speculatively, until all prior WRPKRUs have completed");
  t.flag("core.wrpkru_drains_rob", &CoreParams::wrpkru_drains_rob, false,
         "WRPKRU serializes: it dispatches once every older instruction has retired and holds "
         "back every younger one, not only loads and stores, until it completes (a full "
         "pipeline drain; by default it waits for older instructions to complete and only "
         "younger memory accesses wait for it)",
         "not architectural: the SDM does not list WRPKRU as serializing; NOJITSU (NDSS 2020) "
         "describes a pipeline flush [S]; off by default");
  t.integer("core.rdpkru_latency_cycles", &CoreParams::rdpkru_latency_cycles, 2, "cycles", 0,
            100000, "RDPKRU latency",
            "Linux arch/x86/include/asm/pkru.h: RDPKRU is cheap next to WRPKRU; 2 cycles [U]");
  return t;
}
}  // namespace

const ParamTable<CoreParams>& core_param_table() {
  static const ParamTable<CoreParams> t = make_table();
  return t;
}

}  // namespace pkusim::sim
