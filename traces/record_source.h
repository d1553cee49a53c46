#pragma once
// A stream of trace records: what every reader and generator provides and
// the simulator consumes. One virtual call per record.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "isa/instr.h"

namespace pkusim::traces {

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  /// The next record into `out`; false at the end.
  virtual bool next(isa::Instr& out) = 0;
  /// Input consumed so far and in total (0 if unknown), for progress.
  virtual uint64_t bytes_read() const = 0;
  /// Reader-specific counters for the report (lines skipped, ...).
  virtual std::vector<std::pair<std::string, uint64_t>> counters() const { return {}; }
};

}  // namespace pkusim::traces
