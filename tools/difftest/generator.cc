// The random record stream: one generating function per record kind and
// its edge cases (README of tests/differential lists them). Over 450 lines
// because every kind's cases are spelt out, which is what makes the
// stream's coverage reviewable.
#include "generator.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace pkusim::difftest {
namespace {

using isa::Instr;
using isa::Op;

constexpr uint8_t kAllProts[] = {
    0,
    isa::kProtRead,
    isa::kProtWrite,
    isa::kProtRead | isa::kProtWrite,
    isa::kProtExec,
    isa::kProtRead | isa::kProtExec,
    isa::kProtWrite | isa::kProtExec,
    isa::kProtRead | isa::kProtWrite | isa::kProtExec,
};

// Pages just below TASK_SIZE (mappable) and the one page above it that is
// canonical but never mappable.
constexpr unsigned kTopPages = 16;
constexpr uint64_t kTopBase = kTaskSize - kTopPages * kPageSize;
constexpr uint64_t kCanonicalEnd = 0x800000000000;  // first non-canonical user address

/// Op kinds and their weights out of 1000.
struct Weighted {
  Op op;
  unsigned weight;
};
constexpr Weighted kMix[] = {
    {Op::kLoad, 233},    {Op::kStore, 200},   {Op::kRmw, 150},         {Op::kMmap, 70},
    {Op::kMunmap, 35},   {Op::kMprotect, 70}, {Op::kPkeyMprotect, 55}, {Op::kPkeyAlloc, 30},
    {Op::kPkeyFree, 30}, {Op::kWrpkru, 55},   {Op::kRdpkru, 20},       {Op::kThread, 25},
    {Op::kCompute, 10},  {Op::kSleep, 10},    {Op::kSyscall, 5},       {Op::kExit, 2},
};
constexpr unsigned total_weight() {
  unsigned t = 0;
  for (const Weighted& w : kMix) t += w.weight;
  return t;
}
static_assert(total_weight() == 1000);

}  // namespace

Generator::Generator(uint64_t seed, GeneratorConfig cfg) : cfg_(cfg), rng_(seed) {
  max_threads_ = cfg_.max_threads ? cfg_.max_threads : static_cast<unsigned>(uniform(4, 8));
  if (!cfg_.window_pages) {
    // Mostly the full window; sometimes a small one, where mappings collide
    // more and pages are re-protected while their translations are cached.
    constexpr unsigned kWindows[] = {24, 64, 256, 256};
    cfg_.window_pages = kWindows[uniform(0, std::size(kWindows) - 1)];
  }
}

uint64_t Generator::uniform(uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
}

bool Generator::chance(double p) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

uint8_t Generator::random_prot() {
  // Execute-only a little more often than the rest: it drives the exec-only key.
  if (chance(0.05)) return isa::kProtExec;
  return kAllProts[uniform(0, std::size(kAllProts) - 1)];
}

unsigned Generator::random_pages() {
  const uint64_t r = uniform(0, 99);
  if (r < 50) return static_cast<unsigned>(uniform(1, 4));
  if (r < 80) return static_cast<unsigned>(uniform(5, 16));
  return static_cast<unsigned>(uniform(17, 40));
}

uint64_t Generator::window_page_addr() {
  return cfg_.window_base + uniform(0, cfg_.window_pages - 1) * kPageSize;
}

uint64_t Generator::top_region_addr() { return kTopBase + uniform(0, kTopPages) * kPageSize; }

uint64_t Generator::mapped_page_addr(const ReferenceModel& ref) {
  const auto& pages = ref.pages();
  if (pages.empty()) return window_page_addr();
  // A random page of the window, then the next mapped page at or after it
  // (wrapping around): cheap and spreads over every mapped region.
  auto it = pages.lower_bound(window_page_addr() >> kPageShift);
  if (it == pages.end()) it = pages.begin();
  return it->first << kPageShift;
}

uint64_t Generator::mapped_run(const ReferenceModel& ref, uint64_t addr) const {
  uint64_t n = 0;
  for (uint64_t p = addr >> kPageShift; ref.page(p + n) != nullptr; ++n) {
  }
  return n;
}

int Generator::pick_allocated_user_key(const ReferenceModel& ref, bool allow_zero) {
  std::array<int, kKeys> keys{};
  unsigned n = 0;
  for (int k = allow_zero ? 0 : 1; k < kKeys; ++k) {
    if (ref.user_key_allocated(k)) keys[n++] = k;
  }
  if (n == 0) return -1;
  return keys[uniform(0, n - 1)];
}

