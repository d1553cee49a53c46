#include "traces/decompress.h"

#include <fmt/format.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <streambuf>
#include <vector>

#include "traces/trace_error.h"

namespace pkusim::traces {

namespace {

constexpr size_t kChunk = 1 << 16;

/// The shared machinery: compressed bytes in, decompressed bytes out. Each
/// codec implements step(): consume from in_buf_, produce into out_.
class DecompressBuf : public std::streambuf {
 public:
  DecompressBuf(std::unique_ptr<std::istream> in, std::string name)
      : in_(std::move(in)), name_(std::move(name)), in_buf_(kChunk), out_(kChunk) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    for (;;) {
      if (in_pos_ == in_len_ && !in_eof_) {
        in_->read(in_buf_.data(), static_cast<std::streamsize>(in_buf_.size()));
        in_len_ = static_cast<size_t>(in_->gcount());
        in_pos_ = 0;
        consumed_ += in_len_;
        if (in_len_ == 0) in_eof_ = true;
      }
      size_t produced = 0;
      const bool more = step(produced);
      if (produced) {
        setg(out_.data(), out_.data(), out_.data() + produced);
        return traits_type::to_int_type(*gptr());
      }
      if (!more) return traits_type::eof();
    }
  }
  /// Decompresses some input into out_; false when the stream has ended.
  virtual bool step(size_t& produced) = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw TraceError(name_, 0, 0,
                     fmt::format("broken {} stream near compressed byte offset {}: {}", codec(),
                                 consumed_ - (in_len_ - in_pos_), what));
  }
  virtual const char* codec() const = 0;

  std::unique_ptr<std::istream> in_;
  std::string name_;
  std::vector<char> in_buf_;
  std::vector<char> out_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool in_eof_ = false;
  uint64_t consumed_ = 0;
};

class GzipBuf final : public DecompressBuf {
 public:
  GzipBuf(std::unique_ptr<std::istream> in, std::string name)
      : DecompressBuf(std::move(in), std::move(name)) {
    if (inflateInit2(&z_, 15 + 32) != Z_OK) fail("cannot initialize zlib");
  }
  ~GzipBuf() override { inflateEnd(&z_); }

 private:
  const char* codec() const override { return "gzip"; }
  bool step(size_t& produced) override {
    if (done_) {
      // Concatenated gzip members: start the next one if input remains.
      if (in_pos_ == in_len_) return false;
      inflateReset(&z_);
      done_ = false;
    }
    z_.next_in = reinterpret_cast<Bytef*>(in_buf_.data() + in_pos_);
    z_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
    z_.next_out = reinterpret_cast<Bytef*>(out_.data());
    z_.avail_out = static_cast<uInt>(out_.size());
    const int rc = inflate(&z_, Z_NO_FLUSH);
    in_pos_ = in_len_ - z_.avail_in;
    produced = out_.size() - z_.avail_out;
    if (rc == Z_STREAM_END) {
      done_ = true;
      return true;
    }
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && produced == 0 && !in_eof_)) {
      if (rc == Z_BUF_ERROR && in_eof_) fail("the compressed stream ends early (truncated file?)");
      fail(z_.msg ? z_.msg : fmt::format("zlib error {}", rc));
    }
    return true;
  }
  z_stream z_{};
  bool done_ = false;
};

