#include "sim/timing/params.h"

namespace pkusim::sim {

namespace {
mmu::TlbArrayConfig tlb_array(const Config& c, const char* name, uint8_t sizes) {
  const std::string base = std::string("tlb.") + name;
  return {name, static_cast<unsigned>(c.get_int(base + ".entries")),
          static_cast<unsigned>(c.get_int(base + ".ways")), sizes};
}
CacheConfig cache(const Config& c, const char* name) {
  const std::string base = std::string("cache.") + name;
  CacheConfig cc;
  cc.name = name;
  cc.size_bytes = static_cast<uint64_t>(c.get_int(base + ".size_bytes"));
  cc.ways = static_cast<unsigned>(c.get_int(base + ".ways"));
  cc.line_bytes = static_cast<unsigned>(c.get_int("cache.line_bytes"));
  cc.latency_cycles = static_cast<unsigned>(c.get_int(base + ".latency_cycles"));
  cc.replacement = c.get_string(base + ".replacement");
  return cc;
}
uint64_t u(const Config& c, const char* path) { return static_cast<uint64_t>(c.get_int(path)); }
}  // namespace

TimingParams timing_params(const Config& c) {
  using isa::PageSize;
  TimingParams p;
  p.cores = static_cast<unsigned>(c.get_int("system.cores"));
  p.frequency_ghz = c.get_float("system.frequency_ghz");
  p.core.dispatch_width = static_cast<unsigned>(u(c, "core.dispatch_width"));
  p.core.retire_width = static_cast<unsigned>(u(c, "core.retire_width"));
  p.core.rob_entries = static_cast<unsigned>(u(c, "core.rob_entries"));
  p.core.lq_entries = static_cast<unsigned>(u(c, "core.lq_entries"));
  p.core.sq_entries = static_cast<unsigned>(u(c, "core.sq_entries"));
  p.core.mshrs = static_cast<unsigned>(u(c, "core.l1d_mshrs"));
  p.core.wrpkru_blocks_younger_memory = c.get_bool("core.wrpkru_blocks_younger_memory");
  p.compute_latency_cycles = u(c, "core.compute_latency_cycles");
  p.wrpkru_latency_cycles = u(c, "core.wrpkru_latency_cycles");
  p.wrpkru_drains_rob = c.get_bool("core.wrpkru_drains_rob");
  p.rdpkru_latency_cycles = u(c, "core.rdpkru_latency_cycles");

  mmu::MmuConfig& m = p.machine.mmu;
  m.maxphyaddr = static_cast<unsigned>(u(c, "system.maxphyaddr"));
  m.tlb.l1d.clear();
  m.tlb.l1i.clear();
  m.tlb.l2.clear();
  const auto add = [&](std::vector<mmu::TlbArrayConfig>& v, const char* name, uint8_t sizes) {
    mmu::TlbArrayConfig a = tlb_array(c, name, sizes);
    if (a.entries) v.push_back(a);
  };
  add(m.tlb.l1d, "l1d_4k", mmu::size_bit(PageSize::k4K));
  add(m.tlb.l1d, "l1d_2m", mmu::size_bit(PageSize::k2M));
  add(m.tlb.l1d, "l1d_1g", mmu::size_bit(PageSize::k1G));
  add(m.tlb.l1i, "l1i_4k", mmu::size_bit(PageSize::k4K));
  add(m.tlb.l1i, "l1i_2m", mmu::size_bit(PageSize::k2M));
  add(m.tlb.l2, "stlb", uint8_t(mmu::size_bit(PageSize::k4K) | mmu::size_bit(PageSize::k2M)));
  add(m.tlb.l2, "stlb_1g", mmu::size_bit(PageSize::k1G));
  m.psc_pml4_entries = static_cast<unsigned>(u(c, "mmu.psc_pml4_entries"));
  m.psc_pdpt_entries = static_cast<unsigned>(u(c, "mmu.psc_pdpt_entries"));
  m.psc_pde_entries = static_cast<unsigned>(u(c, "mmu.psc_pde_entries"));
  p.machine.kernel.flush = c.get_string("kernel.flush_policy") == "linux";
  p.machine.kernel.flush_ceiling = static_cast<unsigned>(u(c, "kernel.flush_ceiling"));
  p.stlb_latency_cycles = u(c, "tlb.stlb_latency_cycles");
  p.walkers = static_cast<unsigned>(u(c, "mmu.walkers"));
  p.walk_entry = c.get_string("mmu.walk_entry_level") == "l2" ? MemLevel::kL2 : MemLevel::kL1;

  p.memory.l1i = cache(c, "l1i");
  p.memory.l1d = cache(c, "l1d");
  p.memory.l2 = cache(c, "l2");
  p.memory.llc = cache(c, "llc");
  p.memory.dram_latency_cycles = u(c, "dram.latency_cycles");
  p.memory.dram_bytes_per_cycle = c.get_float("dram.bandwidth_bytes_per_cycle");

  KernelCosts& k = p.kernel;
  k.syscall_cycles = u(c, "kernel.syscall_cycles") +
                     (c.get_bool("kernel.kpti") ? u(c, "kernel.kpti_extra_cycles") : 0);
  k.vma_op_cycles = u(c, "kernel.vma_op_cycles");
  k.per_vma_cycles = u(c, "kernel.per_vma_cycles");
  k.per_pte_cycles = u(c, "kernel.per_pte_cycles");
  k.pkey_op_cycles = u(c, "kernel.pkey_op_cycles");
  k.invlpg_cycles = u(c, "kernel.invlpg_cycles");
  k.full_flush_cycles = u(c, "kernel.full_flush_cycles");
  k.ipi_send_cycles = u(c, "kernel.ipi_send_cycles");
  k.ipi_delivery_cycles = u(c, "kernel.ipi_delivery_cycles");
  k.ipi_handler_cycles = u(c, "kernel.ipi_handler_cycles");
  k.ipi_ack_cycles = u(c, "kernel.ipi_ack_cycles");
  k.minor_fault_cycles = u(c, "kernel.minor_fault_cycles");
  k.populate_page_cycles = u(c, "kernel.populate_page_cycles");
  k.signal_delivery_cycles = u(c, "kernel.signal_delivery_cycles");
  return p;
}

}  // namespace pkusim::sim
