#pragma once
// The error every trace reader throws: where (file, line, column; 1-based)
// and what was expected. what() reads "FILE:LINE:COL: MESSAGE", or
// "FILE: MESSAGE" for errors without a line (binary input names its byte
// offset in the message).
#include <cstdint>
#include <stdexcept>
#include <string>

namespace pkusim::traces {

class TraceError : public std::runtime_error {
 public:
  TraceError(std::string file, uint64_t line, uint64_t column, const std::string& message);

  const std::string& file() const { return file_; }
  uint64_t line() const { return line_; }
  uint64_t column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  uint64_t line_;
  uint64_t column_;
  std::string message_;
};

}  // namespace pkusim::traces