class XzBuf final : public DecompressBuf {
 public:
  XzBuf(std::unique_ptr<std::istream> in, std::string name)
      : DecompressBuf(std::move(in), std::move(name)) {
    if (lzma_stream_decoder(&s_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
      fail("cannot initialize liblzma");
  }
  ~XzBuf() override { lzma_end(&s_); }

 private:
  const char* codec() const override { return "xz"; }
  bool step(size_t& produced) override {
    if (done_) return false;
    s_.next_in = reinterpret_cast<const uint8_t*>(in_buf_.data() + in_pos_);
    s_.avail_in = in_len_ - in_pos_;
    s_.next_out = reinterpret_cast<uint8_t*>(out_.data());
    s_.avail_out = out_.size();
    const lzma_ret rc = lzma_code(&s_, in_eof_ ? LZMA_FINISH : LZMA_RUN);
    in_pos_ = in_len_ - s_.avail_in;
    produced = out_.size() - s_.avail_out;
    if (rc == LZMA_STREAM_END) {
      done_ = true;
      return true;
    }
    if (rc == LZMA_BUF_ERROR && in_eof_) fail("the compressed stream ends early (truncated file?)");
    if (rc != LZMA_OK && rc != LZMA_BUF_ERROR) fail(fmt::format("liblzma error {}", int(rc)));
    return true;
  }
  lzma_stream s_ = LZMA_STREAM_INIT;
  bool done_ = false;
};

class ZstdBuf final : public DecompressBuf {
 public:
  ZstdBuf(std::unique_ptr<std::istream> in, std::string name)
      : DecompressBuf(std::move(in), std::move(name)), d_(ZSTD_createDStream()) {
    if (!d_) fail("cannot initialize libzstd");
  }
  ~ZstdBuf() override { ZSTD_freeDStream(d_); }

 private:
  const char* codec() const override { return "zstd"; }
  bool step(size_t& produced) override {
    if (in_eof_ && in_pos_ == in_len_ && frame_done_) return false;
    ZSTD_inBuffer ib{in_buf_.data(), in_len_, in_pos_};
    ZSTD_outBuffer ob{out_.data(), out_.size(), 0};
    const size_t rc = ZSTD_decompressStream(d_, &ob, &ib);
    if (ZSTD_isError(rc)) fail(ZSTD_getErrorName(rc));
    in_pos_ = ib.pos;
    produced = ob.pos;
    frame_done_ = rc == 0;
    if (produced == 0 && in_eof_ && in_pos_ == in_len_ && !frame_done_) {
      fail("the compressed stream ends early (truncated file?)");
    }
    return true;
  }
  ZSTD_DStream* d_;
  bool frame_done_ = true;
};

class OwningStream final : public std::istream {
 public:
  // badbit exceptions: a TraceError thrown by the codec reaches the reader
  // instead of being turned into a quiet end of file by std::istream.
  explicit OwningStream(std::unique_ptr<std::streambuf> buf)
      : std::istream(buf.get()), buf_(std::move(buf)) {
    exceptions(std::ios::badbit);
  }

 private:
  std::unique_ptr<std::streambuf> buf_;
};

}  // namespace

Compression detect_compression(std::string_view h) {
  if (h.size() >= 2 && uint8_t(h[0]) == 0x1f && uint8_t(h[1]) == 0x8b) return Compression::kGzip;
  if (h.size() >= 6 && h.substr(0, 6) == std::string_view("\xFD"
                                                          "7zXZ\0",
                                                          6))
    return Compression::kXz;
  if (h.size() >= 4 && uint8_t(h[0]) == 0x28 && uint8_t(h[1]) == 0xB5 && uint8_t(h[2]) == 0x2F &&
      uint8_t(h[3]) == 0xFD) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kXz:
      return "xz";
    case Compression::kZstd:
      return "zstd";
  }
  return "?";
}

std::unique_ptr<std::istream> decompressing_stream(std::unique_ptr<std::istream> in, Compression c,
                                                   const std::string& name) {
  std::unique_ptr<std::streambuf> buf;
  switch (c) {
    case Compression::kGzip:
      buf = std::make_unique<GzipBuf>(std::move(in), name);
      break;
    case Compression::kXz:
      buf = std::make_unique<XzBuf>(std::move(in), name);
      break;
    case Compression::kZstd:
      buf = std::make_unique<ZstdBuf>(std::move(in), name);
      break;
    case Compression::kNone:
      return in;
  }
  return std::make_unique<OwningStream>(std::move(buf));
}

}  // namespace pkusim::traces
