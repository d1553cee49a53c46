#pragma once
// Opening a trace: a file or "-" (standard input), plain or compressed
// (gzip, xz, zstd: recognized by magic number), its format recognized from
// its first bytes by the format registry (formats/format.h) unless named;
// docs/formats/.
#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "traces/formats/format.h"
#include "traces/record_source.h"

namespace pkusim::traces {

struct OpenedTrace {
  std::unique_ptr<std::istream> stream;
  std::unique_ptr<RecordSource> source;
  const TraceFormat* format = nullptr;
  std::string compression = "none";  // gzip, xz, zstd
  uint64_t size_bytes = 0;           // 0 if unknown (stdin)
};

/// Opens `path`; `format` is "" (recognize) or the name of a format.
/// Throws TraceError when the file cannot be read or the format is unknown.
OpenedTrace open_trace(const std::string& path, const std::string& format = "");

}  // namespace pkusim::traces
