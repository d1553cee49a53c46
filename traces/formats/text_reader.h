#pragma once
// Reader for the pkusim text trace format, version 1 (docs/formats/text.md). Streams records one at a time
// with no allocation per record; a line that breaks the grammar throws
// TraceError naming file, line, column and what was expected.
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>

#include "isa/instr.h"
#include "traces/line_source.h"
#include "traces/record_source.h"

namespace pkusim::traces {

inline constexpr unsigned kTextFormatVersion = 1;

class TextReader final : public RecordSource {
 public:
  TextReader(std::istream& in, std::string name);

  /// Reads the next record into `out`; false at the end of the trace.
  bool next(isa::Instr& out) override;
  /// Line of the record last returned.
  uint64_t line() const { return record_line_; }
  uint64_t location() const override { return record_line_; }
  SourceTraits traits() const override { return {false, true, true}; }
  const std::string& name() const { return src_.name(); }
  uint64_t bytes_read() const override { return src_.bytes_read(); }

 private:
  bool parse_line(std::string_view line, isa::Instr& out);

  LineSource src_;
  uint64_t record_line_ = 0;
  bool seen_line_ = false;            // any non-comment line, header included
  bool seen_record_ = false;          // any record
  bool prev_is_instruction_ = false;  // an `expect` may follow
};

}  // namespace pkusim::traces
