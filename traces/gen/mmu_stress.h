#pragma once
// The mmu-stress generator: a synthetic loop that stresses the TLBs, exactly
// reproducible (SplitMix64). Four sequential 8-byte streams a quarter of an
// array apart plus random loads and stores over it (about 46 random accesses
// per 1000 instructions); every instruction carries its IP (0x401000 + 4j),
// so fetches are simulated. With the defaults (a 64 MiB array, seed 42,
// 20 M instructions) it is the MMU-stress speed workload that pkusim is
// compared with ChampSim on (docs/model.md, "Speed"). The stream starts
// with the two mmaps (populated) that set up the array and the code, so the
// loop runs without demand paging, as in ChampSim.
#include <array>
#include <cstdint>

#include "traces/record_source.h"

namespace pkusim::traces {

class MmuStress final : public RecordSource {
 public:
  static constexpr uint64_t kArray = 0x10000000;
  static constexpr uint64_t kCode = 0x401000;

  /// `instructions`: loop instructions (the setup mmaps are extra);
  /// `array_bytes`: a power of two of at least 4 KiB.
  MmuStress(uint64_t instructions, uint64_t seed, uint64_t array_bytes)
      : limit_(instructions), state_(seed), array_bytes_(array_bytes) {}
  /// Copies what pull() hands out (a source is read one way or the other).
  bool next(isa::Instr& out) override { return copy_pulled(out); }
  uint64_t bytes_read() const override { return emitted_; }
  SourceTraits traits() const override { return {}; }

 private:
  uint64_t splitmix();
  void start_iteration();
  /// The next record of the loop; false at its end.
  bool generate(isa::Instr& out);
  /// A batch of generated records, handed out in place (pull()).
  const isa::Instr* next_block() override;
  std::array<isa::Instr, 256> batch_{};

  uint64_t limit_;
  uint64_t emitted_ = 0;  // loop instructions so far
  unsigned setup_ = 0;
  uint64_t state_;
  uint64_t array_bytes_;
  uint64_t k_ = 0;
  unsigned j_ = 11;  // position in the body; 11 = start a new iteration
  uint64_t ld2_ = 0, st2_ = 0, s1_ = 0, s4_ = 0;
  bool skip_ = false;
};

}  // namespace pkusim::traces
