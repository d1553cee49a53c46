#pragma once
// A study spec (JSON; docs/study.md, "The spec"): a base configuration and
// experiments, each a set of use-case workloads run in protection variants
// over axes of generator parameters and config paths, with the figure and
// the table that show it. load_study() validates it as configs are
// validated (unknown keys, wrong types, unknown generator parameters or
// config paths, bad values: errors naming the JSON path and what was
// expected) and expands it into runs, each with its baseline: the `none`
// variant at the same point.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/config/config.h"

namespace pkusim::study {

struct StudyFigure {
  std::string kind = "line";  // line, bar or stacked
  std::string x, y;           // columns of results.csv; y "stack" = the cycle stack
  std::string group, facet;
  bool logx = false, logy = false, normalize = false, independent_y = false;
  std::vector<std::pair<std::string, std::vector<std::string>>> filter;  // column, values
  std::string title, xlabel, ylabel, caption;
};

struct StudyTable {
  std::vector<std::string> rows;  // columns that make a row; variants make the columns
  std::vector<std::string> values = {"overhead_pct"};  // shown per variant
};

struct StudyExperiment {
  std::string name, title, about;
  std::vector<std::string> variants;
  std::vector<std::string> axis_keys;  // in order of first appearance
  std::optional<StudyFigure> figure;
  StudyTable table;
};

struct StudyRun {
  size_t experiment = 0;
  std::string id;          // EXPERIMENT/NNN-GENERATOR-VARIANT: the report's name
  std::string generator;   // its name
  std::string params;      // the workload's own fixed parameters, as given
  std::string invocation;  // gen:NAME:k=v,... with the axes and the variant
  std::string variant;
  std::vector<std::pair<std::string, std::string>> axes;  // key, value as written in results
  sim::Config config;                                     // validated
  std::optional<size_t> baseline;                         // the `none` run at the same point
};

struct Study {
  std::string origin;  // the spec's file name
  std::string title, intro;
  std::string config_name;  // the base config as named
  sim::Config config;       // the base config, validated
  std::vector<StudyExperiment> experiments;
  std::vector<StudyRun> runs;
  std::vector<std::string> axis_columns;  // every axis key, in order of first appearance
};

/// Parses and expands the spec `text` (from `origin`; `dir` resolves a
/// config file named relatively). A non-empty `config` replaces the spec's
/// base configuration (a preset name or a file, e.g. pkusim calibrate's
/// overlay); its own `set` still applies. Throws sim::ConfigError.
Study parse_study(const std::string& text, const std::string& origin, const std::string& dir,
                  const std::string& config = "");
/// Reads and parses the spec file `path`.
Study load_study(const std::string& path, const std::string& config = "");
/// The bundled spec (configs/study/default.json, built in).
std::string_view bundled_spec_text();
inline constexpr const char* kBundledSpecName = "configs/study/default.json";

}  // namespace pkusim::study
