// The timed report: schema pkusim.report, version 1 (docs/report.md).
#include <fmt/format.h>

#include <algorithm>

#include "sim/report.h"
#include "sim/timing/system.h"
#include "sim/timing/system_internal.h"

namespace pkusim::sim {

using json = nlohmann::ordered_json;

namespace {

json cache_json(const Cache& c) {
  const CacheStats& s = c.stats();
  return {{"accesses", s.accesses()},       {"hits", s.read_hits + s.write_hits},
          {"misses", s.misses()},           {"read_misses", s.read_misses},
          {"write_misses", s.write_misses}, {"writebacks", s.writebacks}};
}

json cpi_json(const std::array<uint64_t, kNumStalls>& stack) {
  json j = json::object();
  for (unsigned s = 0; s < kNumStalls; ++s) j[stall_name(Stall(s))] = stack[s];
  return j;
}

double ratio(uint64_t a, uint64_t b) { return b ? double(a) / double(b) : 0.0; }

/// Rounded to 4 decimals so reports stay readable and byte-stable.
double round4(double x) { return double(int64_t(x * 10000 + 0.5)) / 10000; }

}  // namespace

json System::report() const {
  json r;
  r["schema"] = kReportSchema;
  r["version"] = kReportVersion;
  r["mode"] = "timing";
  r["config"] = config_json_;
  json traces = json::array();
  for (const auto& p : procs_) traces.push_back(p->name);
  r["traces"] = traces;

  uint64_t instructions = 0, cycles = 0;
  std::array<uint64_t, kNumStalls> stack{};
  json cores = json::array();
  for (const auto& cp : cores_) {
    const Core& c = *cp;
    if (c.proc < 0) continue;
    const Process& p = *procs_[unsigned(c.proc)];
    const mmu::Mmu& m = *p.machine->mmu(c.tid);
    const uint64_t n = c.timer.instructions();
    const uint64_t cyc = c.timer.now();
    instructions += n;
    cycles = std::max(cycles, cyc);
    for (unsigned s = 0; s < kNumStalls; ++s) stack[s] += c.timer.cpi_stack()[s];
    json core;
    core["core"] = c.id;
    core["trace"] = p.name;
    core["thread"] = c.tid;
    core["instructions"] = n;
    core["cycles"] = cyc;
    core["ipc"] = round4(ratio(n, cyc));
    core["cpi_stack"] = cpi_json(c.timer.cpi_stack());
    const mmu::TlbStats& t = m.tlbs().stats();
    json tlb = json::object();
    const char* sides[2] = {"data", "instruction"};
    for (unsigned side = 0; side < 2; ++side) {
      uint64_t l1 = 0, l2 = 0;
      json l1s = json::object(), l2s = json::object();
      for (unsigned ps = 0; ps < isa::kNumPageSizes; ++ps) {
        l1 += t.l1_hits[side][ps];
        l2 += t.l2_hits[side][ps];
        l1s[isa::page_size_name(isa::PageSize(ps))] = t.l1_hits[side][ps];
        l2s[isa::page_size_name(isa::PageSize(ps))] = t.l2_hits[side][ps];
      }
      tlb[sides[side]] = {{"lookups", t.lookups[side]},    {"l1_hits", l1},
                          {"l1_hits_by_page_size", l1s},   {"stlb_hits", l2},
                          {"stlb_hits_by_page_size", l2s}, {"misses", t.misses[side]}};
    }
    core["tlb"] = tlb;
    const mmu::PscStats& ps = m.psc().stats();
    core["psc"] = {{"lookups", ps.lookups},
                   {"pde_hits", ps.hits[0]},
                   {"pdpte_hits", ps.hits[1]},
                   {"pml4e_hits", ps.hits[2]},
                   {"misses", ps.misses}};
    const mmu::MmuStats& ms = m.stats();
    json walk_sizes = json::object();
    for (unsigned s = 0; s < isa::kNumPageSizes; ++s) {
      walk_sizes[isa::page_size_name(isa::PageSize(s))] = ms.walks_by_size[s];
    }
    core["walks"] = {{"count", c.walks},
                     {"memory_cycles", c.walk_cycles},
                     {"walker_wait_cycles", c.walker_wait_cycles},
                     {"entries_read", ms.walk_entry_reads},
                     {"completed_by_page_size", walk_sizes}};
    core["caches"] = {{"l1i", cache_json(memory_.l1i(c.id))},
                      {"l1d", cache_json(memory_.l1d(c.id))},
                      {"l2", cache_json(memory_.l2(c.id))}};
    core["data_accesses_by_level"] = {{"l1", c.data_by_level[0]},
                                      {"l2", c.data_by_level[1]},
                                      {"llc", c.data_by_level[2]},
                                      {"dram", c.data_by_level[3]}};
    core["mshr_wait_cycles"] = c.timer.mshr_wait_cycles();
    core["interrupts"] = {{"count", c.interrupts}, {"cycles", c.interrupt_cycles}};
    core["shootdowns_initiated"] = {{"count", c.shootdowns_initiated},
                                    {"wait_cycles", c.shootdown_wait_cycles}};
    core["stale_permission_accesses"] = ms.stale_permission_hits;
    cores.push_back(core);
  }
  json total;
  total["instructions"] = instructions;
  total["cycles"] = cycles;
  total["ipc"] = round4(ratio(instructions, cycles));
  total["time_ns"] = round4(double(cycles) / p_.system.frequency_ghz);
  total["cpi_stack"] = cpi_json(stack);
  r["total"] = total;
  r["cores"] = cores;

  json procs = json::array();
  for (const auto& pp : procs_) {
    const Process& p = *pp;
    json j = process_json({p.name, p.machine.get()});
    for (auto& [name, s] : j["syscalls"].items()) {
      for (unsigned op = 0; op < isa::kNumOps; ++op) {
        if (isa::op_name(isa::Op(op)) == name) s["cycles"] = p.syscall_cycles[op];
      }
    }
    const KernelStats& k = p.machine->kernel().stats();
    j["shootdowns"] = {{"count", k.shootdowns},
                       {"ipis", k.ipis},
                       {"initiator_cycles", p.shootdown_initiator_cycles},
                       {"target_cycles", p.shootdown_target_cycles}};
    j["stale_permission_accesses"] = p.machine->mmu_totals().stale_permission_hits;
    j["expectations"] = {{"checked", p.expectations}, {"failed", p.expectations_failed}};
    json input = {{"format", p.format}, {"compression", p.compression}};
    for (const auto& [k, v] : p.reader->counters()) input[k] = v;
    j["input"] = input;
    procs.push_back(j);
  }
  r["processes"] = procs;
  r["llc"] = cache_json(memory_.llc());
  r["dram"] = {{"reads", memory_.dram().reads},
               {"writebacks", memory_.dram().writebacks},
               {"queue_cycles", memory_.dram().queue_cycles}};
  r["host"] = {
      {"wall_seconds", wall_seconds_},
      {"simulated_mips", wall_seconds_ > 0 ? double(instructions) / wall_seconds_ / 1e6 : 0.0}};
  return r;
}

}  // namespace pkusim::sim
