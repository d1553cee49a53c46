#pragma once
// Workload A of shared/reference/bench-workloads.md: a synthetic MMU stress
// loop, exactly reproducible (SplitMix64, state 42). Four sequential 8-byte
// streams a quarter of a 64 MiB array apart plus random loads and stores;
// every instruction carries its IP (0x401000 + 4j), so fetches are simulated.
// The stream starts with the two mmaps (populated) that set up the array and
// the code, so the loop runs without demand paging, as in ChampSim.
#include <cstdint>

#include "traces/record_source.h"

namespace pkusim::traces {

class WorkloadA final : public RecordSource {
 public:
  static constexpr uint64_t kArray = 0x10000000;
  static constexpr uint64_t kArrayBytes = 64ull << 20;
  static constexpr uint64_t kCode = 0x401000;

  /// `instructions`: loop instructions to produce (the setup mmaps are extra).
  explicit WorkloadA(uint64_t instructions = 20'000'000) : limit_(instructions) {}
  bool next(isa::Instr& out) override;
  uint64_t bytes_read() const override { return emitted_; }

 private:
  uint64_t splitmix();
  void start_iteration();

  uint64_t limit_;
  uint64_t emitted_ = 0;  // loop instructions so far
  unsigned setup_ = 0;
  uint64_t state_ = 42;
  uint64_t k_ = 0;
  unsigned j_ = 11;  // position in the body; 11 = start a new iteration
  uint64_t ld2_ = 0, st2_ = 0, s1_ = 0, s4_ = 0;
  bool skip_ = false;
};

}  // namespace pkusim::traces
