#include "sim/core/core_timer.h"

#include <algorithm>

namespace pkusim::sim {

namespace {
/// floor(a * b / c) without overflow for c < 2^32 (latencies), in integers.
uint64_t share_of(uint64_t a, uint64_t b, uint64_t c) {
  const uint64_t q = b / c, r = b % c;
  // a * b / c = a * q + a * r / c; a * r may overflow, so split a too.
  const uint64_t aq = a / c, ar = a % c;
  return a * q + aq * r + (ar * r) / c;
}
}  // namespace

const char* stall_name(Stall s) {
  switch (s) {
    case Stall::kBase:
      return "base";
    case Stall::kMemory:
      return "memory";
    case Stall::kPageWalk:
      return "page_walk";
    case Stall::kWrpkru:
      return "wrpkru";
    case Stall::kSyscall:
      return "syscall";
    case Stall::kTlbFlush:
      return "tlb_flush";
    case Stall::kShootdown:
      return "shootdown";
    case Stall::kPageFault:
      return "page_fault";
    case Stall::kFaultDelivery:
      return "fault_delivery";
    case Stall::kIdle:
      return "idle";
  }
  return "?";
}

CoreTimer::CoreTimer(const CoreParams& p)
    : p_(p),
      rob_(p.rob_entries, 0),
      lq_(p.lq_entries, 0),
      sq_(p.sq_entries, 0),
      mshr_free_(p.mshrs, 0) {}

uint64_t CoreTimer::next_dispatch() const {
  uint64_t d = dispatched_in_cycle_ >= p_.dispatch_width ? dispatch_cycle_ + 1 : dispatch_cycle_;
  return std::max(d, barrier_);
}

uint64_t CoreTimer::dispatch(Kind kind, bool counts) {
  kind_ = kind;
  counts_ = counts;
  uint64_t d = next_dispatch();
  // A free ROB entry: the instruction rob_entries older must have retired.
  d = std::max(d, rob_[rob_pos_]);
  if (kind == Kind::kLoad) d = std::max(d, lq_[lq_pos_]);
  if (kind == Kind::kStore) d = std::max(d, sq_[sq_pos_]);
  if (kind == Kind::kSerializing) d = std::max(d, last_retire_);
  if (d != dispatch_cycle_) {
    dispatch_cycle_ = d;
    dispatched_in_cycle_ = 0;
  }
  ++dispatched_in_cycle_;
  dispatched_ = d;
  return d;
}

uint64_t CoreTimer::acquire_mshr(uint64_t t, uint64_t duration) {
  auto it = std::min_element(mshr_free_.begin(), mshr_free_.end());
  const uint64_t start = std::max(t, *it);
  mshr_wait_ += start - t;
  *it = start + duration;
  return start;
}

void CoreTimer::finish(uint64_t complete, const Latency& lat) {
  complete = std::max(complete, dispatched_);
  // In-order retirement, retire_width per cycle.
  uint64_t r = std::max(complete, last_retire_);
  if (r == last_retire_ && retired_in_cycle_ >= p_.retire_width) ++r;
  const uint64_t delta = r - last_retire_;
  if (r != last_retire_) retired_in_cycle_ = 0;
  ++retired_in_cycle_;
  attribute(delta, lat);
  last_retire_ = r;
  const auto advance = [](unsigned& pos, unsigned size) { pos = pos + 1 == size ? 0 : pos + 1; };
  rob_[rob_pos_] = r;
  advance(rob_pos_, p_.rob_entries);
  if (kind_ == Kind::kLoad) {
    lq_[lq_pos_] = r;
    advance(lq_pos_, p_.lq_entries);
  }
  if (kind_ == Kind::kStore) {
    sq_[sq_pos_] = r + store_drain_;
    advance(sq_pos_, p_.sq_entries);
  }
  store_drain_ = 0;
  if (kind_ == Kind::kSerializing) barrier_ = std::max(barrier_, complete);
  if (kind_ == Kind::kWrpkru) {
    wrpkru_done_ = std::max(wrpkru_done_, complete);
    if (p_.wrpkru_blocks_younger_memory) memory_fence_ = std::max(memory_fence_, complete);
  }
  if (counts_) ++instructions_;
}

void CoreTimer::attribute(uint64_t delta, const Latency& lat) {
  // The first cycle of a step is base; the rest is this instruction's stall,
  // split by its latency components (remainder to the largest).
  if (delta == 0) return;
  stack_[unsigned(Stall::kBase)] += 1;
  const uint64_t stall = delta - 1;
  const uint64_t total = lat.total() - lat.parts[unsigned(Stall::kBase)];
  if (stall == 0) return;
  if (total == 0) {
    stack_[unsigned(Stall::kBase)] += stall;
    return;
  }
  uint64_t given = 0;
  unsigned largest = 1;
  for (unsigned s = 1; s < kNumStalls; ++s) {
    const uint64_t share = share_of(stall, lat.parts[s], total);
    stack_[s] += share;
    given += share;
    if (lat.parts[s] > lat.parts[largest]) largest = s;
  }
  stack_[largest] += stall - given;
}

void CoreTimer::interrupt(uint64_t at, const Latency& lat) {
  const uint64_t start = std::max({at, next_dispatch(), last_retire_});
  // Waiting for an interrupt that arrives later is idle time.
  stack_[unsigned(Stall::kIdle)] += start - last_retire_;
  for (unsigned s = 0; s < kNumStalls; ++s) stack_[s] += lat.parts[s];
  last_retire_ = start + lat.total();
  retired_in_cycle_ = p_.retire_width;
  barrier_ = std::max(barrier_, last_retire_);
}

}  // namespace pkusim::sim