int Generator::pick_free_key(const ReferenceModel& ref) {
  std::array<int, kKeys> keys{};
  unsigned n = 0;
  for (int k = 0; k < kKeys; ++k) {
    if (!((ref.allocation_map() >> k) & 1)) keys[n++] = k;
  }
  if (n == 0) return -1;
  return keys[uniform(0, n - 1)];
}

// A key argument for pkey_mprotect / pkey_free: mostly valid, often not.
int64_t Generator::random_key(const ReferenceModel& ref) {
  const uint64_t r = uniform(0, 99);
  if (r < 55) {
    const int k = pick_allocated_user_key(ref, true);
    if (k >= 0) return k;
  } else if (r < 67) {
    return 0;
  } else if (r < 75) {
    if (ref.exec_only_key() >= 0) return ref.exec_only_key();
    return 15;
  } else if (r < 85) {
    const int k = pick_free_key(ref);
    if (k >= 0) return k;
  } else if (r < 90) {
    return 15;
  } else if (r < 95) {
    constexpr int64_t kBad[] = {16, 17, 31, 99, 115, 1 << 20};
    return kBad[uniform(0, std::size(kBad) - 1)];
  } else {
    return chance(0.6) ? -1 : -2;
  }
  return static_cast<int64_t>(uniform(0, 15));
}

unsigned Generator::access_size() {
  const uint64_t r = uniform(0, 99);
  if (r < 70) {
    constexpr unsigned kSizes[] = {1, 2, 4, 8, 8, 16, 32, 64};
    return kSizes[uniform(0, std::size(kSizes) - 1)];
  }
  return static_cast<unsigned>(uniform(1, 64));
}

uint64_t Generator::access_addr(const ReferenceModel& ref, unsigned size, bool write) {
  uint64_t page = 0;
  const uint64_t r = uniform(0, 99);
  if (r < 35) {
    // Aim for a page this access may touch, so that many accesses succeed
    // (and fill the simulator's TLBs) before the next change of rights.
    const uint32_t pkru = ref.pkru();
    page = mapped_page_addr(ref);
    for (int tries = 0; tries < 8; ++tries) {
      const PageState* p = ref.page(page >> kPageShift);
      if (!p) break;
      const bool ad = (pkru >> (2 * p->key)) & 1, wd = (pkru >> (2 * p->key + 1)) & 1;
      const bool ok = write ? !ad && !wd && (p->prot & isa::kProtWrite) : !ad && p->prot != 0;
      if (ok) break;
      page = mapped_page_addr(ref);
    }
  } else if (r < 75)
    page = mapped_page_addr(ref);
  else if (r < 92)
    page = window_page_addr();
  else if (r < 95)
    page = top_region_addr();
  else if (r < 98)
    page = uniform(0, 0x20) * kPageSize;  // around mmap_min_addr
  else
    page = cfg_.window_base + (cfg_.window_pages + uniform(0, 8)) * kPageSize;

  uint64_t offset;
  if (size > 1 && chance(0.15)) {
    offset = kPageSize - uniform(1, size - 1);  // straddles into the next page
  } else if (chance(0.5)) {
    offset = uniform(0, kPageSize - size) & ~uint64_t{size >= 8 ? 7u : 0u};
  } else {
    offset = uniform(0, kPageSize - size);
  }
  uint64_t addr = page + offset;
  // Stay canonical: a non-canonical access is a #GP, outside this test.
  if (addr + size > kCanonicalEnd) addr = kCanonicalEnd - size;
  return addr;
}

uint64_t Generator::fetch_ip(const ReferenceModel& ref) {
  const uint64_t page = chance(0.7) ? mapped_page_addr(ref) : window_page_addr();
  return page + uniform(0, kPageSize - 1);
}

Instr Generator::gen_access(const ReferenceModel& ref) {
  Instr in;
  const uint64_t r = uniform(0, 599);
  in.op = r < 250 ? Op::kLoad : r < 450 ? Op::kStore : Op::kRmw;
  in.size = static_cast<uint8_t>(access_size());
  in.addr = access_addr(ref, in.size, in.op != Op::kLoad);
  return in;
}

