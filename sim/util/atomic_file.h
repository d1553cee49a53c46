#pragma once
// Writes a whole file atomically: the text goes to a temporary file in the
// same directory, is flushed, and is renamed over the target, so a crash or
// Ctrl-C never leaves a partial report. "-" means standard output.
#include <string>

namespace pkusim::sim {

/// Throws std::runtime_error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace pkusim::sim
