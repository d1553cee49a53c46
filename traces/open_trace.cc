#include "traces/open_trace.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <streambuf>

#include "traces/decompress.h"
#include "traces/trace_error.h"

namespace pkusim::traces {

namespace {

/// Serves the bytes already read for format recognition, then the rest.
class PrefixedBuf final : public std::streambuf {
 public:
  PrefixedBuf(std::string prefix, std::istream& rest) : prefix_(std::move(prefix)), rest_(rest) {
    setg(prefix_.data(), prefix_.data(), prefix_.data() + prefix_.size());
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    rest_.read(buf_, sizeof buf_);
    const std::streamsize n = rest_.gcount();
    if (n <= 0) return traits_type::eof();
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string prefix_;
  std::istream& rest_;
  char buf_[1 << 16];
};

class PrefixedStream final : public std::istream {
 public:
  PrefixedStream(std::string prefix, std::unique_ptr<std::istream> owned, std::istream& rest)
      : std::istream(nullptr), owned_(std::move(owned)), buf_(std::move(prefix), rest) {
    rdbuf(&buf_);
    exceptions(std::ios::badbit);  // let errors of the stream below through
  }

 private:
  std::unique_ptr<std::istream> owned_;
  PrefixedBuf buf_;
};

}  // namespace

OpenedTrace open_trace(const std::string& path, const std::string& format) {
  OpenedTrace t;
  std::unique_ptr<std::istream> file;
  std::istream* in = &std::cin;
  const std::string name = path == "-" ? "<stdin>" : path;
  if (path != "-") {
    std::error_code dir_ec;
    if (std::filesystem::is_directory(path, dir_ec)) throw TraceError(path, 0, 0, "is a directory");
    file = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!*file) throw TraceError(path, 0, 0, std::string("cannot open: ") + std::strerror(errno));
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    t.size_bytes = ec ? 0 : size;
    in = file.get();
  }
  const auto read_head = [](std::istream& s) {
    std::string head(4096, '\0');
    s.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(s.gcount()));
    s.clear(s.rdstate() & ~std::ios::failbit & ~std::ios::eofbit);
    return head;
  };
  std::string head = read_head(*in);
  std::unique_ptr<std::istream> stream =
      std::make_unique<PrefixedStream>(head, std::move(file), *in);
  // Compressed input is recognized by its magic number, whatever its name.
  const Compression c = detect_compression(head);
  if (c != Compression::kNone) {
    stream = decompressing_stream(std::move(stream), c, name);
    head = read_head(*stream);
    std::istream* raw = stream.get();
    stream = std::make_unique<PrefixedStream>(head, std::move(stream), *raw);
    t.compression = compression_name(c);
  }
  const TraceFormat* chosen = nullptr;
  if (!format.empty()) {
    chosen = find_format(format);
    if (!chosen) {
      throw TraceError(path, 0, 0,
                       "unknown trace format '" + format + "': expected " + format_names());
    }
  } else {
    for (const TraceFormat* f : trace_formats()) {
      if (!f->recognize || f->recognize(head)) {
        chosen = f;
        break;
      }
    }
  }
  t.format = chosen;
  t.stream = std::move(stream);
  t.source = chosen->open(*t.stream, name);
  return t;
}

}  // namespace pkusim::traces
