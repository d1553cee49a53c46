#pragma once
// The report of a run, schema "pkusim.report" version 2 (docs/report.md),
// one builder for functional and timed runs: the inputs and their identity,
// the effective configuration, the statistics tree (the same names for the
// same things in both modes), and the details that are not statistics (the
// first faults, the `expect` lines that failed). Views of it: JSON, a flat
// CSV row (one column per statistic), and text for people. Everything is a
// pure function of the inputs and the configuration: no host timing, so
// the same run gives byte-identical reports.
#include <nlohmann/json.hpp>
#include <string>

#include "sim/simulation.h"
#include "sim/stats/stats.h"

namespace pkusim::sim {

inline constexpr const char* kReportSchema = "pkusim.report";
inline constexpr int kReportVersion = 2;

nlohmann::ordered_json report_json(const Simulation& s);
/// The CSV header line and the row, each with its newline.
std::string report_csv(const Simulation& s);
std::string report_text(const Simulation& s);

/// "FILE:LINE: expected X, got Y" for each failed `expect` line.
std::vector<std::string> expect_failure_lines(const Simulation& s);

}  // namespace pkusim::sim
