#pragma once
// The pkusim binary trace format, version 1 (docs/formats/binary.md): a
// 16-byte header ("PKUSIMBT", version, flags), then blocks, each a 16-byte
// block header (compressed bytes, raw bytes, records, reserved) and a zstd
// frame (with checksum) of up to 64 Ki records, then an end block of zeros.
// Records are a tag byte (op, has_ip, continuation) and LEB128 fields;
// addresses and instruction pointers are zigzag deltas from the previous
// ones. Every record the text format can say has an encoding (threads,
// system calls and expectations included). Reading and writing stream in
// constant memory.
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "traces/record_source.h"

namespace pkusim::traces {

inline constexpr char kBinaryMagic[8] = {'P', 'K', 'U', 'S', 'I', 'M', 'B', 'T'};
inline constexpr uint32_t kBinaryVersion = 2;
inline constexpr uint32_t kRecordsPerBlock = 1 << 16;

class BinaryWriter final : public RecordWriter {
 public:
  /// Writes the header at once; close() writes the last block and the end.
  /// `traits` go into the header (a trace whose pages are mapped on first
  /// touch stays one).
  explicit BinaryWriter(std::ostream& out, const SourceTraits& traits = {}, int zstd_level = 3);
  ~BinaryWriter() override;
  void write(const isa::Instr& r) override;
  void close() override;

 private:
  void flush_block();
  std::ostream& out_;
  int level_;
  std::vector<uint8_t> raw_;
  std::vector<char> packed_;
  uint32_t count_ = 0;
  uint64_t prev_addr_ = 0, prev_ip_ = 0;
  bool closed_ = false;
};

class BinaryReader final : public RecordSource {
 public:
  BinaryReader(std::istream& in, std::string name);
  ~BinaryReader() override;
  bool next(isa::Instr& out) override;
  uint64_t bytes_read() const override { return offset_; }
  SourceTraits traits() const override { return traits_; }
  uint64_t location() const override { return records_; }

 private:
  bool load_block();
  [[noreturn]] void fail(uint64_t offset, const std::string& what) const;

  std::istream& in_;
  std::string name_;
  uint64_t offset_ = 0;        // bytes of the file consumed
  uint64_t block_offset_ = 0;  // file offset of the current block
  std::vector<uint8_t> raw_;
  std::vector<char> packed_;
  size_t pos_ = 0;
  uint32_t left_ = 0;  // records left in the block
  uint64_t prev_addr_ = 0, prev_ip_ = 0;
  uint64_t records_ = 0;  // records returned
  uint32_t version_ = 0;
  SourceTraits traits_{false, true, false};
  bool ended_ = false;
};

/// True when `head` starts with the binary format's magic.
bool looks_like_binary(std::string_view head);

}  // namespace pkusim::traces
