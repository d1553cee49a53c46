// kv-store: an in-memory key-value store whose data region is kept
// write-disabled and opened for each update, so that a stray write from
// elsewhere in the process (a buffer overflow, a use after free) cannot
// corrupt it (pku-spec use case "fence an in-memory database"; libmpk's
// Memcached experiment and ERIM's key-value store).
//
// The region holds fixed-size slots (an 8-byte header and the value, rounded
// up to a cache line). A GET parses the request (`work` instructions),
// reads the slot's header and value and copies the value to the thread's
// response buffer, with writes to the region disabled. A PUT parses the
// request, opens the slot's pages (mprotect, pkey_mprotect) or the region
// for this thread (WRPKRU), copies the value from the request buffer into
// the slot, bumps the header's version and closes again. The keys fill the
// region, or its first `items` slots (a large reserved arena). Keys are uniform
// or Zipf-distributed over the slots (YCSB's default constant 0.99), hot
// keys scattered over the region by a fixed permutation. With stray_writes,
// some operations also write a random slot (as hot as the keys) while the
// store is closed: the bug the protection is there to catch.
#include <fmt/format.h>

#include <memory>

#include "traces/gen/generator.h"
#include "traces/gen/workload.h"

namespace pkusim::traces {

namespace {

constexpr uint64_t kHeader = 8;
constexpr uint64_t kRequest = 0x100000;  // per-thread offsets in thread_data()
constexpr uint64_t kResponse = 0x200000;
constexpr uint64_t kScatter = 2654435761;  // a prime: rank -> slot is a bijection when n < it

class KvStore final : public Workload {
 public:
  explicit KvStore(const GenArgs& a)
      : Workload(a, unsigned(a.uint("threads")), page_bytes_of(a)),
        ops_(a.uint("operations")),
        value_(a.uint("value_bytes")),
        slot_((value_ + kHeader + 63) / 64 * 64),
        region_((a.uint("region_bytes") + page_bytes() - 1) / page_bytes() * page_bytes()),
        slots_(region_ / slot_),
        writes_(a.real("writes")),
        stray_(a.real("stray_writes")),
        work_(a.uint("work")) {
    if (slots_ == 0) throw GenError("kv-store: region_bytes is smaller than one slot");
    if (const uint64_t items = a.uint("items")) {
      if (items > slots_) {
        throw GenError(
            fmt::format("kv-store: items={} do not fit in region_bytes={} ({} slots "
                        "of {} bytes)",
                        items, region_, slots_, slot_));
      }
      slots_ = items;
    }
    if (a.choice("keys") == "zipf") zipf_ = std::make_unique<ZipfSampler>(slots_, a.real("zipf_s"));
  }

 private:
  uint64_t slot_addr(uint64_t key) const { return kRegion + key * slot_; }
  uint64_t pick() {
    if (!zipf_) return rng().below(slots_);
    const uint64_t rank = zipf_->sample(rng()) - 1;
    return uint64_t(Uint128{rank} * kScatter % slots_);
  }

  void map() override { mmap(kRegion, region_, isa::kProtRead | isa::kProtWrite, huge_flags()); }
  void protect() override {
    alloc_keys(1, Closed::kReadOnly);
    close_range(kRegion, region_, 0, Closed::kReadOnly);
  }
  void rewind() override { done_ = 0; }
  bool step() override {
    if (done_ == ops_) return false;
    const unsigned t = unsigned(done_ % threads());
    ++done_;
    const uint64_t key = pick();
    const bool put = rng().unit() < writes_;
    const bool stray = rng().unit() < stray_;
    const uint64_t stray_key = pick();
    thread(t);
    const uint64_t slot = slot_addr(key);
    const uint64_t buf = thread_data(t);
    at(put ? 11 : 10);
    compute(work_);
    load(slot, kHeader);
    if (stray) stray_store(slot_addr(stray_key) + kHeader, 0, Closed::kReadOnly);
    if (!put) {
      copy(buf + kResponse, slot + kHeader, value_);
      return true;
    }
    open(slot, slot_, 0, Closed::kReadOnly);
    at(12);
    copy(slot + kHeader, buf + kRequest, value_);
    store(slot, kHeader);
    close(slot, slot_, 0, Closed::kReadOnly);
    return true;
  }

  uint64_t ops_, value_, slot_, region_, slots_;
  double writes_, stray_;
  uint64_t work_;
  std::unique_ptr<ZipfSampler> zipf_;
  uint64_t done_ = 0;
};

}  // namespace

const Generator& kv_store_generator() {
  static const Generator g = [] {
    std::vector<GenParam> p = common_params();
    p.push_back({"operations", GenParamType::kInt, "20000", 1, 1e12, {}, "GETs and PUTs"});
    p.push_back({"writes",
                 GenParamType::kFloat,
                 "0.1",
                 0,
                 1,
                 {},
                 "Fraction of operations that are PUTs (each opens the region once)"});
    p.push_back({"stray_writes",
                 GenParamType::kFloat,
                 "0",
                 0,
                 1,
                 {},
                 "Fraction of operations with a stray write (a bug) into the store while it is "
                 "closed: caught by the protection, let through without it or by a stale TLB "
                 "entry"});
    p.push_back({"work",
                 GenParamType::kInt,
                 "500",
                 0,
                 1e9,
                 {},
                 "Instructions per operation outside the data (parsing, hashing): sets the "
                 "switch rate"});
    p.push_back({"value_bytes", GenParamType::kBytes, "128", 1, 65536, {}, "Value size"});
    p.push_back({"region_bytes",
                 GenParamType::kBytes,
                 "1G",
                 4096,
                 double(uint64_t{1} << 40),
                 {},
                 "The data region (only the pages used cost host memory)"});
    p.push_back({"items",
                 GenParamType::kInt,
                 "0",
                 0,
                 1e15,
                 {},
                 "Keys stored, in slots from the region's start (0: as many as it holds)"});
    p.push_back({"keys",
                 GenParamType::kChoice,
                 "zipf",
                 0,
                 0,
                 {"uniform", "zipf"},
                 "Key distribution over the slots"});
    p.push_back(
        {"zipf_s", GenParamType::kFloat, "0.99", 0.01, 10, {}, "Zipf exponent (YCSB: 0.99)"});
    p.push_back(threads_param(1));
    p.push_back(page_param());
    return Generator("kv-store",
                     "an in-memory key-value store, its data write-disabled except during "
                     "each update",
                     std::move(p), [](const GenArgs& a) -> std::unique_ptr<RecordSource> {
                       return std::make_unique<KvStore>(a);
                     });
  }();
  return g;
}

}  // namespace pkusim::traces
