#include "sim/report.h"

#include <fmt/format.h>

#include "sim/stats/writers.h"

namespace pkusim::sim {

using json = nlohmann::ordered_json;

namespace {

const char* mode_name(Mode m) { return m == Mode::kTiming ? "timing" : "functional"; }

json inputs_json(const System& sys) {
  json inputs = json::array();
  for (const InputInfo& in : sys.inputs()) {
    json counters = json::object();
    for (const auto& [k, v] : in.counters) counters[k] = v;
    inputs.push_back({{"name", in.name},
                      {"format", in.format},
                      {"compression", in.compression},
                      {"counters", counters}});
  }
  return inputs;
}

}  // namespace

std::vector<std::string> expect_failure_lines(const Simulation& s) {
  std::vector<std::string> out;
  const auto inputs = s.system().inputs();
  for (const ExpectFailure& f : s.system().expect_failures()) {
    out.push_back(fmt::format("{}{}{}: expected {}, got {}", inputs[f.process].name,
                              f.is_line ? ":" : ": record ", f.location, f.expected, f.actual));
  }
  return out;
}

json report_json(const Simulation& s) {
  const System& sys = s.system();
  json r;
  r["schema"] = kReportSchema;
  r["version"] = kReportVersion;
  r["mode"] = mode_name(s.mode());
  r["inputs"] = inputs_json(sys);
  r["config"] = s.config().values();
  const RunLimits& l = s.limits();
  if (l.skip || l.warmup || l.max_instructions) {
    r["measured"] = {{"skip_instructions", l.skip},
                     {"warmup_instructions", l.warmup},
                     {"max_instructions", l.max_instructions},
                     {"begin_instruction", sys.measured().begin_instruction},
                     {"end_instruction", sys.measured().end_instruction}};
  }
  r["stats"] = stats::to_json(s.stats());
  if (const auto roi = s.roi_stats()) {
    r["roi"] = {{"begin_instruction", sys.roi().begin_instruction},
                {"end_instruction", sys.roi().end_instruction},
                {"stats", stats::to_json(*roi)}};
  }
  json faults = json::array();
  for (const FaultDetail& d : sys.first_faults()) {
    const FaultRecord& f = d.fault;
    json one{{"process", d.process},
             {"thread", f.thread},
             {"instruction", f.instruction},
             {"address", fmt::format("{:#x}", f.addr)},
             {"access", access_kind_name(f.kind)},
             {"si_code", std::string(abi::si_code_name(f.si_code))}};
    if (f.si_code == abi::kSegvPkuerr) one["si_pkey"] = f.pkey;
    faults.push_back(one);
  }
  r["first_faults"] = faults;
  json failed = json::array();
  const auto inputs = sys.inputs();
  for (const ExpectFailure& f : sys.expect_failures()) {
    failed.push_back({{"process", f.process},
                      {f.is_line ? "line" : "record", f.location},
                      {"expected", f.expected},
                      {"got", f.actual}});
  }
  r["expect_failures"] = failed;
  return r;
}

std::string report_csv(const Simulation& s) {
  const stats::Snapshot snap = s.stats();
  std::vector<std::string> cols = stats::csv_columns(snap), vals = stats::csv_values(snap);
  if (const auto roi = s.roi_stats()) {
    const auto rc = stats::csv_columns(*roi, "roi."), rv = stats::csv_values(*roi);
    cols.insert(cols.end(), rc.begin(), rc.end());
    vals.insert(vals.end(), rv.begin(), rv.end());
  }
  return stats::csv_line(cols) + "\n" + stats::csv_line(vals) + "\n";
}

std::string report_text(const Simulation& s) {
  const System& sys = s.system();
  std::string out = fmt::format("== {} run of {} input{}\n", mode_name(s.mode()),
                                sys.inputs().size(), sys.inputs().size() == 1 ? "" : "s");
  for (const InputInfo& in : sys.inputs()) {
    std::string line = fmt::format("   {} ({}", in.name, in.format);
    if (in.compression != "none") line += ", " + in.compression;
    for (const auto& [k, v] : in.counters) line += fmt::format(", {} {}", k, stats::with_commas(v));
    out += line + ")\n";
  }
  const RunLimits& l = s.limits();
  const std::string measured =
      l.skip || l.warmup || l.max_instructions
          ? fmt::format(" (instructions {} to {}: --skip {}, --warmup {})",
                        stats::with_commas(sys.measured().begin_instruction),
                        stats::with_commas(sys.measured().end_instruction),
                        stats::with_commas(l.skip), stats::with_commas(l.warmup))
          : "";
  if (const auto roi = s.roi_stats()) {
    // The region of interest first: the steady state people came for.
    out += fmt::format("== region of interest (instructions {} to {})\n",
                       stats::with_commas(sys.roi().begin_instruction),
                       stats::with_commas(sys.roi().end_instruction));
    out += stats::to_text(*roi);
    out += "== whole run" + measured + "\n";
  } else if (!measured.empty()) {
    out += "== measured run" + measured + "\n";
  }
  out += stats::to_text(s.stats());
  const auto faults = sys.first_faults();
  if (!faults.empty()) {
    out += "first faults\n";
    for (const FaultDetail& d : faults) {
      const FaultRecord& f = d.fault;
      out +=
          fmt::format("  process {} thread {} instruction {}: {} {:#x} {}{}\n", d.process, f.thread,
                      f.instruction, access_kind_name(f.kind), f.addr, abi::si_code_name(f.si_code),
                      f.si_code == abi::kSegvPkuerr ? fmt::format(" si_pkey={}", f.pkey) : "");
    }
  }
  for (const std::string& l : expect_failure_lines(s)) out += "assertion failed: " + l + "\n";
  return out;
}

}  // namespace pkusim::sim
