#pragma once
// The timed system's internals, shared by system.cc and system_report.cc.
#include <array>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sim/timing/system.h"

namespace pkusim::sim {

/// Page-walk reads and A/D writes through the core's caches; the functional
/// value comes from PhysMem.
class TimingPort final : public mmu::MemoryPort {
 public:
  TimingPort(mmu::PhysMem& mem, MemorySystem& ms, unsigned core, MemLevel entry)
      : mem_(mem), ms_(ms), core_(core), entry_(entry) {}
  uint64_t read_entry(uint64_t pa) override {
    cycles += ms_.access(core_, pa, false, false, now + cycles, entry_).latency;
    ++reads;
    return mem_.read64(pa);
  }
  void write_entry(uint64_t pa, uint64_t value) override {
    mem_.write64(pa, value);
    cycles += ms_.access(core_, pa, true, false, now + cycles, entry_).latency;
    ++writes;
  }
  uint64_t now = 0;     // when the walk starts
  uint64_t cycles = 0;  // memory cycles since the last take()
  uint64_t reads = 0, writes = 0;
  uint64_t take() {
    const uint64_t c = cycles;
    cycles = 0;
    return c;
  }

 private:
  mmu::PhysMem& mem_;
  MemorySystem& ms_;
  unsigned core_;
  MemLevel entry_;
};

struct Interrupt {
  uint64_t arrival;
  uint64_t cycles;
};

struct System::Core {
  Core(unsigned i, const TimingParams& p, mmu::PhysMem& mem, MemorySystem& ms)
      : id(i), timer(p.core), port(mem, ms, i, p.system.walk_entry), walker_free(p.system.walkers, 0) {}
  unsigned id;
  CoreTimer timer;
  TimingPort port;
  int proc = -1;
  unsigned tid = 0;
  std::vector<uint64_t> walker_free;
  std::vector<Interrupt> pending;
  uint64_t walks = 0, walk_cycles = 0, walker_wait_cycles = 0;
  uint64_t interrupts = 0, interrupt_cycles = 0;
  uint64_t shootdowns_initiated = 0, shootdown_wait_cycles = 0;
  uint64_t data_by_level[4] = {};
};

struct System::Process {
  std::string name;
  std::unique_ptr<std::istream> file;
  std::unique_ptr<traces::RecordSource> reader;
  std::unique_ptr<Hooks> hooks;
  std::unique_ptr<Machine> machine;
  unsigned index = 0;
  unsigned base_core = 0;
  unsigned span = 0;  // cores reserved (0: not known yet)
  std::vector<int> core_of_thread = std::vector<int>(abi::kMaxThreads, -1);
  bool done = false;
  uint64_t file_bytes = 0;
  std::string format = "generated", compression = "none";
  Outcome last;
  uint64_t expectations = 0, expectations_failed = 0;
  std::array<uint64_t, isa::kNumOps> syscall_cycles{};
  uint64_t shootdown_initiator_cycles = 0, shootdown_target_cycles = 0;
};

/// The per-instruction context the hooks fill in.
struct Ctx {
  System::Core* core = nullptr;
  uint64_t cursor = 0;  // the instruction's time so far
  Latency lat;
  Stall kernel = Stall::kSyscall;  // where kernel work is charged
  bool serialize_after = false;
  uint64_t pending_entry = 0;  // system-call entry not yet charged
  unsigned ipis = 0;
  uint64_t ack_max = 0;
};

}  // namespace pkusim::sim
