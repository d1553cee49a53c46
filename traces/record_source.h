#pragma once
// A stream of trace records: what every reader and generator provides and
// the simulator consumes, and what every writer accepts. A source gives
// records one at a time (next(), a virtual call each) or, through pull(),
// in place from a block it holds: no call and no copy per record.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "isa/instr.h"

namespace pkusim::traces {

/// What a stream of records implies beyond its records.
struct SourceTraits {
  /// Pages touched without a mapping get one on first touch: a trace of a
  /// real program whose start-up mappings were made before tracing began
  /// (lackey, ChampSim). The replay must know it, or every access faults.
  bool maps_on_first_touch = false;
  /// Records may switch threads (`thread T`); otherwise there is one thread.
  bool has_threads = false;
  /// location() is a line number (else a record number).
  bool located_by_line = false;
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  /// The next record into `out`; false at the end.
  virtual bool next(isa::Instr& out) = 0;
  /// Input consumed so far (0 if unknown), for progress.
  virtual uint64_t bytes_read() const = 0;
  /// What the records imply (see SourceTraits).
  virtual SourceTraits traits() const = 0;
  /// Where the record last returned came from: its line, or its record
  /// number (SourceTraits::located_by_line says which); 0 if unknown.
  virtual uint64_t location() const { return 0; }
  /// Reader-specific counters for the report (lines skipped, ...).
  virtual std::vector<std::pair<std::string, uint64_t>> counters() const { return {}; }

  /// The next record, or null at the end; it stays valid until the next
  /// call. A source that holds its records in blocks hands them out from
  /// there (next_block() sets the block); any other gives one record through
  /// next(). A source is read with next() or with pull(), not both.
  const isa::Instr* pull() {
    if (batch_pos_ != batch_end_) return batch_pos_++;
    return next_block();
  }

 protected:
  /// next() for a source that holds its records in blocks: a copy of what
  /// pull() hands out.
  bool copy_pulled(isa::Instr& out) {
    const isa::Instr* r = pull();
    if (r) out = *r;
    return r != nullptr;
  }
  /// Makes [batch_pos_, batch_end_) the records after the current block
  /// and returns the first of them (already taken), or null at the end.
  virtual const isa::Instr* next_block() { return next(one_) ? &one_ : nullptr; }
  const isa::Instr* batch_pos_ = nullptr;
  const isa::Instr* batch_end_ = nullptr;

 private:
  isa::Instr one_;
};

/// A sink of records in some format. close() finishes the output (a
/// trailer, the last block); the writer is unusable after it.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  virtual void write(const isa::Instr& r) = 0;
  virtual void close() = 0;
  /// Notes for the user about what the format could not say (one line each).
  virtual std::vector<std::string> notes() const { return {}; }
};

}  // namespace pkusim::traces
