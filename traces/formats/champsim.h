#pragma once
// Reader for ChampSim traces: a stream of 64-byte `input_instr` records
// (ChampSim's inc/trace_instruction.h): instruction pointer (8 bytes),
// is_branch, branch_taken, 2 destination and 4 source register ids, 2
// destination and 4 source memory addresses (8 bytes each, 0 = none).
// docs/formats/champsim.md lists what is assumed: ChampSim records carry no
// access sizes (8 bytes here), no instruction lengths (4 bytes fetched), no
// system calls (pages are mapped on first touch) and one thread.
#include <array>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>

#include "traces/record_source.h"

namespace pkusim::traces {

inline constexpr size_t kChampSimRecordBytes = 64;

/// True when `head` starts with plausible ChampSim records (non-zero IPs,
/// branch flags 0 or 1): how binary input is told apart from garbage.
bool looks_like_champsim(std::string_view head);

class ChampSimReader final : public RecordSource {
 public:
  ChampSimReader(std::istream& in, std::string name);
  bool next(isa::Instr& out) override;
  uint64_t bytes_read() const override { return bytes_; }
  SourceTraits traits() const override { return {true, false, false}; }
  uint64_t location() const override { return bytes_ / kChampSimRecordBytes; }
  std::vector<std::pair<std::string, uint64_t>> counters() const override {
    return {{"records", bytes_ / kChampSimRecordBytes}};
  }

 private:
  bool load_record();

  std::istream& in_;
  std::string name_;
  std::array<unsigned char, kChampSimRecordBytes> rec_{};
  unsigned pending_ = 0;  // memory operands of the current record still to emit
  std::array<uint64_t, 6> addrs_{};
  std::array<bool, 6> is_store_{};
  unsigned count_ = 0;
  uint64_t ip_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace pkusim::traces
