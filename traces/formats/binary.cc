#include "traces/formats/binary.h"

#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "traces/formats/format.h"
#include "traces/trace_error.h"
#include "traces/validate.h"

namespace pkusim::traces {

namespace {

constexpr size_t kHeaderBytes = 16;
constexpr size_t kBlockHeaderBytes = 16;
// Record tags: version 2 (written) and version 1 (still read).
constexpr uint8_t kTagOpMask = 0x1F;
constexpr uint8_t kTagHasIp = 0x20;
constexpr uint8_t kTagContinuation = 0x40;
constexpr uint8_t kTagUnused = 0x80;
constexpr uint8_t kV1TagOpMask = 0x0F;
constexpr uint8_t kV1TagHasIp = 0x10;
constexpr uint8_t kV1TagContinuation = 0x20;
constexpr uint8_t kV1TagUnused = 0xC0;
// Header flags (version 2).
constexpr uint32_t kFlagMapsOnFirstTouch = 0x1;
constexpr uint32_t kMaxRawBlock = 64u << 20;  // a sanity bound for corrupt headers

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = char((v >> (8 * i)) & 0xFF);
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
  return v;
}
void put_var(std::vector<uint8_t>& b, uint64_t v) {
  while (v >= 0x80) {
    b.push_back(uint8_t(v) | 0x80);
    v >>= 7;
  }
  b.push_back(uint8_t(v));
}
uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
int64_t unzigzag(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }

}  // namespace

bool looks_like_binary(std::string_view head) {
  return head.size() >= sizeof kBinaryMagic &&
         std::memcmp(head.data(), kBinaryMagic, sizeof kBinaryMagic) == 0;
}

// ------------------------------------------------------------------ writer

BinaryWriter::BinaryWriter(std::ostream& out, const SourceTraits& traits, int zstd_level)
    : out_(out), level_(zstd_level) {
  char h[kHeaderBytes] = {};
  std::memcpy(h, kBinaryMagic, sizeof kBinaryMagic);
  put_u32(h + 8, kBinaryVersion);
  put_u32(h + 12, traits.maps_on_first_touch ? kFlagMapsOnFirstTouch : 0);
  out_.write(h, sizeof h);
  raw_.reserve(1 << 20);
}

BinaryWriter::~BinaryWriter() {
  if (!closed_) {
    try {
      close();
    } catch (...) {  // a destructor must not throw; close() reports errors
    }
  }
}

void BinaryWriter::write(const isa::Instr& r) {
  uint8_t tag = uint8_t(r.op) & kTagOpMask;
  if (r.has_ip) tag |= kTagHasIp;
  if (r.continuation) tag |= kTagContinuation;
  raw_.push_back(tag);
  const auto addr = [&](uint64_t a) {
    put_var(raw_, zigzag(int64_t(a - prev_addr_)));
    prev_addr_ = a;
  };
  switch (r.op) {
    case isa::Op::kLoad:
    case isa::Op::kStore:
    case isa::Op::kRmw:
      addr(r.addr);
      raw_.push_back(r.size);
      break;
    case isa::Op::kCompute:
    case isa::Op::kWrpkru:
    case isa::Op::kThread:
    case isa::Op::kSleep:
    case isa::Op::kRoi:
      put_var(raw_, r.value);
      break;
    case isa::Op::kRdpkru:
    case isa::Op::kExit:
    case isa::Op::kSyscall:
      break;
    case isa::Op::kMmap:
      addr(r.addr);
      put_var(raw_, r.len);
      raw_.push_back(r.prot);
      raw_.push_back(r.flags);
      break;
    case isa::Op::kMunmap:
      addr(r.addr);
      put_var(raw_, r.len);
      break;
    case isa::Op::kMprotect:
    case isa::Op::kPkeyMprotect:
      addr(r.addr);
      put_var(raw_, r.len);
      raw_.push_back(r.prot);
      if (r.op == isa::Op::kPkeyMprotect) put_var(raw_, zigzag(r.key));
      break;
    case isa::Op::kPkeyAlloc:
      put_var(raw_, r.value);
      break;
    case isa::Op::kPkeyFree:
      put_var(raw_, zigzag(r.key));
      break;
    case isa::Op::kExpect:
      raw_.push_back(uint8_t(r.expect));
      put_var(raw_, r.value);
      break;
  }
  if (r.has_ip) {
    put_var(raw_, zigzag(int64_t(r.ip - prev_ip_)));
    prev_ip_ = r.ip;
    raw_.push_back(r.ip_size);
  }
  if (++count_ == kRecordsPerBlock) flush_block();
}

