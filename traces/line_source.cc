#include "traces/line_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "traces/trace_error.h"

namespace pkusim::traces {

namespace {

bool is_binary_byte(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f; }
}  // namespace

LineSource::LineSource(std::istream& in, std::string name, size_t max_line, uint64_t check_bytes)
    : in_(in),
      name_(std::move(name)),
      max_line_(max_line),
      check_bytes_(check_bytes),
      buf_(std::max<size_t>(1 << 16, 4 * max_line)) {}

void LineSource::fail(uint64_t column, const std::string& message) const {
  throw TraceError(name_, line_number_, column, message);
}

void LineSource::check_text(std::string_view bytes) const {
  if (total_ - (end_ - begin_) > check_bytes_) return;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (is_binary_byte(static_cast<unsigned char>(bytes[i]))) {
      fail(i + 1, "binary data (a control byte) where a text trace line was expected");
    }
  }
}

bool LineSource::refill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  in_.read(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_));
  const auto got = static_cast<size_t>(in_.gcount());
  if (got == 0) {
    if (in_.bad()) fail(1, "read error");
    eof_ = true;
    return false;
  }
  end_ += got;
  total_ += got;
  return true;
}

bool LineSource::next(std::string_view& line) {
  size_t scan = begin_;
  for (;;) {
    const char* nl = static_cast<const char*>(std::memchr(buf_.data() + scan, '\n', end_ - scan));
    if (nl) {
      const size_t len = static_cast<size_t>(nl - (buf_.data() + begin_));
      ++line_number_;
      line = std::string_view(buf_.data() + begin_, len);
      check_text(line.substr(0, max_line_));
      if (len > max_line_) fail(max_line_ + 1, fmt::format("line longer than {} bytes", max_line_));
      begin_ += len + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return true;
    }
    if (end_ - begin_ > max_line_) {
      ++line_number_;
      check_text(std::string_view(buf_.data() + begin_, max_line_));
      fail(max_line_ + 1, fmt::format("line longer than {} bytes", max_line_));
    }
    scan = end_;
    const size_t before = begin_;
    if (!refill()) {
      if (end_ > begin_) {
        ++line_number_;
        check_text(std::string_view(buf_.data() + begin_, end_ - begin_));
        fail(end_ - begin_ + 1,
             "the trace ends in the middle of a line (no final newline): "
             "was the file cut short?");
      }
      return false;
    }
    scan -= before;  // refill moved the unread bytes to the buffer's start
  }
}

}  // namespace pkusim::traces
