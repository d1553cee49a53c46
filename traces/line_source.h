#pragma once
// Splits a byte stream into lines without allocating per line: a fixed
// buffer is refilled from the stream and each line is handed out as a
// string_view into it. Rejects what is not a text trace: NUL and other
// control bytes (a binary file), a line longer than the limit, and a last
// line without its newline (a file cut short).
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace pkusim::traces {

class LineSource {
 public:
  static constexpr size_t kMaxLineBytes = 4096;

  /// `max_line`: the longest line accepted (a longer one is an error).
  /// `check_bytes`: how much input is checked for control bytes (binary data);
  /// the text format checks it all, a lackey log only its start.
  LineSource(std::istream& in, std::string name, size_t max_line = kMaxLineBytes,
             uint64_t check_bytes = ~uint64_t{0});

  /// The next line without its terminator ("\n" or "\r\n"); false at the end.
  bool next(std::string_view& line);
  uint64_t line_number() const { return line_number_; }
  const std::string& name() const { return name_; }
  uint64_t bytes_read() const { return total_; }

 private:
  bool refill();
  void check_text(std::string_view bytes) const;
  [[noreturn]] void fail(uint64_t column, const std::string& message) const;

  std::istream& in_;
  std::string name_;
  size_t max_line_;
  uint64_t check_bytes_;
  std::vector<char> buf_;
  size_t begin_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last valid byte
  bool eof_ = false;
  uint64_t line_number_ = 0;
  uint64_t total_ = 0;
};

}  // namespace pkusim::traces
