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
#include <exception>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "traces/record_source.h"

struct ZSTD_DCtx_s;  // zstd.h

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
  bool next(isa::Instr& out) override { return copy_pulled(out); }
  uint64_t bytes_read() const override { return offset_; }
  SourceTraits traits() const override { return traits_; }
  /// The number of the record last returned (1 for the first).
  uint64_t location() const override {
    return batch_pos_ ? batch_first_ + uint64_t(batch_pos_ - batch_.data()) : 0;
  }

 private:
  // Records are decoded a batch at a time, in a loop that keeps the
  // decoder's state in registers, and handed out in place (pull()).
  static constexpr size_t kBatchRecords = 512;
  const isa::Instr* next_block() override;
  bool load_block();
  /// Decodes up to `want` records of the current block into batch_: how
  /// many. A failure ends the batch before the bad record and is kept in
  /// pending_, to be raised once the good ones have been handed out.
  size_t decode(size_t want);
  [[noreturn]] void fail(uint64_t offset, const std::string& what) const;

  std::istream& in_;
  std::string name_;
  uint64_t offset_ = 0;        // bytes of the file consumed
  uint64_t block_offset_ = 0;  // file offset of the current block
  std::vector<uint8_t> raw_;
  std::vector<char> packed_;
  std::unique_ptr<ZSTD_DCtx_s, size_t (*)(ZSTD_DCtx_s*)> zstd_;  // reused for every block
  size_t pos_ = 0;
  uint32_t left_ = 0;  // records left in the block
  uint64_t prev_addr_ = 0, prev_ip_ = 0;
  uint32_t version_ = 0;
  uint8_t op_mask_ = 0, has_ip_bit_ = 0, continuation_bit_ = 0, unused_bits_ = 0;
  unsigned op_limit_ = 0;  // op codes this version has
  SourceTraits traits_{false, true, false};
  bool ended_ = false;
  std::vector<isa::Instr> batch_ = std::vector<isa::Instr>(kBatchRecords);
  uint64_t batch_first_ = 0;    // records returned before the batch
  std::exception_ptr pending_;  // the failure that ended the batch early
};

/// True when `head` starts with the binary format's magic.
bool looks_like_binary(std::string_view head);

}  // namespace pkusim::traces