Instr Generator::gen_mmap() {
  Instr in;
  in.op = Op::kMmap;
  in.prot = random_prot();
  in.flags = chance(0.3) ? isa::kMapPopulate : 0;
  in.addr = window_page_addr();
  in.len = uint64_t{random_pages()} * kPageSize;
  if (chance(0.08)) in.len = uniform(41, 128) * kPageSize;  // room for long mprotects
  if (chance(0.12)) {
    switch (uniform(0, 8)) {
      case 0:
        in.len = 0;
        break;  // EINVAL
      case 1:
        in.addr = uniform(0, 15) * kPageSize;
        break;  // EPERM (below mmap_min_addr)
      case 2:
        in.addr = kMinAddr;
        in.len = uniform(1, 4) * kPageSize;
        break;   // lowest legal
      case 3: {  // top of the address space
        const uint64_t n = uniform(1, kTopPages);
        in.addr = kTaskSize - n * kPageSize;
        in.len = n * kPageSize;
        break;
      }
      case 4: {  // ENOMEM: past TASK_SIZE
        const uint64_t n = uniform(1, kTopPages);
        in.addr = kTaskSize - n * kPageSize;
        in.len = (n + uniform(1, 4)) * kPageSize;
        break;
      }
      case 5:
        in.addr = kTaskSize;
        break;  // ENOMEM
      case 6:
        in.addr = kCanonicalEnd + uniform(0, 64) * kPageSize;
        break;  // ENOMEM
      case 7:
        in.len = uint64_t{1} << 47;
        break;  // ENOMEM: longer than TASK_SIZE
      default:
        in.len = 0 - kPageSize;
        break;  // ENOMEM: huge
    }
  }
  return in;
}

void Generator::gen_range(const ReferenceModel& ref, uint64_t& addr, uint64_t& len,
                          bool allow_unaligned) {
  const uint64_t r = uniform(0, 99);
  if (r < 40) {
    // Inside a mapped run: usually succeeds, often splits a mapping.
    addr = mapped_page_addr(ref);
    const uint64_t run = mapped_run(ref, addr);
    if (run > 1 && chance(0.5)) {
      const uint64_t skip = uniform(0, run - 1);
      addr += skip * kPageSize;
      len = uniform(1, run - skip) * kPageSize;
    } else {
      len = uniform(1, std::max<uint64_t>(run, 1)) * kPageSize;
    }
  } else {
    addr = r < 70 ? mapped_page_addr(ref) : window_page_addr();
    len = uint64_t{random_pages()} * kPageSize;
  }
  if (chance(0.1)) len -= uniform(1, kPageSize - 1);  // rounded up by the kernel
  if (!chance(0.1)) return;
  switch (uniform(0, 9)) {
    case 0:
      len = 0;
      break;
    case 1:
      if (allow_unaligned) addr += uniform(1, kPageSize - 1);
      break;
    case 2:
      addr = uniform(0, 0x20) * kPageSize;
      break;  // low addresses
    case 3:
      addr = top_region_addr();
      len = uniform(1, uint64_t{2} * kTopPages) * kPageSize;
      break;
    case 4:
      addr = kTaskSize;
      break;
    case 5:
      addr = kCanonicalEnd + uniform(0, 16) * kPageSize;
      break;
    case 6:
      len = 0 - kPageSize;
      break;  // end wraps below start
    case 7:
      len = ~uint64_t{0};
      break;  // PAGE_ALIGN wraps to 0
    case 8:
      len = uint64_t{1} << 40;
      break;  // far past the mappings
    default:
      addr = cfg_.window_base - uniform(1, 8) * kPageSize;
      break;  // starts in a hole
  }
}

Instr Generator::gen_munmap(const ReferenceModel& ref) {
  Instr in;
  in.op = Op::kMunmap;
  gen_range(ref, in.addr, in.len, true);
  return in;
}

Instr Generator::gen_mprotect(const ReferenceModel& ref, bool with_key) {
  Instr in;
  in.op = with_key ? Op::kPkeyMprotect : Op::kMprotect;
  in.prot = random_prot();
  if (!with_key && chance(0.15)) in.prot = isa::kProtExec;
  if (chance(0.2)) {
    // Long ranges: above the 33-page flush ceiling; over a long mapped run
    // when there is one, else usually over holes.
    in.addr = chance(0.7) ? mapped_page_addr(ref) : window_page_addr();
    const uint64_t run = mapped_run(ref, in.addr);
    in.len = (run >= 34 && chance(0.7) ? uniform(34, run) : uniform(34, 120)) * kPageSize;
  } else {
    gen_range(ref, in.addr, in.len, true);
  }
  in.key = with_key ? random_key(ref) : -1;
  return in;
}

Instr Generator::gen_pkey_alloc() {
  Instr in;
  in.op = Op::kPkeyAlloc;
  const uint64_t r = uniform(0, 9);
  in.value = r < 5 ? 0 : r < 8 ? isa::kPkeyDisableAccess : isa::kPkeyDisableWrite;
  return in;
}

