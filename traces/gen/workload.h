#pragma once
// What the use-case generators share (crypto-key, kv-store, pmem, watchpoint,
// gigabytes): a program of several threads written as batches of records,
// the protection variants, and the rules that make variants comparable.
//
// A use-case trace has three parts:
//  1. setup, outside the region of interest: the mappings (code, per-thread
//     buffers, the protected region), a pass that touches every page the
//     measured part will touch (so demand paging is not measured, and a
//     region of 64 GiB costs what its touched pages cost, not its size),
//     the protection's own setup (pkey_alloc, keying or closing the region),
//     a read of every touched page again (so that caches and TLBs start the
//     measured part alike in all variants, whatever the protection's setup
//     wrote) and the threads' creation (each inherits thread 0's PKRU);
//  2. the measured part, between `roi begin` and `roi end`: the workload's
//     operations, each thread's in turn, with the region opened and closed
//     around the accesses that need it;
//  3. nothing after `roi end`.
// The variants (Variant) protect the same region the same way in all
// workloads: `none` not at all (the baseline); `mprotect` by changing the
// pages' protection; `pkey_mprotect` by moving the pages between their
// protection key and key 0 (a key change per switch, a system call like
// mprotect); `wrpkru` by keying the pages once and switching the thread's
// PKRU. Every variant makes exactly the same data accesses, from the same
// instruction addresses: the protection's records (system calls, WRPKRU,
// trapped accesses and their handler) come from code of its own, at
// kProtectionCode, so a test can strip them and find the variants equal.
//
// A workload writes one operation per step() into the batch through the
// helpers below; during the touch pass the helpers turn accesses into a
// store to each new page and drop everything else.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "isa/instr.h"
#include "traces/gen/generator.h"
#include "traces/record_source.h"

namespace pkusim::traces {

__extension__ using Uint128 = unsigned __int128;  // GCC and Clang

enum class Variant : uint8_t { kNone, kMprotect, kPkeyMprotect, kWrpkru };
inline constexpr std::string_view kVariantNames[] = {"none", "mprotect", "pkey_mprotect", "wrpkru"};
Variant variant_from(std::string_view name);

/// Addresses every use-case trace shares.
inline constexpr uint64_t kAppCode = 0x400000;         // the program's code (rx)
inline constexpr uint64_t kProtectionCode = 0x600000;  // the protection's code (rx)
inline constexpr uint64_t kCodeBytes = 0x10000;
/// The program's buggy code: stray writes (kv-store stray_writes) come from
/// here, so a test can tell them from the program's own accesses.
inline constexpr uint64_t kStrayCode = kAppCode + 0xFF00;
inline constexpr uint64_t kThreadData = 0x10000000;  // per-thread buffers, kThreadStride apart
inline constexpr uint64_t kThreadStride = 0x1000000;
inline constexpr uint64_t kRegion = 0x100000000000;  // the protected region (1 GiB aligned)

/// SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): small, fast, seedable.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : state_(seed) {}
  uint64_t next();
  /// Uniform in [0, n), n >= 1 (Lemire's multiply-shift; bias below 2^-64 * n).
  uint64_t below(uint64_t n) { return uint64_t(Uint128{next()} * n >> 64); }
  /// Uniform in [0, 1).
  double unit() { return double(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

/// Zipf-distributed ranks 1..n with exponent s > 0, in O(1) expected time and
/// memory per sample: rejection-inversion (W. Hörmann and G. Derflinger,
/// "Rejection-inversion to generate variates from monotone discrete
/// distributions", ACM TOMACS 6(3), 1996).
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double s);
  uint64_t sample(Rng& rng) const;

 private:
  double h(double x) const;
  double hi(double x) const;      // the integral of h
  double hi_inv(double x) const;  // its inverse
  uint64_t n_;
  double s_, hi_x1_, hi_n_, accept_;
};

/// Parameters every use case has, in declaration order: variant, seed, expect.
std::vector<GenParam> common_params();
/// `threads` and `page`, for the use cases that have them.
GenParam threads_param(unsigned default_threads);
GenParam page_param();
/// The `page` parameter in bytes.
uint64_t page_bytes_of(const GenArgs& a);

class Workload : public RecordSource {
 public:
  bool next(isa::Instr& out) final { return copy_pulled(out); }
  uint64_t bytes_read() const final { return 0; }
  SourceTraits traits() const final;
  /// The number of the record last returned (1 for the first).
  uint64_t location() const final { return records_ + uint64_t(batch_pos_ - batch_begin_); }

 protected:
  /// How the protected region is closed: no access at all, or read-only.
  enum class Closed : uint8_t { kNoAccess, kReadOnly };

  Workload(const GenArgs& a, unsigned threads, uint64_t page_bytes);

