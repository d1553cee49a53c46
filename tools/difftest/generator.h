#pragma once
// A deterministic random stream of pkusim records for differential testing.
// One std::mt19937_64 seeded with the seed; the same seed always gives the
// same stream (the generator looks at the reference model's state to pick
// mostly meaningful operands -- mapped pages, allocated keys -- and the
// reference is deterministic too).
//
// Mix (weights in generator.cc): accesses dominate (~60%: load/store/rmw,
// sizes 1-64, ~15% straddling a page boundary, some with an `@ip` fetch);
// mmap (with and without populate, every prot, 1-40 pages), munmap,
// mprotect (ranges over holes and ranges > 33 pages), pkey_mprotect (valid,
// freed, exec-only, out-of-range and -1 keys), pkey_alloc (none/ad/wd),
// pkey_free (valid, already free, 0, 15, 16+, exec-only, negative), wrpkru
// (random and structured values), rdpkru, thread switches (up to 4-8
// threads) and compute; plus edge cases: zero lengths, unaligned addresses,
// addresses below mmap_min_addr and at the top of the user address space,
// lengths that overflow.
#include <cstdint>
#include <random>
#include <set>

#include "isa/instr.h"
#include "reference_model.h"

namespace pkusim::difftest {

struct GeneratorConfig {
  uint64_t window_base = 0x7f0000000000;  // main window of the address space
  unsigned window_pages = 0;              // 0: chosen from the seed (24, 64 or 256 pages)
  unsigned max_threads = 0;               // 0: chosen from the seed (4 to 8)
};

class Generator {
 public:
  explicit Generator(uint64_t seed, GeneratorConfig cfg = {});

  /// The next record, given the reference model's state before it.
  isa::Instr next(const ReferenceModel& ref);

  unsigned max_threads() const { return max_threads_; }
  unsigned window_pages() const { return cfg_.window_pages; }

 private:
  uint64_t uniform(uint64_t lo, uint64_t hi);  // inclusive
  bool chance(double p);
  uint8_t random_prot();
  unsigned random_pages();
  uint64_t window_page_addr();
  uint64_t top_region_addr();
  uint64_t mapped_page_addr(const ReferenceModel& ref);
  int64_t random_key(const ReferenceModel& ref);
  int pick_allocated_user_key(const ReferenceModel& ref, bool allow_zero);
  /// Mapped pages in a row from `addr` on.
  uint64_t mapped_run(const ReferenceModel& ref, uint64_t addr) const;
  int pick_free_key(const ReferenceModel& ref);
  uint64_t access_addr(const ReferenceModel& ref, unsigned size, bool write);
  unsigned access_size();
  uint64_t fetch_ip(const ReferenceModel& ref);

  isa::Instr gen_access(const ReferenceModel& ref);
  isa::Instr gen_mmap();
  isa::Instr gen_munmap(const ReferenceModel& ref);
  isa::Instr gen_mprotect(const ReferenceModel& ref, bool with_key);
  isa::Instr gen_pkey_alloc();
  isa::Instr gen_pkey_free(const ReferenceModel& ref);
  isa::Instr gen_wrpkru(const ReferenceModel& ref);
  isa::Instr gen_thread(const ReferenceModel& ref);
  /// Range start and length for munmap/mprotect, with edge cases.
  void gen_range(const ReferenceModel& ref, uint64_t& addr, uint64_t& len, bool allow_unaligned);

  GeneratorConfig cfg_;
  std::mt19937_64 rng_;
  unsigned max_threads_;
  std::set<uint64_t> exited_;    // threads that exited: never switched to again
  bool pending_switch_ = false;  // after an exit, the next record is a switch
};

}  // namespace pkusim::difftest
