#pragma once
// Writes records in the text trace format (the inverse of TextReader).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "isa/instr.h"
#include "traces/record_source.h"

namespace pkusim::traces {

struct TextWriterStats {
  uint64_t continuations = 0;  // extra accesses written as instructions of their own
  uint64_t fetch_sizes = 0;    // fetch lengths other than 1 that the format cannot say
};

/// One record as a line of the text format (no newline; `@ADDR` when it
/// has one): the one formatter of records, for writers and messages.
std::string format_record(const isa::Instr& r);

class TextWriter final : public RecordWriter {
 public:
  explicit TextWriter(std::ostream& out);
  void write(const isa::Instr& r) override;
  void close() override { out_.flush(); }
  std::vector<std::string> notes() const override;
  const TextWriterStats& stats() const { return stats_; }

 private:
  std::ostream& out_;
  unsigned current_thread_ = 0;
  TextWriterStats stats_;
};

}  // namespace pkusim::traces
