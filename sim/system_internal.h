#pragma once
// The system's internals, shared by system.cc (processes, cores, the run
// loop, statistics) and timing/timing.cc (what each event costs).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/system.h"

namespace pkusim::sim {

/// Page-walk reads and A/D writes through the core's caches; the functional
/// value comes from PhysMem.
class TimingPort final : public mmu::MemoryPort {
 public:
  TimingPort(mmu::PhysMem& mem, MemorySystem& ms, unsigned core, MemLevel entry)
      : mem_(mem), ms_(ms), core_(core), entry_(entry) {}
  uint64_t read_entry(uint64_t pa) override {
    cycles += ms_.access(core_, pa, false, false, now + cycles, entry_).latency;
    return mem_.read64(pa);
  }
  void write_entry(uint64_t pa, uint64_t value) override {
    mem_.write64(pa, value);
    cycles += ms_.access(core_, pa, true, false, now + cycles, entry_).latency;
  }
  uint64_t now = 0;     // when the walk starts
  uint64_t cycles = 0;  // memory cycles since the last take()
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

/// A core's timing state (timing mode only).
struct CoreTiming {
  CoreTiming(unsigned id, const TimingParams& p, mmu::PhysMem& mem, MemorySystem& ms)
      : timer(p.core), port(mem, ms, id, p.system.walk_entry), walker_free(p.system.walkers, 0) {}
  CoreTimer timer;
  TimingPort port;
  std::vector<uint64_t> walker_free;
  std::vector<Interrupt> pending;
  uint64_t walk_cycles = 0, walker_wait_cycles = 0;
  uint64_t interrupts = 0, interrupt_cycles = 0;
  uint64_t shootdowns_initiated = 0, shootdown_wait_cycles = 0;
  std::array<uint64_t, 4> data_by_level{};  // by MemLevel
};

struct System::Core {
  unsigned id = 0;
  int proc = -1;  // -1: free
  unsigned tid = 0;
  std::unique_ptr<CoreTiming> timing;
  stats::Group* stats = nullptr;
};

struct System::Process {
  std::string name;
  std::unique_ptr<std::istream> stream;
  std::unique_ptr<traces::RecordSource> reader;
  traces::SourceTraits traits;
  std::unique_ptr<Hooks> hooks;
  std::unique_ptr<Machine> machine;
  unsigned index = 0;
  std::vector<int> core_of_thread = std::vector<int>(abi::kMaxThreads, -1);
  bool done = false;
  uint64_t file_bytes = 0;
  std::string format, compression;
  Outcome last;
  uint64_t expectations = 0, expectations_failed = 0;
  std::array<uint64_t, isa::kNumOps> syscall_cycles{};
  std::array<stats::Histogram, isa::kNumOps> syscall_latency{};
  uint64_t shootdown_initiator_cycles = 0, shootdown_target_cycles = 0;
  bool roi_begun = false, roi_ended = false;
  // mmap_lock: the last write hold, [lock_start, lock_end) in time, of the
  // range [lock_lo, lock_hi) (0, 0: no range, as for pkey_alloc).
  uint64_t lock_start = 0, lock_end = 0, lock_lo = 0, lock_hi = 0;
  uint64_t mmap_lock_wait_cycles = 0;
  // Statistics paths of this process's cores, summed into its own groups.
  std::vector<std::string> core_tlb, core_psc, core_walks, core_mmu;
};

inline System::Core& System::core_of(const Process& p, unsigned tid) {
  return *cores_[static_cast<unsigned>(p.core_of_thread[tid])];
}

/// What the machine's hooks are, in either mode.
class System::Hooks : public MachineHooks {};

/// The per-instruction context the timing hooks fill in.
struct Ctx {
  System::Core* core = nullptr;
  CoreTiming* timing = nullptr;  // core->timing
  uint64_t cursor = 0;           // the instruction's time so far
  Latency lat;
  Stall kernel = Stall::kSyscall;  // where kernel work is charged
  bool serialize_after = false;
  uint64_t pending_entry = 0;  // system-call entry not yet charged
  unsigned ipis = 0;
  uint64_t ack_max = 0;
  bool holds_lock = false;  // took mmap_lock: released when the call ends
  uint64_t lock_start = 0, lock_lo = 0, lock_hi = 0;

  /// Starts the next instruction, dispatched at `at`: as `*this = Ctx{...}`,
  /// field by field (the aggregate assignment compiles to a string store of
  /// 176 bytes, about 3% of a replay).
  void start(System::Core* c, CoreTiming* t, uint64_t at) {
    core = c;
    timing = t;
    cursor = at;
    lat.clear();
    kernel = Stall::kSyscall;
    serialize_after = false;
    pending_entry = 0;
    ipis = 0;
    ack_max = 0;
    holds_lock = false;
    lock_start = lock_lo = lock_hi = 0;
  }
};

/// The timing mode's hooks (timing/timing.cc).
std::unique_ptr<System::Hooks> make_timing_hooks(System& s, System::Process& p);

}  // namespace pkusim::sim
