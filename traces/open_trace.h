#pragma once
// Opening a trace: a file or "-" (standard input), plain or compressed
// (gzip, xz, zstd: recognized by magic number), its format recognized by its
// content (text, valgrind lackey, ChampSim) unless named; docs/formats/.
#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "traces/record_source.h"

namespace pkusim::traces {

struct OpenedTrace {
  std::unique_ptr<std::istream> stream;
  std::unique_ptr<RecordSource> source;
  std::string format;                // "text", "lackey" or "champsim"
  std::string compression = "none";  // gzip, xz, zstd
  bool auto_map = false;             // pages touched without a mapping get one (lackey)
  uint64_t size_bytes = 0;           // 0 if unknown (stdin)
};

/// Formats `open_trace` knows, for --format.
inline constexpr const char* kTraceFormats[] = {"text", "binary", "lackey", "champsim"};

/// Opens `path`; `format` is "" (recognize) or one of kTraceFormats.
/// Throws TraceError when the file cannot be read or the format is unknown.
OpenedTrace open_trace(const std::string& path, const std::string& format = "");

}  // namespace pkusim::traces
