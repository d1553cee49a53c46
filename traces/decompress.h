#pragma once
// Streaming decompression of gzip, xz and zstd input, recognized by magic
// number: an istream whose bytes are the decompressed content, in constant
// memory. A broken compressed stream throws TraceError with the byte offset.
#include <istream>
#include <memory>
#include <string>
#include <string_view>

namespace pkusim::traces {

enum class Compression { kNone, kGzip, kXz, kZstd };

/// The compression whose magic number starts `head`.
Compression detect_compression(std::string_view head);
const char* compression_name(Compression c);

/// A stream of the decompressed bytes of `in` (which it takes over).
std::unique_ptr<std::istream> decompressing_stream(std::unique_ptr<std::istream> in, Compression c,
                                                   const std::string& name);

}  // namespace pkusim::traces