void BinaryWriter::flush_block() {
  if (count_ == 0) return;
  packed_.resize(ZSTD_compressBound(raw_.size()));
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level_);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  const size_t n = ZSTD_compress2(c, packed_.data(), packed_.size(), raw_.data(), raw_.size());
  ZSTD_freeCCtx(c);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  char h[kBlockHeaderBytes] = {};
  put_u32(h, uint32_t(n));
  put_u32(h + 4, uint32_t(raw_.size()));
  put_u32(h + 8, count_);
  out_.write(h, sizeof h);
  out_.write(packed_.data(), std::streamsize(n));
  raw_.clear();
  count_ = 0;
  // Each block starts its deltas afresh, so a reader can start at any block.
  prev_addr_ = prev_ip_ = 0;
}

void BinaryWriter::close() {
  flush_block();
  const char end[kBlockHeaderBytes] = {};
  out_.write(end, sizeof end);
  out_.flush();
  closed_ = true;
  if (!out_) throw std::runtime_error("cannot write the binary trace");
}

// ------------------------------------------------------------------ reader

BinaryReader::BinaryReader(std::istream& in, std::string name)
    : in_(in), name_(std::move(name)), zstd_(ZSTD_createDCtx(), ZSTD_freeDCtx) {
  if (!zstd_) throw std::bad_alloc();
  char h[kHeaderBytes];
  in_.read(h, sizeof h);
  if (size_t(in_.gcount()) != sizeof h || std::memcmp(h, kBinaryMagic, sizeof kBinaryMagic) != 0) {
    fail(0, "not a pkusim binary trace (bad magic)");
  }
  version_ = get_u32(h + 8);
  if (version_ != 1 && version_ != kBinaryVersion) {
    fail(8, fmt::format("unsupported binary trace version {}: this pkusim reads versions 1 and {}",
                        version_, kBinaryVersion));
  }
  const uint32_t flags = get_u32(h + 12);
  if (flags & ~kFlagMapsOnFirstTouch || (version_ == 1 && flags)) {
    fail(12, fmt::format("unknown header flags {:#x} (written by a newer pkusim?)", flags));
  }
  traits_.maps_on_first_touch = flags & kFlagMapsOnFirstTouch;
  offset_ = sizeof h;
  const bool v1 = version_ == 1;
  op_mask_ = v1 ? kV1TagOpMask : kTagOpMask;
  has_ip_bit_ = v1 ? kV1TagHasIp : kTagHasIp;
  continuation_bit_ = v1 ? kV1TagContinuation : kTagContinuation;
  unused_bits_ = v1 ? kV1TagUnused : kTagUnused;
  op_limit_ = v1 ? unsigned(isa::Op::kExpect) + 1 : isa::kNumOps;
}

BinaryReader::~BinaryReader() = default;

void BinaryReader::fail(uint64_t offset, const std::string& what) const {
  throw TraceError(name_, 0, 0, fmt::format("byte offset {}: {}", offset, what));
}