Instr Generator::gen_pkey_free(const ReferenceModel& ref) {
  Instr in;
  in.op = Op::kPkeyFree;
  const uint64_t r = uniform(0, 99);
  if (r < 50) {
    const int k = pick_allocated_user_key(ref, false);
    in.key = k >= 0 ? k : static_cast<int64_t>(uniform(1, 15));
  } else if (r < 63) {
    const int k = pick_free_key(ref);  // already free
    in.key = k >= 0 ? k : 15;
  } else if (r < 66) {
    in.key = 0;
  } else if (r < 76) {
    in.key = 15;
  } else if (r < 84) {
    in.key = ref.exec_only_key() >= 0 ? ref.exec_only_key() : 1;
  } else if (r < 92) {
    in.key = static_cast<int64_t>(uniform(16, 40));
  } else {
    in.key = -static_cast<int64_t>(uniform(1, 3));
  }
  return in;
}

Instr Generator::gen_wrpkru(const ReferenceModel& ref) {
  Instr in;
  in.op = Op::kWrpkru;
  const uint64_t r = uniform(0, 99);
  if (r < 10) {
    in.value = static_cast<uint32_t>(rng_());
  } else if (r < 62) {
    // Open or close one key, preferably one that some page carries; opening
    // is the most common so that accesses often succeed.
    unsigned key;
    if (!ref.pages().empty() && chance(0.6)) {
      key = static_cast<unsigned>(ref.page(mapped_page_addr(ref) >> kPageShift)->key);
    } else {
      key = static_cast<unsigned>(uniform(0, kKeys - 1));
    }
    const uint64_t q = uniform(0, 9);
    const uint32_t rights = q < 6   ? 0
                            : q < 8 ? isa::kPkeyDisableAccess
                            : q < 9 ? isa::kPkeyDisableWrite
                                    : 3;
    in.value = (ref.pkru() & ~(3u << (2 * key))) | (rights << (2 * key));
  } else if (r < 78) {
    in.value = kDefaultPkru;
  } else if (r < 96) {
    in.value = 0;
  } else if (r < 98) {
    in.value = 0xffffffff;
  } else {
    in.value = 0x55555555;
  }
  return in;
}

Instr Generator::gen_thread(const ReferenceModel& ref) {
  Instr in;
  in.op = Op::kThread;
  // Never back to a thread that exited (a trace error); thread 0 never exits.
  do {
    in.value = uniform(0, max_threads_ - 1);
    if (in.value == ref.current_thread()) in.value = (in.value + 1) % max_threads_;
    if (chance(0.02)) in.value = 1023;  // the highest thread id a trace may use
  } while (exited_.count(in.value));
  return in;
}

Instr Generator::next(const ReferenceModel& ref) {
  if (pending_switch_) {
    pending_switch_ = false;
    return gen_thread(ref);
  }
  uint64_t r = uniform(0, total_weight() - 1);
  Op op = Op::kLoad;
  for (const Weighted& w : kMix) {
    if (r < w.weight) {
      op = w.op;
      break;
    }
    r -= w.weight;
  }
  Instr in;
  switch (op) {
    case Op::kLoad:
    case Op::kStore:
    case Op::kRmw:
      in = gen_access(ref);
      break;
    case Op::kMmap:
      in = gen_mmap();
      break;
    case Op::kMunmap:
      in = gen_munmap(ref);
      break;
    case Op::kMprotect:
      in = gen_mprotect(ref, false);
      break;
    case Op::kPkeyMprotect:
      in = gen_mprotect(ref, true);
      break;
    case Op::kPkeyAlloc:
      in = gen_pkey_alloc();
      break;
    case Op::kPkeyFree:
      in = gen_pkey_free(ref);
      break;
    case Op::kWrpkru:
      in = gen_wrpkru(ref);
      break;
    case Op::kRdpkru:
      in.op = Op::kRdpkru;
      break;
    case Op::kThread:
      return gen_thread(ref);
    case Op::kCompute:
      in.op = Op::kCompute;
      in.value = uniform(1, 100);
      break;
    case Op::kSleep:
      // The thread blocks; the next records of other threads may change the
      // page tables while it sleeps (its TLB must then be flushed on wake).
      in.op = Op::kSleep;
      in.value = uniform(1, 100000);
      break;
    case Op::kSyscall:
      in.op = Op::kSyscall;
      break;
    case Op::kExit:
      // The thread exits, then another runs (its later flushes skip this one).
      // At least two threads of 0..max stay alive, so gen_thread always finds one.
      if (ref.current_thread() == 0 || exited_.size() + 2 >= max_threads_) return gen_thread(ref);
      exited_.insert(ref.current_thread());
      in.op = Op::kExit;
      pending_switch_ = true;
      break;
    case Op::kExpect:
    case Op::kRoi:
      break;
  }
  // Some records carry their instruction address: the fetch is checked first.
  if (chance(isa::is_memory_op(in.op) ? 0.04 : 0.03)) {
    in.has_ip = true;
    in.ip = fetch_ip(ref);
  }
  return in;
}

}  // namespace pkusim::difftest
