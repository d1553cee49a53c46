#include "traces/trace_error.h"

#include <fmt/format.h>

namespace pkusim::traces {

TraceError::TraceError(std::string file, uint64_t line, uint64_t column, const std::string& message)
    : std::runtime_error(line == 0 ? fmt::format("{}: {}", file, message)
                                   : fmt::format("{}:{}:{}: {}", file, line, column, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(message) {}

}  // namespace pkusim::traces