bool BinaryReader::load_block() {
  char h[kBlockHeaderBytes];
  block_offset_ = offset_;
  in_.read(h, sizeof h);
  if (size_t(in_.gcount()) != sizeof h)
    fail(offset_, "the trace ends inside a block header (truncated file?)");
  offset_ += sizeof h;
  const uint32_t packed = get_u32(h), raw = get_u32(h + 4), count = get_u32(h + 8);
  if (packed == 0 && raw == 0 && count == 0) {
    // The end marker must end the file: zeros over lost blocks, or two
    // traces concatenated, are errors, not a shorter trace.
    if (in_.peek() != std::char_traits<char>::eof()) {
      fail(block_offset_, "data after the end marker (a damaged or concatenated trace?)");
    }
    ended_ = true;
    return false;
  }
  if (raw > kMaxRawBlock || count == 0 || count > raw || packed == 0 ||
      packed > ZSTD_compressBound(raw)) {
    fail(block_offset_, "corrupt block header");
  }
  packed_.resize(packed);
  in_.read(packed_.data(), packed);
  if (size_t(in_.gcount()) != packed)
    fail(offset_, "the trace ends inside a block (truncated file?)");
  raw_.resize(raw);
  const size_t n = ZSTD_decompressDCtx(zstd_.get(), raw_.data(), raw, packed_.data(), packed);
  if (ZSTD_isError(n) || n != raw) {
    fail(offset_, fmt::format("broken zstd block: {}",
                              ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong decompressed size"));
  }
  offset_ += packed;
  pos_ = 0;
  left_ = count;
  prev_addr_ = prev_ip_ = 0;
  return true;
}

const isa::Instr* BinaryReader::next_block() {
  if (batch_pos_) batch_first_ += uint64_t(batch_end_ - batch_.data());
  batch_pos_ = batch_end_ = batch_.data();
  if (pending_) {
    // The records before the failure have been handed out: now the failure.
    ended_ = true;
    std::rethrow_exception(std::exchange(pending_, nullptr));
  }
  if (ended_ || (left_ == 0 && !load_block())) return nullptr;
  const size_t n = decode(std::min<size_t>(left_, kBatchRecords));
  if (n == 0) {
    ended_ = true;
    std::rethrow_exception(std::exchange(pending_, nullptr));
  }
  batch_end_ = batch_.data() + n;
  return batch_pos_++;
}

size_t BinaryReader::decode(size_t want) {
  // The state in locals: stores of single bytes (the records' fields) may
  // alias any member, which would be reloaded after each one.
  const uint8_t* p = raw_.data() + pos_;
  const uint8_t* const end = raw_.data() + raw_.size();
  uint64_t prev_addr = prev_addr_, prev_ip = prev_ip_;
  const uint8_t op_mask = op_mask_, has_ip_bit = has_ip_bit_, continuation_bit = continuation_bit_,
                unused_bits = unused_bits_;
  const unsigned op_limit = op_limit_;
  uint32_t left = left_;
  isa::Instr* const batch = batch_.data();
  size_t n = 0;
  // A record is at most 1 + 4 * 10 + 3 bytes: far from the block's end, no
  // byte needs its own bounds check.
  bool far = true;
  const auto bad = [&]() {
    fail(block_offset_, "corrupt record in block (truncated or wrong field)");
  };
  const auto byte = [&]() -> uint8_t {
    if (!far && p >= end) bad();
    return *p++;
  };
  const auto var = [&]() -> uint64_t {
    const uint8_t first = byte();
    if (first < 0x80) return first;
    uint64_t v = first & 0x7F;
    for (unsigned shift = 7; shift < 64; shift += 7) {
      const uint8_t b = byte();
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    bad();
    return v;
  };
  const auto addr = [&]() {
    prev_addr += uint64_t(unzigzag(var()));
    return prev_addr;
  };
  try {
    for (; n < want; ++n) {
      far = end - p >= 64;
      isa::Instr& out = batch[n];
      out = isa::Instr{};
      const uint8_t tag = byte();
      const unsigned op = tag & op_mask;
      if (op >= op_limit || (tag & unused_bits)) bad();
      out.op = isa::Op(op);
      out.has_ip = tag & has_ip_bit;
      out.continuation = tag & continuation_bit;
      switch (out.op) {
        case isa::Op::kLoad:
        case isa::Op::kStore:
        case isa::Op::kRmw:
          out.addr = addr();
          out.size = byte();
          if (out.size == 0 || out.size > 64) bad();
          break;
        case isa::Op::kCompute:
        case isa::Op::kWrpkru:
        case isa::Op::kThread:
        case isa::Op::kSleep:
        case isa::Op::kRoi:
          out.value = var();
          break;
        case isa::Op::kRdpkru:
        case isa::Op::kExit:
        case isa::Op::kSyscall:
          break;
        case isa::Op::kMmap:
          out.addr = addr();
          out.len = var();
          out.prot = byte();
          out.flags = byte();
          break;
        case isa::Op::kMunmap:
          out.addr = addr();
          out.len = var();
          break;
        case isa::Op::kMprotect:
        case isa::Op::kPkeyMprotect:
          out.addr = addr();
          out.len = var();
          out.prot = byte();
          if (out.op == isa::Op::kPkeyMprotect) out.key = unzigzag(var());
          break;
        case isa::Op::kPkeyAlloc:
          out.value = var();
          break;
        case isa::Op::kPkeyFree:
          out.key = unzigzag(var());
          break;
        case isa::Op::kExpect: {
          const uint8_t k = byte();
          if (k > uint8_t(isa::ExpectKind::kRet)) bad();
          out.expect = isa::ExpectKind(k);
          out.value = var();
          break;
        }
      }
      if (out.has_ip) {
        prev_ip += uint64_t(unzigzag(var()));
        out.ip = prev_ip;
        out.ip_size = byte();
      }
      if (--left == 0 && p != end) bad();
      if (!obviously_valid(out)) {
        if (const std::string problem = record_problem(out); !problem.empty()) {
          fail(block_offset_, "invalid record in block: " + problem);
        }
      }
    }
  } catch (...) {
    // The records before this one are good: they are handed out first.
    pending_ = std::current_exception();
    return n;
  }
  pos_ = size_t(p - raw_.data());
  prev_addr_ = prev_addr;
  prev_ip_ = prev_ip;
  left_ = left;
  return n;
}

const TraceFormat& binary_format() {
  static const TraceFormat f{
      "binary",
      "pkusim's compact binary format: zstd blocks of delta-coded records (docs/formats/binary.md)",
      looks_like_binary,
      [](std::istream& in, const std::string& name) -> std::unique_ptr<RecordSource> {
        return std::make_unique<BinaryReader>(in, name);
      },
      {false, true, false},
      [](std::ostream& out, const SourceTraits& traits, const std::string&)
          -> std::unique_ptr<RecordWriter> { return std::make_unique<BinaryWriter>(out, traits); }};
  return f;
}

}  // namespace pkusim::traces
