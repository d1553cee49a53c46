#include "traces/formats/champsim.h"

#include "traces/formats/format.h"

#include <fmt/format.h>

#include "traces/trace_error.h"

namespace pkusim::traces {

namespace {
uint64_t le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
constexpr size_t kIp = 0;
constexpr size_t kDestMem = 16;
constexpr size_t kSrcMem = 32;
constexpr uint8_t kAccessBytes = 8;  // ChampSim records no sizes
constexpr uint8_t kFetchBytes = 4;   // nor instruction lengths
}  // namespace

bool looks_like_champsim(std::string_view head) {
  if (head.size() < kChampSimRecordBytes) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(head.data());
  for (size_t r = 0; r + kChampSimRecordBytes <= head.size() && r < 8 * kChampSimRecordBytes;
       r += kChampSimRecordBytes) {
    if (le64(p + r) == 0 || p[r + 8] > 1 || p[r + 9] > 1) return false;
  }
  return true;
}

ChampSimReader::ChampSimReader(std::istream& in, std::string name)
    : in_(in), name_(std::move(name)) {}

bool ChampSimReader::load_record() {
  in_.read(reinterpret_cast<char*>(rec_.data()), kChampSimRecordBytes);
  const auto got = static_cast<size_t>(in_.gcount());
  if (got == 0) return false;
  if (got != kChampSimRecordBytes) {
    throw TraceError(name_, 0, 0,
                     fmt::format("truncated ChampSim record at byte offset {}: {} of {} bytes",
                                 bytes_, got, kChampSimRecordBytes));
  }
  bytes_ += got;
  ip_ = le64(&rec_[kIp]);
  count_ = 0;
  // Sources are read before destinations are written.
  for (int k = 0; k < 4; ++k) {
    const uint64_t a = le64(&rec_[kSrcMem + 8 * k]);
    if (a) {
      addrs_[count_] = a;
      is_store_[count_++] = false;
    }
  }
  for (int k = 0; k < 2; ++k) {
    const uint64_t a = le64(&rec_[kDestMem + 8 * k]);
    if (a) {
      addrs_[count_] = a;
      is_store_[count_++] = true;
    }
  }
  pending_ = 0;
  return true;
}

bool ChampSimReader::next(isa::Instr& out) {
  out = isa::Instr{};
  if (pending_ == 0 || pending_ >= count_) {
    if (!load_record()) return false;
    out.has_ip = true;
    out.ip = ip_;
    out.ip_size = kFetchBytes;
    if (count_ == 0) {
      out.op = isa::Op::kCompute;
      out.value = 1;
      return true;
    }
  } else {
    out.continuation = true;
  }
  const unsigned k = pending_++;
  out.op = is_store_[k] ? isa::Op::kStore : isa::Op::kLoad;
  out.addr = addrs_[k];
  out.size = kAccessBytes;
  if (pending_ >= count_) pending_ = 0;
  return true;
}

const TraceFormat& champsim_format() {
  static const TraceFormat f{
      "champsim",
      "a ChampSim trace of 64-byte input_instr records, raw or compressed "
      "(docs/formats/champsim.md)",
      looks_like_champsim,
      [](std::istream& in, const std::string& name) -> std::unique_ptr<RecordSource> {
        return std::make_unique<ChampSimReader>(in, name);
      },
      {true, false, false},
      nullptr};
  return f;
}

}  // namespace pkusim::traces
