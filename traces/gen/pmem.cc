// pmem: a persistent-memory region (or a large in-memory database file
// mapping) kept write-disabled, so that only the transaction code can write
// it (pku-spec use case "protect persistent memory from stray writes";
// Intel's PMDK and the NVM protection studies it cites). Long read phases
// (random 64-byte reads, each after `read_work` instructions) alternate with
// short transactions that write a random extent of extent_min to extent_max
// bytes (4 KiB granules): the transaction copies the old contents to an
// undo log in the thread's own memory, opens the extent (mprotect,
// pkey_mprotect) or the region for the thread (WRPKRU), writes the extent,
// closes it and writes the commit record.
#include <memory>

#include "traces/gen/generator.h"
#include "traces/gen/workload.h"

namespace pkusim::traces {

namespace {

constexpr uint64_t kGranule = 4096;
constexpr uint64_t kLog = 0x100000;  // per-thread offsets in thread_data()
constexpr uint64_t kSource = 0x600000;
constexpr uint64_t kLogBytes = 0x400000;
constexpr uint64_t kCommitInstructions = 60;  // log header, flush and fence sequence

class Pmem final : public Workload {
 public:
  explicit Pmem(const GenArgs& a)
      : Workload(a, unsigned(a.uint("threads")), page_bytes_of(a)),
        bursts_(a.uint("bursts")),
        reads_(a.uint("reads")),
        read_work_(a.uint("read_work")),
        min_(a.uint("extent_min") / kGranule),
        max_(a.uint("extent_max") / kGranule),
        region_((a.uint("region_bytes") + page_bytes() - 1) / page_bytes() * page_bytes()) {
    if (min_ == 0 || max_ < min_) throw GenError("pmem: expected 4K <= extent_min <= extent_max");
    if (max_ * kGranule > region_) throw GenError("pmem: extent_max is larger than the region");
  }

 private:
  void map() override { mmap(kRegion, region_, isa::kProtRead | isa::kProtWrite, huge_flags()); }
  void protect() override {
    alloc_keys(1, Closed::kReadOnly);
    close_range(kRegion, region_, 0, Closed::kReadOnly);
  }
  void rewind() override { done_ = 0; }
  bool step() override {
    if (done_ == bursts_) return false;
    const unsigned t = unsigned(done_ % threads());
    ++done_;
    thread(t);
    at(20);
    for (uint64_t r = 0; r < reads_; ++r) {
      compute(read_work_);
      load(kRegion + (rng().below(region_ / 64) * 64), 64);
    }
    const uint64_t granules = min_ + rng().below(max_ - min_ + 1);
    const uint64_t bytes = granules * kGranule;
    const uint64_t start = kRegion + rng().below(region_ / kGranule - granules + 1) * kGranule;
    const uint64_t log = thread_data(t) + kLog + (done_ * 0x10000) % kLogBytes;
    at(21);
    copy(log, start, bytes);  // undo log
    compute(kCommitInstructions);
    open(start, bytes, 0, Closed::kReadOnly);
    at(22);
    copy(start, thread_data(t) + kSource, bytes);
    close(start, bytes, 0, Closed::kReadOnly);
    at(23);
    store(log, 8);  // commit
    compute(kCommitInstructions);
    return true;
  }

  uint64_t bursts_, reads_, read_work_, min_, max_, region_;
  uint64_t done_ = 0;
};

}  // namespace

const Generator& pmem_generator() {
  static const Generator g = [] {
    std::vector<GenParam> p = common_params();
    p.push_back({"bursts",
                 GenParamType::kInt,
                 "200",
                 1,
                 1e12,
                 {},
                 "Read phases, each followed by one write transaction"});
    p.push_back({"reads",
                 GenParamType::kInt,
                 "500",
                 0,
                 1e12,
                 {},
                 "Random 64-byte reads per read phase: the burst rate"});
    p.push_back(
        {"read_work", GenParamType::kInt, "40", 0, 1e9, {}, "Instructions before each read"});
    p.push_back({"extent_min",
                 GenParamType::kBytes,
                 "4K",
                 4096,
                 1 << 30,
                 {},
                 "Smallest extent a transaction writes (rounded down to 4 KiB)"});
    p.push_back({"extent_max",
                 GenParamType::kBytes,
                 "64K",
                 4096,
                 1 << 30,
                 {},
                 "Largest extent a transaction writes (rounded down to 4 KiB)"});
    p.push_back({"region_bytes",
                 GenParamType::kBytes,
                 "4G",
                 65536,
                 double(uint64_t{1} << 40),
                 {},
                 "The persistent region, up to 128 GiB and beyond (only the pages used cost "
                 "host memory)"});
    p.push_back(threads_param(1));
    p.push_back(page_param());
    return Generator("pmem",
                     "a persistent-memory region kept write-disabled: long read phases, short "
                     "write transactions to random 4-64 KiB extents",
                     std::move(p), [](const GenArgs& a) -> std::unique_ptr<RecordSource> {
                       return std::make_unique<Pmem>(a);
                     });
  }();
  return g;
}

}  // namespace pkusim::traces
