#pragma once
// Running a trace given as text through the Simulation facade, for tests:
// the default preset plus `sets` (--set assignments).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config/config.h"
#include "sim/report.h"
#include "sim/simulation.h"

namespace pkusim::test {

/// A temporary file holding `text`, removed when it goes out of scope. The
/// name derives from the content, so reports (which name inputs) are stable.
class TempTrace {
 public:
  explicit TempTrace(const std::string& text, const std::string& ext = ".trace")
      : path_(
            std::filesystem::temp_directory_path() /
            fmt::format("pkusim-test-{}-{:x}{}", ::getpid(), std::hash<std::string>{}(text), ext)) {
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempTrace() { std::filesystem::remove(path_); }
  TempTrace(const TempTrace&) = delete;
  TempTrace& operator=(const TempTrace&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline sim::Config config_with(const std::vector<std::string>& sets) {
  sim::Config cfg = sim::Config::preset(sim::kDefaultPreset);
  for (const auto& s : sets) cfg.set(s);
  cfg.validate();
  return cfg;
}

/// The whole report (schema pkusim.report) of `traces` run together.
inline nlohmann::ordered_json run_report(const std::vector<std::string>& traces,
                                         const std::vector<std::string>& sets = {},
                                         sim::Mode mode = sim::Mode::kTiming) {
  std::vector<std::unique_ptr<TempTrace>> files;
  sim::Simulation s(config_with(sets), mode);
  for (const std::string& t : traces) {
    files.push_back(std::make_unique<TempTrace>(t));
    s.add_input(files.back()->path());
  }
  s.run();
  return sim::report_json(s);
}

/// The statistics tree (report["stats"]) of one trace.
inline nlohmann::ordered_json run_stats(const std::string& trace,
                                        const std::vector<std::string>& sets = {},
                                        sim::Mode mode = sim::Mode::kTiming) {
  return run_report({trace}, sets, mode)["stats"];
}

}  // namespace pkusim::test
