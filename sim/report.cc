#include "sim/report.h"

#include <fmt/format.h>

#include "isa/linux_abi.h"

namespace pkusim::sim {

using json = nlohmann::ordered_json;

namespace {

json tlb_json(const Machine& m) {
  const mmu::TlbStats t = m.tlb_totals();
  json out = json::object();
  const char* sides[2] = {"data", "instruction"};
  for (unsigned side = 0; side < 2; ++side) {
    json s;
    s["lookups"] = t.lookups[side];
    json l1 = json::object(), l2 = json::object();
    uint64_t l1_total = 0, l2_total = 0;
    for (unsigned p = 0; p < isa::kNumPageSizes; ++p) {
      l1[isa::page_size_name(isa::PageSize(p))] = t.l1_hits[side][p];
      l2[isa::page_size_name(isa::PageSize(p))] = t.l2_hits[side][p];
      l1_total += t.l1_hits[side][p];
      l2_total += t.l2_hits[side][p];
    }
    s["l1"] = {
        {"hits", l1_total}, {"misses", t.lookups[side] - l1_total}, {"hits_by_page_size", l1}};
    s["l2"] = {{"hits", l2_total}, {"misses", t.misses[side]}, {"hits_by_page_size", l2}};
    out[sides[side]] = s;
  }
  return out;
}

}  // namespace

json process_json(const TraceRun& run) {
  const Machine& m = *run.machine;
  const MachineStats& s = m.stats();
  const KernelStats& k = m.kernel().stats();
  const mmu::MmuStats mm = m.mmu_totals();
  json p;
  p["trace"] = run.name;
  if (!run.input.empty()) p["input"] = run.input;
  p["threads"] = m.threads();
  p["instructions"] = s.instructions;
  json acc;
  for (unsigned i = 0; i < kNumAccessKinds; ++i)
    acc[access_kind_name(AccessKind(i))] = s.accesses[i];
  acc["page_straddles"] = s.page_straddles;
  acc["auto_mapped_pages"] = s.auto_mapped_pages;
  p["accesses"] = acc;
  p["wrpkru"] = s.wrpkru;
  p["rdpkru"] = s.rdpkru;

  json faults;
  faults["total"] = s.faults;
  faults["by_si_code"] = {{"SEGV_MAPERR", s.faults_by_code[0]},
                          {"SEGV_ACCERR", s.faults_by_code[1]},
                          {"SEGV_PKUERR", s.faults_by_code[2]},
                          {"SI_KERNEL", s.faults_gp}};
  json by_key = json::object();
  for (unsigned key = 0; key < isa::kNumPkeys; ++key) {
    if (s.pkuerr_by_key[key]) by_key[std::to_string(key)] = s.pkuerr_by_key[key];
  }
  faults["pkuerr_by_key"] = by_key;
  json first = json::array();
  for (const FaultRecord& f : s.first_faults) {
    json r{{"thread", f.thread},
           {"instruction", f.instruction},
           {"address", fmt::format("{:#x}", f.addr)},
           {"access", access_kind_name(f.kind)},
           {"si_code", std::string(abi::si_code_name(f.si_code))}};
    if (f.si_code == abi::kSegvPkuerr) r["si_pkey"] = f.pkey;
    first.push_back(r);
  }
  faults["first"] = first;
  p["faults"] = faults;

  json sys = json::object();
  for (unsigned op = 0; op < isa::kNumOps; ++op) {
    if (!isa::is_syscall(isa::Op(op))) continue;
    const auto& res = s.syscall_results[op];
    uint64_t calls = 0;
    json errors = json::object();
    for (unsigned e = 0; e < res.size(); ++e) {
      calls += res[e];
      if (e && res[e]) {
        const std::string_view name = abi::errno_name(int(e));
        errors[name.empty() ? std::to_string(e) : std::string(name)] = res[e];
      }
    }
    sys[std::string(isa::op_name(isa::Op(op)))] = {
        {"calls", calls}, {"ok", res[0]}, {"errors", errors}};
  }
  p["syscalls"] = sys;

  p["tlb"] = tlb_json(m);
  json walk_sizes = json::object();
  for (unsigned ps = 0; ps < isa::kNumPageSizes; ++ps) {
    walk_sizes[isa::page_size_name(isa::PageSize(ps))] = mm.walks_by_size[ps];
  }
  p["walks"] = {{"total", mm.walks},
                {"completed_by_page_size", walk_sizes},
                {"dirty_bit_assists", mm.dirty_assists},
                {"entries_read", mm.walk_entry_reads}};
  p["page_faults"] = {{"hardware", mm.page_faults},          {"minor", k.minor_faults},
                      {"zero_page_maps", k.zero_page_maps},  {"copy_on_write", k.cow_faults},
                      {"write_upgrades", k.write_upgrades},  {"spurious", k.spurious_faults},
                      {"populated_pages", k.populated_pages}};
  p["page_tables"] = {{"ptes_changed", k.ptes_changed},
                      {"ptes_zapped", k.ptes_zapped},
                      {"vmas", m.kernel().vmas().size()}};
  p["invalidations"] = {{"flush_ranges", k.flush_ranges},
                        {"local_invlpg", k.local_invlpg},
                        {"local_full_flushes", k.local_full_flushes},
                        {"shootdowns", k.shootdowns},
                        {"ipis", k.ipis},
                        {"remote_invlpg", k.remote_invlpg},
                        {"remote_full_flushes", k.remote_full_flushes},
                        {"skipped", k.skipped_flushes}};
  return p;
}

json report_json(const std::vector<TraceRun>& runs) {
  json r;
  r["schema"] = kReportSchema;
  r["version"] = kReportVersion;
  r["mode"] = "functional";
  json procs = json::array();
  uint64_t instructions = 0, faults = 0;
  for (const TraceRun& run : runs) {
    procs.push_back(process_json(run));
    instructions += run.machine->stats().instructions;
    faults += run.machine->stats().faults;
  }
  r["total"] = {{"instructions", instructions}, {"faults", faults}};
  r["processes"] = procs;
  return r;
}

std::string render_text(const json& report) {
  std::string out;
  const auto line = [&](const std::string& s) { out += s + "\n"; };
  if (report.contains("cores")) {
    const json& t = report["total"];
    line(fmt::format("== timing ({} core{} used)", report["cores"].size(),
                     report["cores"].size() == 1 ? "" : "s"));
    line(fmt::format("total               {} instructions, {} cycles, IPC {:.4f}, {:.1f} us",
                     t["instructions"].get<uint64_t>(), t["cycles"].get<uint64_t>(),
                     t["ipc"].get<double>(), t["time_ns"].get<double>() / 1000.0));
    std::string stack;
    for (const auto& [k, v] : t["cpi_stack"].items()) {
      if (v.get<uint64_t>()) stack += fmt::format("  {} {}", k, v.get<uint64_t>());
    }
    line("cycle stack        " + stack);
    for (const json& c : report["cores"]) {
      line(fmt::format(
          "core {:<3} thread {:<4} {} instr, {} cycles, IPC {:.4f}; walks {} ({} cycles); "
          "L1D misses {}; interrupts {} ({} cycles)",
          c["core"].get<unsigned>(), c["thread"].get<unsigned>(), c["instructions"].get<uint64_t>(),
          c["cycles"].get<uint64_t>(), c["ipc"].get<double>(), c["walks"]["count"].get<uint64_t>(),
          c["walks"]["memory_cycles"].get<uint64_t>(), c["caches"]["l1d"]["misses"].get<uint64_t>(),
          c["interrupts"]["count"].get<uint64_t>(), c["interrupts"]["cycles"].get<uint64_t>()));
    }
  }
  for (const json& p : report["processes"]) {
    line(fmt::format("== {} ({} thread{})", p["trace"].get<std::string>(),
                     p["threads"].get<unsigned>(), p["threads"].get<unsigned>() == 1 ? "" : "s"));
    if (p.contains("input")) {
      std::string in = p["input"]["format"].get<std::string>();
      if (p["input"]["compression"] != "none")
        in += ", " + p["input"]["compression"].get<std::string>();
      for (const auto& [k, v] : p["input"].items()) {
        if (v.is_number()) in += fmt::format("  {} {}", k, v.get<uint64_t>());
      }
      line("input               " + in);
    }
    line(fmt::format("instructions        {}", p["instructions"].get<uint64_t>()));
    const json& a = p["accesses"];
    line(
        fmt::format("accesses            load {}  store {}  rmw {}  fetch {}  (page straddles {}, "
                    "pages mapped on first touch {})",
                    a["load"].get<uint64_t>(), a["store"].get<uint64_t>(), a["rmw"].get<uint64_t>(),
                    a["fetch"].get<uint64_t>(), a["page_straddles"].get<uint64_t>(),
                    a["auto_mapped_pages"].get<uint64_t>()));
    line(fmt::format("pkru                wrpkru {}  rdpkru {}", p["wrpkru"].get<uint64_t>(),
                     p["rdpkru"].get<uint64_t>()));
    const json& f = p["faults"];
    const json& c = f["by_si_code"];
    line(fmt::format("SIGSEGV             {}  (MAPERR {}  ACCERR {}  PKUERR {}  SI_KERNEL {})",
                     f["total"].get<uint64_t>(), c["SEGV_MAPERR"].get<uint64_t>(),
                     c["SEGV_ACCERR"].get<uint64_t>(), c["SEGV_PKUERR"].get<uint64_t>(),
                     c["SI_KERNEL"].get<uint64_t>()));
    if (!f["pkuerr_by_key"].empty()) {
      std::string keys;
      for (const auto& [k, v] : f["pkuerr_by_key"].items()) {
        keys += fmt::format("  key {}: {}", k, v.get<uint64_t>());
      }
      line("  PKUERR by key   " + keys);
    }
    for (const json& r : f["first"]) {
      line(fmt::format(
          "  thread {} instr {} {} {} {}{}", r["thread"].get<unsigned>(),
          r["instruction"].get<uint64_t>(), r["access"].get<std::string>(),
          r["address"].get<std::string>(), r["si_code"].get<std::string>(),
          r.contains("si_pkey") ? fmt::format(" si_pkey={}", r["si_pkey"].get<int>()) : ""));
    }
    line("system calls");
    for (const auto& [name, s] : p["syscalls"].items()) {
      if (s["calls"].get<uint64_t>() == 0) continue;
      std::string errs;
      for (const auto& [e, n] : s["errors"].items())
        errs += fmt::format("  {} {}", e, n.get<uint64_t>());
      const std::string cyc =
          s.contains("cycles") ? fmt::format(", {} cycles", s["cycles"].get<uint64_t>()) : "";
      line(fmt::format("  {:<16}  {} calls, {} ok{}{}", name, s["calls"].get<uint64_t>(),
                       s["ok"].get<uint64_t>(), errs, cyc));
    }
    for (const char* side : {"data", "instruction"}) {
      const json& t = p["tlb"][side];
      line(fmt::format("{:<20}{} lookups  L1 hits {} misses {}  L2 hits {} misses {}",
                       fmt::format("{} TLB", side), t["lookups"].get<uint64_t>(),
                       t["l1"]["hits"].get<uint64_t>(), t["l1"]["misses"].get<uint64_t>(),
                       t["l2"]["hits"].get<uint64_t>(), t["l2"]["misses"].get<uint64_t>()));
    }
    line(fmt::format("page walks          {}  (D-bit assists {}, entries read {})",
                     p["walks"]["total"].get<uint64_t>(),
                     p["walks"]["dirty_bit_assists"].get<uint64_t>(),
                     p["walks"]["entries_read"].get<uint64_t>()));
    const json& pf = p["page_faults"];
    line(
        fmt::format("page faults         {} hardware, {} minor (zero page {}, COW {}, "
                    "write upgrades {}, spurious {}), populated {}",
                    pf["hardware"].get<uint64_t>(), pf["minor"].get<uint64_t>(),
                    pf["zero_page_maps"].get<uint64_t>(), pf["copy_on_write"].get<uint64_t>(),
                    pf["write_upgrades"].get<uint64_t>(), pf["spurious"].get<uint64_t>(),
                    pf["populated_pages"].get<uint64_t>()));
    const json& inv = p["invalidations"];
    line(fmt::format(
        "invalidations       local INVLPG {}  local full {}  shootdowns {} "
        "(IPIs {}, remote INVLPG {}, remote full {})",
        inv["local_invlpg"].get<uint64_t>(), inv["local_full_flushes"].get<uint64_t>(),
        inv["shootdowns"].get<uint64_t>(), inv["ipis"].get<uint64_t>(),
        inv["remote_invlpg"].get<uint64_t>(), inv["remote_full_flushes"].get<uint64_t>()));
  }
  return out;
}

}  // namespace pkusim::sim
