#include "sim/mem/memory_system.h"

#include <algorithm>
#include <cmath>

namespace pkusim::sim {

MemorySystem::MemorySystem(const MemoryParams& p, unsigned cores) : p_(p) {
  for (unsigned c = 0; c < cores; ++c) {
    l1i_.push_back(std::make_unique<Cache>(p.l1i));
    l1d_.push_back(std::make_unique<Cache>(p.l1d));
    l2_.push_back(std::make_unique<Cache>(p.l2));
  }
  llc_ = std::make_unique<Cache>(p.llc);
  window_capacity_milli_ = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::llround(1000.0 * p.dram_bytes_per_cycle *
                                            double(1u << kWindowShift) / p.llc.line_bytes)));
  windows_.resize(kWindows);
}

uint64_t MemorySystem::dram_transfer(uint64_t now) {
  // The first window at or after `now` with room for one more line.
  uint64_t w = now >> kWindowShift;
  for (unsigned tries = 0; tries < kWindows; ++tries, ++w) {
    Window& slot = windows_[w & (kWindows - 1)];
    if (slot.number != w) slot = Window{w, 0};
    if (slot.used_milli + 1000 <= window_capacity_milli_ || slot.used_milli == 0) {
      slot.used_milli += 1000;
      const uint64_t start = std::max(now, w << kWindowShift);
      dram_.queue_cycles += start - now;
      return start - now;
    }
  }
  return 0;
}

void MemorySystem::writeback(Cache* below, uint64_t line, uint64_t now) {
  if (!below) {
    ++dram_.writebacks;
    dram_transfer(now);
    return;
  }
  const CacheResult r = below->access(line, /*write=*/true);
  if (r.evicted_dirty) {
    Cache* next = below == llc_.get() ? nullptr : llc_.get();
    writeback(next, r.evicted_line, now);
  }
}

MemAccess MemorySystem::access(unsigned core, uint64_t pa, bool write, bool instr, uint64_t now,
                               MemLevel entry) {
  const uint64_t line = pa / p_.l1d.line_bytes;
  Cache* l1 = instr ? l1i_[core].get() : l1d_[core].get();
  Cache* l2 = l2_[core].get();
  MemAccess out;
  if (entry == MemLevel::kL1) {
    const CacheResult r = l1->access(line, write);
    if (r.evicted_dirty) writeback(l2, r.evicted_line, now);
    if (r.hit) {
      out.latency = l1->config().latency_cycles;
      return out;
    }
  }
  // A fill from below is clean there; only the entry level holds the write.
  const CacheResult r2 = l2->access(line, write && entry == MemLevel::kL2);
  if (r2.evicted_dirty) writeback(llc_.get(), r2.evicted_line, now);
  if (r2.hit) {
    out.latency = l2->config().latency_cycles;
    out.level = MemLevel::kL2;
    return out;
  }
  const CacheResult r3 = llc_->access(line, false);
  if (r3.evicted_dirty) writeback(nullptr, r3.evicted_line, now);
  if (r3.hit) {
    out.latency = llc_->config().latency_cycles;
    out.level = MemLevel::kLlc;
    return out;
  }
  ++dram_.reads;
  const uint64_t queue = dram_transfer(now + llc_->config().latency_cycles);
  out.latency = llc_->config().latency_cycles + queue + p_.dram_latency_cycles;
  out.level = MemLevel::kDram;
  return out;
}

}  // namespace pkusim::sim
