#include "traces/gen/workload.h"

#include <cmath>
#include <stdexcept>

#include "isa/pkru.h"

namespace pkusim::traces {

namespace {
constexpr uint64_t kPage4K = 4096;
constexpr unsigned kSiteBytes = 256;  // a call site's code: four 64-byte lines
constexpr uint8_t kRw = isa::kProtRead | isa::kProtWrite;
constexpr uint8_t kRx = isa::kProtRead | isa::kProtExec;
}  // namespace

Variant variant_from(std::string_view name) {
  for (unsigned i = 0; i < std::size(kVariantNames); ++i) {
    if (kVariantNames[i] == name) return Variant(i);
  }
  throw std::logic_error("unknown variant");
}

uint64_t Rng::next() {
  state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Rejection-inversion: h(x) = x^-s bounds the probabilities from above; a
// uniform draw under the integral of h is inverted to x and rounded to the
// rank k, which is accepted when it lies under the true mass of k.
ZipfSampler::ZipfSampler(uint64_t n, double s) : n_(n), s_(s) {
  if (n < 1 || !(s > 0)) throw std::invalid_argument("zipf: n >= 1 and s > 0");
  hi_x1_ = hi(1.5) - 1.0;
  hi_n_ = hi(double(n) + 0.5);
  accept_ = 2.0 - hi_inv(hi(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const { return std::exp(-s_ * std::log(x)); }

// (x^(1-s) - 1) / (1-s), computed stably near s = 1.
double ZipfSampler::hi(double x) const {
  const double lx = std::log(x);
  const double t = (1.0 - s_) * lx;
  const double f = std::abs(t) > 1e-8 ? std::expm1(t) / t : 1.0 + t / 2.0;
  return f * lx;
}

double ZipfSampler::hi_inv(double x) const {
  double t = x * (1.0 - s_);
  if (t < -1.0) t = -1.0;  // rounding at the lower end
  const double f = std::abs(t) > 1e-8 ? std::log1p(t) / t : 1.0 - t / 2.0;
  return std::exp(f * x);
}

uint64_t ZipfSampler::sample(Rng& rng) const {
  for (;;) {
    const double u = hi_n_ + rng.unit() * (hi_x1_ - hi_n_);
    const double x = hi_inv(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > double(n_)) k = double(n_);
    if (k - x <= accept_ || u >= hi(k + 0.5) - h(k)) return uint64_t(k);
  }
}

std::vector<GenParam> common_params() {
  return {
      {"variant",
       GenParamType::kChoice,
       "wrpkru",
       0,
       0,
       {"none", "mprotect", "pkey_mprotect", "wrpkru"},
       "How the data is protected: none (the baseline), mprotect (page protection changed per "
       "switch), pkey_mprotect (the pages' key changed per switch), wrpkru (pages keyed once, "
       "the thread's PKRU switched)"},
      {"seed", GenParamType::kInt, "1", 0, 1.8e19, {}, "SplitMix64 seed of every random choice"},
      {"expect",
       GenParamType::kChoice,
       "on",
       0,
       0,
       {"on", "off"},
       "on: the trace checks that its system calls succeed and its traps fault (a failed "
       "check fails the run); off: no checks (for unsafe flush policies)"},
  };
}

GenParam threads_param(unsigned default_threads) {
  return {"threads",
          GenParamType::kInt,
          std::to_string(default_threads),
          1,
          1024,
          {},
          "Threads, each on a core of its own; operations go to them in turn"};
}

GenParam page_param() {
  return {"page",
          GenParamType::kChoice,
          "4k",
          0,
          0,
          {"4k", "2m", "1g"},
          "Page size of the protected region (2m, 1g: hugetlb-backed, as MAP_HUGETLB)"};
}

uint64_t page_bytes_of(const GenArgs& a) {
  const std::string& p = a.choice("page");
  return p == "1g" ? uint64_t{1} << 30 : p == "2m" ? uint64_t{1} << 21 : kPage4K;
}

Workload::Workload(const GenArgs& a, unsigned threads, uint64_t page_bytes)
    : variant_(variant_from(a.choice("variant"))),
      seed_(a.uint("seed")),
      expect_(a.choice("expect") == "on"),
      threads_(threads),
      page_(page_bytes),
      rng_(seed_) {
  batch_.reserve(4096);
}

SourceTraits Workload::traits() const {
  SourceTraits t;
  t.has_threads = threads_ > 1;
  return t;
}

uint8_t Workload::huge_flags() const {
  return page_ == (uint64_t{1} << 21)   ? isa::kMapHuge2M
         : page_ == (uint64_t{1} << 30) ? isa::kMapHuge1G
                                        : 0;
}

const isa::Instr* Workload::next_block() {
  records_ += uint64_t(batch_end_ - batch_begin_);
  batch_begin_ = batch_pos_ = batch_end_ = nullptr;
  batch_.clear();
  while (batch_.empty()) {
    if (!refill()) return nullptr;
  }
  batch_begin_ = batch_pos_ = batch_.data();
  batch_end_ = batch_pos_ + batch_.size();
  return batch_pos_++;
}

bool Workload::refill() {
  switch (phase_) {
    case Phase::kSetup:
      mmap(kAppCode, kCodeBytes, kRx, isa::kMapPopulate);
      mmap(kProtectionCode, kCodeBytes, kRx, isa::kMapPopulate);
      mmap(kThreadData, uint64_t{threads_} * kThreadStride, kRw, isa::kMapPopulate);
      map();
      rewind();
      rng_ = Rng(seed_);
      phase_ = Phase::kTouch;
      return true;
    case Phase::kTouch:
      for (unsigned i = 0; i < 256; ++i) {
        if (!step()) {
          touched_ = {};
          current_ = 0;
          phase_ = Phase::kProtect;
          break;
        }
      }
      return true;
    case Phase::kProtect:
      initialize();
      protect();
      if (variant_ == Variant::kWrpkru && page_ > kPage4K) prime_huge_pages();
      phase_ = Phase::kWarm;
      return true;
    case Phase::kWarm: {
      // Every variant reads the touched pages once more after the protection
      // is in place (except where it disables all access), so that caches
      // and TLBs enter the region of interest in the same state whatever the
      // protection's setup wrote (mprotect rewrites the region's PTEs and
      // leaves their lines in the caches; the baseline does not).
      const size_t end = std::min(touch_order_.size(), warm_ + 4096);
      for (; warm_ < end; ++warm_) {
        const uint64_t page = touch_order_[warm_];
        bool closed = false;
        for (const auto& [lo, hi] : no_access_) closed = closed || (page >= lo && page < hi);
        if (!closed) batch_.push_back({.op = isa::Op::kLoad, .size = 8, .addr = page});
      }
      if (warm_ < touch_order_.size()) return true;
      touch_order_ = {};
      for (unsigned t = 1; t < threads_; ++t) {  // created after setup: closed PKRU
        thread(t);
        compute(1);
      }
      thread(0);
      rewind();
      rng_ = Rng(seed_);
      emit({.op = isa::Op::kRoi, .value = isa::kRoiBegin});
      phase_ = Phase::kRun;
      return true;
    }
    case Phase::kRun:
      for (unsigned i = 0; i < 16; ++i) {
        if (!step()) {
          phase_ = Phase::kEnd;
          break;
        }
      }
      return true;
    case Phase::kEnd:
      emit({.op = isa::Op::kRoi, .value = isa::kRoiEnd});
      phase_ = Phase::kDone;
      return true;
    case Phase::kDone:
      return false;
  }
  return false;
}

void Workload::prime_huge_pages() {
  // Keying a hugetlb mapping leaves its pages read-only until a write fault
  // (hugetlb_change_protection applies the private mapping's PAGE_COPY;
  // mm/hugetlb.c): the protection's setup takes those faults, open, so that
  // the measured part does not.
  emit({.op = isa::Op::kWrpkru, .value = pkru_all_open()}, true);
  uint64_t last = ~uint64_t{0};
  for (const uint64_t page : touch_order_) {
    const uint64_t huge = page & ~(page_ - 1);
    if (page < kRegion || huge == last) continue;
    last = huge;
    emit({.op = isa::Op::kStore, .size = 1, .addr = page}, true);
  }
  emit({.op = isa::Op::kWrpkru, .value = pkru(0, closed_, false)}, true);
}

uint32_t Workload::pkru_all_open() const {
  uint32_t v = pkru(0, closed_, false);
  for (unsigned k = 1; k <= keys_; ++k) {
    v &= ~((isa::kPkruAdBit | isa::kPkruWdBit) << isa::pkru_ad_bit(k));
  }
  return v;
}

void Workload::emit_at(isa::Instr r, uint64_t ip) {
  r.has_ip = true;
  r.ip = ip;
  batch_.push_back(r);
}

void Workload::emit(isa::Instr r, bool protection) {
  if (isa::is_instruction(r.op)) {
    uint64_t& ip = protection ? protection_ip_ : site_;
    const uint64_t base = protection ? kProtectionCode : ip & ~uint64_t{kSiteBytes - 1};
    r.has_ip = true;
    r.ip = ip;
    ip = base + (ip + 4 - base) % kSiteBytes;
  }
  batch_.push_back(r);
}

void Workload::thread(unsigned t) {
  if (touching() || t == current_) return;
  current_ = t;
  emit({.op = isa::Op::kThread, .value = t});
}

void Workload::touch(uint64_t addr) {
  const uint64_t page = addr & ~(kPage4K - 1);
  if (!touched_.insert(page).second) return;
  touch_order_.push_back(page);
  // One write fault per page of the region's page size is all it takes;
  // a 4 KiB granule is finer than needed for huge pages, but stores to an
  // already-mapped huge page cost the replay nothing.
  batch_.push_back({.op = isa::Op::kStore, .size = 1, .addr = page});
}

void Workload::access(isa::Op op, uint64_t addr, unsigned size) {
  if (touching()) {
    touch(addr);
    if ((addr & (kPage4K - 1)) + size > kPage4K) touch(addr + size - 1);
    return;
  }
  emit({.op = op, .size = uint8_t(size), .addr = addr});
}

void Workload::compute(uint64_t n) {
  if (touching() || n == 0) return;
  // Straight-line work: its fetch is not simulated (the block's one line
  // would hit), so a long block costs the replay one record.
  batch_.push_back({.op = isa::Op::kCompute, .value = n});
}

void Workload::copy(uint64_t to, uint64_t from, uint64_t bytes) {
  for (uint64_t off = 0; off < bytes; off += 32) {
    const unsigned n = unsigned(std::min<uint64_t>(32, bytes - off));
    load(from + off, n);
    store(to + off, n);
  }
}

void Workload::mmap(uint64_t addr, uint64_t len, uint8_t prot, uint8_t flags) {
  // Made by the loader, before the code is mapped: no fetch.
  batch_.push_back({.op = isa::Op::kMmap, .prot = prot, .flags = flags, .addr = addr, .len = len});
  if (expect_) emit({.op = isa::Op::kExpect, .expect = isa::ExpectKind::kOk});
}

void Workload::syscall() {
  if (touching()) return;
  emit({.op = isa::Op::kSyscall});
}

void Workload::alloc_keys(unsigned n, Closed closed) {
  if (variant_ != Variant::kPkeyMprotect && variant_ != Variant::kWrpkru) return;
  if (n < 1 || n > isa::kNumPkeys - 1) throw std::logic_error("alloc_keys: 1 to 15 keys");
  const uint32_t rights =
      closed == Closed::kNoAccess ? isa::kPkeyDisableAccess : isa::kPkeyDisableWrite;
  for (unsigned k = 1; k <= n; ++k) {
    emit({.op = isa::Op::kPkeyAlloc, .value = rights}, true);
    if (expect_) emit({.op = isa::Op::kExpect, .expect = isa::ExpectKind::kRet, .value = k});
  }
  keys_ = n;
  closed_ = closed;
}

uint32_t Workload::pkru(unsigned key_index, Closed closed, bool open_it) const {
  // Every thread's PKRU: Linux's initial value with each allocated key's
  // rights (pkey_alloc sets them, arch_set_user_pkey_access), and the key
  // being opened cleared.
  uint32_t v = isa::kLinuxDefaultPkru;
  const uint32_t rights = closed == Closed::kNoAccess ? isa::kPkruAdBit : isa::kPkruWdBit;
  const uint32_t both = isa::kPkruAdBit | isa::kPkruWdBit;
  for (unsigned k = 1; k <= keys_; ++k) {
    v = (v & ~(both << isa::pkru_ad_bit(k))) | (rights << isa::pkru_ad_bit(k));
  }
  if (open_it) v &= ~(both << isa::pkru_ad_bit(key_index + 1));
  return v;
}

void Workload::change(uint64_t addr, uint64_t len, unsigned key_index, Closed closed,
                      bool open_it) {
  if (touching()) return;
  const uint64_t lo = addr & ~(page_ - 1);
  const uint64_t hi = (addr + len + page_ - 1) & ~(page_ - 1);
  const uint8_t closed_prot = closed == Closed::kNoAccess ? 0 : isa::kProtRead;
  isa::Instr r;
  switch (variant_) {
    case Variant::kNone:
      return;
    case Variant::kMprotect:
      r = {.op = isa::Op::kMprotect,
           .prot = open_it ? kRw : closed_prot,
           .addr = lo,
           .len = hi - lo};
      break;
    case Variant::kPkeyMprotect:
      r = {.op = isa::Op::kPkeyMprotect,
           .prot = kRw,
           .key = open_it ? 0 : int64_t(key_index + 1),
           .addr = lo,
           .len = hi - lo};
      break;
    case Variant::kWrpkru:
      r = {.op = isa::Op::kWrpkru, .value = pkru(key_index, closed, open_it)};
      break;
  }
  emit(r, true);
  if (expect_ && r.op != isa::Op::kWrpkru) {
    emit({.op = isa::Op::kExpect, .expect = isa::ExpectKind::kOk});
  }
}

void Workload::close_range(uint64_t addr, uint64_t len, unsigned key_index, Closed closed) {
  if (closed == Closed::kNoAccess) no_access_.emplace_back(addr & ~(page_ - 1), addr + len);
  if (variant_ == Variant::kWrpkru) {
    // Keyed once; the PKRU that pkey_alloc left closes it.
    const uint64_t lo = addr & ~(page_ - 1);
    const uint64_t hi = (addr + len + page_ - 1) & ~(page_ - 1);
    emit({.op = isa::Op::kPkeyMprotect,
          .prot = kRw,
          .key = int64_t(key_index + 1),
          .addr = lo,
          .len = hi - lo},
         true);
    if (expect_) emit({.op = isa::Op::kExpect, .expect = isa::ExpectKind::kOk});
    return;
  }
  change(addr, len, key_index, closed, false);
}

void Workload::open(uint64_t addr, uint64_t len, unsigned key_index, Closed closed) {
  change(addr, len, key_index, closed, true);
}

void Workload::close(uint64_t addr, uint64_t len, unsigned key_index, Closed closed) {
  change(addr, len, key_index, closed, false);
}

void Workload::stray_store(uint64_t addr, unsigned key_index, Closed closed) {
  (void)closed;
  if (touching()) {
    access(isa::Op::kStore, addr, 8);
    return;
  }
  emit_at({.op = isa::Op::kStore, .size = 8, .addr = addr}, kStrayCode);
  if (!expect_ || variant_ == Variant::kNone) return;
  if (variant_ == Variant::kMprotect) {
    emit({.op = isa::Op::kExpect, .expect = isa::ExpectKind::kAccerr});
  } else {
    emit({.op = isa::Op::kExpect, .expect = isa::ExpectKind::kPkuerr, .value = key_index + 1});
  }
}

void Workload::trapped_access(isa::Op op, uint64_t addr, unsigned size, uint64_t range,
                              uint64_t range_len, unsigned key_index, Closed closed,
                              uint64_t handler_instructions) {
  if (touching() || variant_ == Variant::kNone) {
    access(op, addr, size);
    return;
  }
  const uint64_t ip = site_;
  emit({.op = op, .size = uint8_t(size), .addr = addr});  // faults; the signal is delivered
  if (expect_) {
    if (variant_ == Variant::kMprotect) {
      emit({.op = isa::Op::kExpect, .expect = isa::ExpectKind::kAccerr});
    } else {
      emit({.op = isa::Op::kExpect, .expect = isa::ExpectKind::kPkuerr, .value = key_index + 1});
    }
  }
  // The handler: decode and log (its own code), open, emulate the access
  // (fetching the trapped instruction to decode it: the program's address),
  // re-arm, return (rt_sigreturn is part of kernel.signal_delivery_cycles).
  emit({.op = isa::Op::kCompute, .value = handler_instructions}, true);
  open(range, range_len, key_index, closed);
  emit_at({.op = op, .size = uint8_t(size), .addr = addr}, ip);
  close(range, range_len, key_index, closed);
}

}  // namespace pkusim::traces
