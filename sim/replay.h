#pragma once
// Replaying a trace file through a Machine, checking `expect` lines.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/machine.h"

namespace pkusim::sim {

struct ExpectFailure {
  uint64_t line = 0;
  std::string expected;
  std::string actual;
};

struct ReplayResult {
  std::string format, compression;
  std::vector<std::pair<std::string, uint64_t>> input_counters;
  uint64_t records = 0;
  uint64_t expectations = 0;
  std::vector<ExpectFailure> failures;
};

/// Replays `path` ("-" for standard input) on `machine`. Throws
/// traces::TraceError for a trace that breaks the grammar or cannot be read.
/// `format`: "" to recognize it from the content, or a name (text, lackey).
ReplayResult replay_file(const std::string& path, Machine& machine, const std::string& format = "");

}  // namespace pkusim::sim
