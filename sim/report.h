#pragma once
// Reports of a replay: a versioned JSON document (schema "pkusim.report")
// and a text rendering of it for people. The text is made from the JSON, so
// the two never disagree. Everything is a pure function of trace and config.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/machine.h"

namespace pkusim::sim {

inline constexpr const char* kReportSchema = "pkusim.report";
inline constexpr int kReportVersion = 1;

struct TraceRun {
  std::string name;  // as given on the command line
  const Machine* machine = nullptr;
  nlohmann::ordered_json input = nlohmann::ordered_json::object();  // format, reader counters
};

/// One process's statistics (one trace).
nlohmann::ordered_json process_json(const TraceRun& run);
/// The whole report for the given runs.
nlohmann::ordered_json report_json(const std::vector<TraceRun>& runs);
/// A text rendering of report_json's output.
std::string render_text(const nlohmann::ordered_json& report);

}  // namespace pkusim::sim
