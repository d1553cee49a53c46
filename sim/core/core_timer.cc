#include "sim/core/core_timer.h"

#include <algorithm>

namespace pkusim::sim {

namespace {
/// floor(a * b / c) without overflow (c > 0).
uint64_t share_of(uint64_t a, uint64_t b, uint64_t c) {
  // The 128-bit division is a library call: only when the product needs it.
  if (uint64_t ab; !__builtin_mul_overflow(a, b, &ab)) return ab / c;
  __extension__ using u128 = unsigned __int128;  // GCC/Clang; -Wpedantic-clean
  return static_cast<uint64_t>(u128{a} * b / c);
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
    case Stall::kMmapLock:
      return "mmap_lock";
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
  // Only the components added to: the others are zero, get no share and,
  // the comparison being strict, are never the largest.
  for (unsigned m = lat.used & ~1u; m; m &= m - 1) {
    const unsigned s = unsigned(__builtin_ctz(m));
    const uint64_t share = share_of(stall, lat.parts[s], total);
    stack_[s] += share;
    given += share;
    if (lat.parts[s] > lat.parts[largest]) largest = s;
  }
  stack_[largest] += stall - given;
}

void CoreTimer::compute_batch(uint64_t n, uint64_t latency) {
  Latency lat;
  lat.add(Stall::kBase, latency);
  // Enough single steps for the older work in the ROB to retire.
  const uint64_t warm =
      std::min<uint64_t>(n, 2ull * p_.rob_entries + 2ull * p_.dispatch_width + latency);
  for (uint64_t i = 0; i < warm; ++i) finish(dispatch(Kind::kCompute) + latency, lat);
  const unsigned w = std::min(p_.dispatch_width, p_.retire_width);
  const uint64_t cycles = (n - warm) / w;
  if (cycles == 0) {
    for (uint64_t i = warm; i < n; ++i) finish(dispatch(Kind::kCompute) + latency, lat);
    return;
  }
  // Steady state: w instructions dispatch and retire per cycle, a fixed lag
  // apart; advance both clocks by whole cycles.
  const uint64_t m = cycles * w;
  dispatch_cycle_ += cycles;
  last_retire_ += cycles;
  stack_[unsigned(Stall::kBase)] += cycles;
  instructions_ += m;
  // The ROB then holds the last rob_entries of them, retiring w per cycle.
  rob_pos_ = static_cast<unsigned>((rob_pos_ + m) % p_.rob_entries);
  for (unsigned k = 1; k <= p_.rob_entries && k <= m; ++k) {
    const unsigned slot = (rob_pos_ + p_.rob_entries - k) % p_.rob_entries;
    const uint64_t back = (k - 1) / w;
    rob_[slot] = last_retire_ > back ? last_retire_ - back : 0;
  }
  for (uint64_t i = warm + m; i < n; ++i) finish(dispatch(Kind::kCompute) + latency, lat);
}

void CoreTimer::interrupt(uint64_t at, const Latency& lat) {
  const uint64_t start = std::max({at, next_dispatch(), last_retire_});
  // Waiting for an interrupt that arrives later is idle time.
  stack_[unsigned(Stall::kIdle)] += start - last_retire_;
  for (unsigned m = lat.used; m; m &= m - 1) {
    const unsigned s = unsigned(__builtin_ctz(m));
    stack_[s] += lat.parts[s];
  }
  last_retire_ = start + lat.total();
  retired_in_cycle_ = p_.retire_width;
  barrier_ = std::max(barrier_, last_retire_);
}

}  // namespace pkusim::sim
