#pragma once
// Per-instruction cycle accounting for an out-of-order core, in the style of
// zsim's OoO model: no per-cycle ticking. Each instruction gets a dispatch
// cycle (bounded by the dispatch width, a free ROB entry, a free load- or
// store-queue entry, and any barrier), an issue cycle (a WRPKRU waits for
// every older instruction to complete, and younger memory operations wait for
// it, SDM Vol. 2B WRPKRU), a completion cycle (issue +
// latency) and a retirement cycle (in order, bounded by the retire width).
// Serializing events (system calls, fault delivery, interrupts, and WRPKRU
// when it drains) wait for every older instruction to retire and hold back
// every younger one until they complete.
//
// Cycles are attributed to a CPI stack as they are added to the retirement
// timeline: an instruction that retires d cycles after its predecessor adds
// one base cycle and d - 1 stall cycles, split over its latency components.
// Left out: branch prediction, the front end beyond fetch latency, ports and
// functional units, memory dependences between loads and stores.
#include <array>
#include <cstdint>
#include <vector>

#include "sim/config/param.h"

namespace pkusim::sim {

/// CPI-stack categories.
enum class Stall : uint8_t {
  kBase,
  kMemory,
  kPageWalk,
  kWrpkru,
  kSyscall,
  kTlbFlush,
  kShootdown,
  kPageFault,
  kFaultDelivery,
  kIdle,      // waiting for an interrupt with nothing to run
  kMmapLock,  // waiting for another thread's hold of mmap_lock
};
inline constexpr unsigned kNumStalls = 11;
static_assert(kNumStalls <= 16, "Latency::used has a bit per stall kind");
const char* stall_name(Stall s);

/// The core's parameters; filled from the config by core_param_table().
struct CoreParams {
  unsigned dispatch_width;
  unsigned retire_width;
  unsigned rob_entries;
  unsigned lq_entries;
  unsigned sq_entries;
  unsigned mshrs;
  uint64_t compute_latency_cycles;
  uint64_t wrpkru_latency_cycles;
  bool wrpkru_blocks_younger_memory;
  bool wrpkru_drains_rob;
  uint64_t rdpkru_latency_cycles;
};
/// The core.* parameters, bound to CoreParams.
const ParamTable<CoreParams>& core_param_table();

/// The latency of one instruction, by component.
/// `used` marks the components added to (the others are zero), so that
/// clearing and summing touch only those: one or two for most instructions.
struct Latency {
  std::array<uint64_t, kNumStalls> parts{};
  uint16_t used = 0;  // bit s: parts[s] was added to
  void add(Stall s, uint64_t cycles) {
    parts[unsigned(s)] += cycles;
    used = uint16_t(used | 1u << unsigned(s));
  }
  void clear() {
    for (unsigned m = used; m; m &= m - 1) parts[unsigned(__builtin_ctz(m))] = 0;
    used = 0;
  }
  uint64_t total() const {
    uint64_t t = 0;
    for (unsigned m = used; m; m &= m - 1) t += parts[unsigned(__builtin_ctz(m))];
    return t;
  }
};

class CoreTimer {
 public:
  enum class Kind : uint8_t { kCompute, kLoad, kStore, kWrpkru, kSerializing };

  explicit CoreTimer(const CoreParams& p);

  /// Starts the next instruction (or, with counts = false, another micro-op
  /// of the previous one): its dispatch cycle.
  uint64_t dispatch(Kind kind, bool counts = true);
  /// Earliest cycle a memory operation dispatched at `d` may issue.
  uint64_t memory_issue(uint64_t d) const { return d > memory_fence_ ? d : memory_fence_; }
  /// Earliest issue of a WRPKRU dispatched at `d`. "WRPKRU will never
  /// execute speculatively" (Intel SDM Vol. 2B, WRPKRU): it executes only
  /// once every older instruction has completed (retired: the core's time),
  /// and, PKRU not being renamed, after the previous WRPKRU.
  uint64_t wrpkru_issue(uint64_t d) const {
    uint64_t t = d > wrpkru_done_ ? d : wrpkru_done_;
    return t > last_retire_ ? t : last_retire_;
  }
  /// A free MSHR at or after `t`; the miss then holds it until `until`.
  uint64_t acquire_mshr(uint64_t t, uint64_t duration);
  /// Completes the instruction dispatched last: it completes at `complete`;
  /// `lat` says what its latency was made of (for the CPI stack).
  void finish(uint64_t complete, const Latency& lat);
  /// `n` compute instructions of `latency` cycles each: per instruction until
  /// the pipeline is in steady state, then in closed form (so `compute 10^11`
  /// takes no time to simulate).
  void compute_batch(uint64_t n, uint64_t latency);
  /// Adds `delta` retirement-timeline cycles to the CPI stack.
  void attribute(uint64_t delta, const Latency& lat);
  /// A store's queue entry stays busy until its data is written (after retirement).
  void set_store_drain(uint64_t cycles) {
    store_drain_ = cycles > store_drain_ ? cycles : store_drain_;
  }
  /// No younger instruction dispatches before `t` (after a fault: pipeline flush).
  void set_barrier(uint64_t t) { barrier_ = t > barrier_ ? t : barrier_; }
  /// An interrupt taken at `at` or later: drains the pipeline, runs for
  /// lat.total() cycles, and holds back younger instructions. Not an instruction.
  void interrupt(uint64_t at, const Latency& lat);
  /// The core waits `cycles` with nothing to run (its thread sleeps): idle
  /// time, and no younger instruction dispatches before it ends.
  void idle_for(uint64_t cycles) {
    last_retire_ += cycles;
    stack_[unsigned(Stall::kIdle)] += cycles;
    barrier_ = last_retire_ > barrier_ ? last_retire_ : barrier_;
    retired_in_cycle_ = p_.retire_width;
  }

  /// The cycle the last instruction retired: the core's time.
  uint64_t now() const { return last_retire_; }
  /// The cycle the next instruction would dispatch at the earliest.
  uint64_t next_dispatch() const;
  uint64_t instructions() const { return instructions_; }
  const std::array<uint64_t, kNumStalls>& cpi_stack() const { return stack_; }
  uint64_t mshr_wait_cycles() const { return mshr_wait_; }

 private:
  CoreParams p_;
  uint64_t instructions_ = 0;
  unsigned rob_pos_ = 0, lq_pos_ = 0, sq_pos_ = 0;  // ring positions (no division)
  bool counts_ = true;
  uint64_t dispatch_cycle_ = 0;
  unsigned dispatched_in_cycle_ = 0;
  uint64_t barrier_ = 0;       // no dispatch before this (serializing events)
  uint64_t memory_fence_ = 0;  // no memory issue before this (WRPKRU)
  uint64_t wrpkru_done_ = 0;   // completion of the last WRPKRU
  uint64_t last_retire_ = 0;
  unsigned retired_in_cycle_ = 0;
  std::vector<uint64_t> rob_;  // retire cycle, ring by instruction number
  std::vector<uint64_t> lq_, sq_;
  std::vector<uint64_t> mshr_free_;
  uint64_t mshr_wait_ = 0;
  uint64_t store_drain_ = 0;
  Kind kind_ = Kind::kCompute;
  uint64_t dispatched_ = 0;
  std::array<uint64_t, kNumStalls> stack_{};
};

}  // namespace pkusim::sim
