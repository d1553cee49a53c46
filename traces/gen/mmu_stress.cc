#include "traces/gen/mmu_stress.h"

#include <bit>

#include "traces/gen/generator.h"

namespace pkusim::traces {

uint64_t MmuStress::splitmix() {
  state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void MmuStress::start_iteration() {
  const uint64_t ra = splitmix(), rb = splitmix(), rc = splitmix();
  const uint64_t s = array_bytes_;
  const uint64_t rnd_ld = kArray + (ra & (s - 8));
  const uint64_t rnd_st = kArray + (rb & (s - 8));
  const uint64_t mask = s - 1;  // a power of two
  s1_ = kArray + ((8 * k_) & mask);
  const uint64_t s2 = kArray + ((8 * k_ + s / 4) & mask);
  const uint64_t s3 = kArray + ((8 * k_ + s / 2) & mask);
  s4_ = kArray + ((8 * k_ + 3 * s / 4) & mask);
  ld2_ = k_ % 4 == 0 ? rnd_ld : s2;
  st2_ = k_ % 4 == 2 ? rnd_st : s3;
  skip_ = (rc & 15) == 0;
  j_ = 0;
}

const isa::Instr* MmuStress::next_block() {
  size_t n = 0;
  while (n < batch_.size() && generate(batch_[n])) ++n;
  if (n == 0) return nullptr;
  batch_pos_ = batch_.data();
  batch_end_ = batch_pos_ + n;
  return batch_pos_++;
}

bool MmuStress::generate(isa::Instr& out) {
  out = isa::Instr{};
  if (setup_ < 2) {
    out.op = isa::Op::kMmap;
    out.addr = setup_ == 0 ? kArray : kCode;
    out.len = setup_ == 0 ? array_bytes_ : 4096;
    out.prot = setup_ == 0 ? (isa::kProtRead | isa::kProtWrite) : (isa::kProtRead | isa::kProtExec);
    out.flags = isa::kMapPopulate;  // no demand paging: the loop alone is measured
    ++setup_;
    return true;
  }
  if (emitted_ >= limit_) return false;
  if (j_ > 10) start_iteration();
  if (j_ == 9 && skip_) j_ = 10;  // the branch at 8 jumps over 9
  const unsigned j = j_++;
  out.has_ip = true;
  out.ip = kCode + 4 * j;
  out.size = 8;
  switch (j) {
    case 0:
      out.op = isa::Op::kLoad;
      out.addr = s1_;
      break;
    case 2:
      out.op = isa::Op::kLoad;
      out.addr = ld2_;
      break;
    case 4:
      out.op = isa::Op::kStore;
      out.addr = s4_;
      break;
    case 7:
      out.op = isa::Op::kStore;
      out.addr = st2_;
      break;
    default:
      out.op = isa::Op::kCompute;
      out.value = 1;
      break;  // ALU ops and branches
  }
  if (j == 10) ++k_;
  ++emitted_;
  return true;
}

const Generator& mmu_stress_generator() {
  static const Generator g(
      "mmu-stress",
      "a TLB-stressing loop: four sequential streams and random loads and stores over an array "
      "(the speed workload)",
      {{"instructions",
        GenParamType::kInt,
        "20000000",
        1,
        1e15,
        {},
        "Loop instructions to produce"},
       {"seed", GenParamType::kInt, "42", 0, 1.8e19, {}, "SplitMix64 seed"},
       {"array_bytes",
        GenParamType::kBytes,
        "64M",
        4096,
        double(1ull << 46),
        {},
        "Size of the array (rounded down to a power of two)"}},
      [](const GenArgs& a) -> std::unique_ptr<RecordSource> {
        return std::make_unique<MmuStress>(a.uint("instructions"), a.uint("seed"),
                                           std::bit_floor(a.uint("array_bytes")));
      });
  return g;
}

}  // namespace pkusim::traces
