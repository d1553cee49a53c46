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
    out.push_back(fmt::format("{}:{}{}: expected {}, got {}", inputs[f.process].name,
                              f.is_line ? "" : "record ", f.location, f.expected, f.actual));
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
  r["stats"] = stats::to_json(s.stats());
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
  return stats::csv_line(stats::csv_columns(snap)) + "\n" +
         stats::csv_line(stats::csv_values(snap)) + "\n";
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
  for (const std::string& l : expect_failure_lines(s)) out += "FAILED " + l + "\n";
  return out;
}

}  // namespace pkusim::sim