  // What a workload provides.
  /// Setup mappings other than the code and per-thread buffers (thread 0).
  virtual void map() = 0;
  /// Data the program writes before it is protected (thread 0, outside the
  /// ROI; after the touch pass).
  virtual void initialize() {}
  /// The protection's setup: key or close each protected range.
  virtual void protect() = 0;
  /// Back to the first operation (called before each pass).
  virtual void rewind() = 0;
  /// One operation; false when there are no more.
  virtual bool step() = 0;

  // Records.
  void thread(unsigned t);
  void load(uint64_t addr, unsigned size) { access(isa::Op::kLoad, addr, size); }
  void store(uint64_t addr, unsigned size) { access(isa::Op::kStore, addr, size); }
  void compute(uint64_t n);
  /// Copies `bytes` from `from` to `to` in 32-byte loads and stores.
  void copy(uint64_t to, uint64_t from, uint64_t bytes);
  void mmap(uint64_t addr, uint64_t len, uint8_t prot, uint8_t flags);
  /// A system call of the program's own (entry and exit only).
  void syscall();

  // The protection of [addr, addr + len): ranges are widened to whole pages.
  /// Setup: allocates the protection keys (keys 1..n, in order).
  void alloc_keys(unsigned n, Closed closed);
  /// Setup: puts [addr, addr + len) under key `key_index` and closes it.
  void close_range(uint64_t addr, uint64_t len, unsigned key_index, Closed closed);
  /// Opens [addr, addr + len) (key key_index) for the current thread.
  void open(uint64_t addr, uint64_t len, unsigned key_index, Closed closed);
  void close(uint64_t addr, uint64_t len, unsigned key_index, Closed closed);
  /// An access that the protection traps (watchpoint tools): in the
  /// protected variants it faults (checked by an `expect` unless expect=off),
  /// the signal is delivered, and the handler (`handler_instructions` of
  /// work) opens the range, performs the access and closes it again before
  /// it returns (the delivery's cost includes rt_sigreturn). In `none` it is
  /// a plain access.
  void trapped_access(isa::Op op, uint64_t addr, unsigned size, uint64_t range, uint64_t range_len,
                      unsigned key_index, Closed closed, uint64_t handler_instructions);

  /// A stray write (a bug) into [range, range + range_len) while it is
  /// closed: the protected variants catch it (a fault, checked by an
  /// `expect` unless expect=off); `none` lets it through.
  void stray_store(uint64_t addr, unsigned key_index, Closed closed);

  /// Per-thread buffer `t` (kThreadStride bytes, mapped and populated).
  static uint64_t thread_data(unsigned t) { return kThreadData + t * kThreadStride; }
  uint64_t page_bytes() const { return page_; }
  uint8_t huge_flags() const;
  Variant variant() const { return variant_; }
  unsigned threads() const { return threads_; }
  Rng& rng() { return rng_; }
  bool touching() const { return phase_ == Phase::kTouch; }
  /// Code addresses: the application's (per call site) and the protection's.
  void at(uint64_t app_site) { site_ = kAppCode + (app_site % (kCodeBytes / 64)) * 64; }

 private:
  enum class Phase : uint8_t { kSetup, kTouch, kProtect, kWarm, kRun, kEnd, kDone };
  /// Hands out the next batch in place (pull()).
  const isa::Instr* next_block() final;
  bool refill();
  void emit(isa::Instr r, bool protection = false);
  void emit_at(isa::Instr r, uint64_t ip);
  void access(isa::Op op, uint64_t addr, unsigned size);
  void touch(uint64_t addr);
  void expect_fault();
  void change(uint64_t addr, uint64_t len, unsigned key_index, Closed closed, bool open_it);
  uint32_t pkru(unsigned key_index, Closed closed, bool open_it) const;
  uint32_t pkru_all_open() const;
  void prime_huge_pages();

  Variant variant_;
  uint64_t seed_;
  bool expect_;
  unsigned threads_;
  uint64_t page_;
  Rng rng_;
  Phase phase_ = Phase::kSetup;
  std::vector<isa::Instr> batch_;
  const isa::Instr* batch_begin_ = nullptr;  // where the batch handed out starts
  uint64_t records_ = 0;                     // records handed out before it
  unsigned current_ = 0;
  uint64_t site_ = kAppCode;
  uint64_t protection_ip_ = kProtectionCode;
  unsigned keys_ = 0;
  Closed closed_ = Closed::kNoAccess;     // the allocated keys' rights
  std::unordered_set<uint64_t> touched_;  // pages, during the touch pass
  std::vector<uint64_t> touch_order_;     // the same, in the order of first touch
  size_t warm_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> no_access_;  // ranges closed to all access
};

}  // namespace pkusim::traces
