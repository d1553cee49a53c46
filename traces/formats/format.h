#pragma once
// The registry of trace formats. Each format is described once, in its own
// file (text_reader.cc, binary.cc, lackey.cc, champsim.cc): its name, how it
// is recognized from the first bytes of a file, how it is opened, what its
// records imply, and how it is written (if it can be). Adding a format is
// one new file plus its line in registry.cc.
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "traces/record_source.h"

namespace pkusim::traces {

struct TraceFormat {
  std::string_view name;
  std::string_view summary;  // one line, for --help and docs
  /// True when `head` (the first bytes, decompressed) is in this format.
  /// Null for the fallback (text), which is tried last.
  bool (*recognize)(std::string_view head) = nullptr;
  /// A reader of `in` (which outlives it); `name` names the input in errors.
  std::unique_ptr<RecordSource> (*open)(std::istream& in, const std::string& name) = nullptr;
  /// What its records imply, unless the reader says otherwise.
  SourceTraits traits;
  /// A writer to `out` of records whose source has `traits`; null if the
  /// format cannot be written (lackey, ChampSim). May throw TraceError when
  /// the format cannot keep what the traits imply.
  std::unique_ptr<RecordWriter> (*write)(std::ostream& out, const SourceTraits& traits,
                                         const std::string& name) = nullptr;
};

/// Every format, in the order they are tried when recognizing a file.
const std::vector<const TraceFormat*>& trace_formats();
/// The format called `name`, or null.
const TraceFormat* find_format(std::string_view name);
/// "text, binary, lackey or champsim" (writable only: "text or binary").
std::string format_names(bool writable_only = false);

}  // namespace pkusim::traces
