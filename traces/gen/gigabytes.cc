// gigabytes: Alan Cox's case in the LWN discussion of protection keys
// (lwn.net/Articles/643797): a program that changes the protection of a
// whole region of many gigabytes at a time, such as a database that makes
// its buffer pool read-only around a checkpoint or a garbage collector that
// write-protects its heap. The region is populated (as a working database
// is), so an mprotect of it rewrites every PTE and the flush is a full one;
// WRPKRU changes it in one instruction. Each flip closes the region, reads
// `touch` random places in it, opens it and writes `touch` random places.
// Unlike the other use cases, host time and memory here grow with the
// region (its page tables are real); 64 GiB of 4 KiB pages takes about
// 2 seconds and 300 MB.
#include <memory>

#include "traces/gen/generator.h"
#include "traces/gen/workload.h"

namespace pkusim::traces {

namespace {

class Gigabytes final : public Workload {
 public:
  explicit Gigabytes(const GenArgs& a)
      : Workload(a, unsigned(a.uint("threads")), page_bytes_of(a)),
        flips_(a.uint("flips")),
        touch_(a.uint("touch")),
        work_(a.uint("work")),
        region_((a.uint("region_bytes") + page_bytes() - 1) / page_bytes() * page_bytes()) {}

 private:
  void map() override {
    mmap(kRegion, region_, isa::kProtRead | isa::kProtWrite,
         uint8_t(huge_flags() | isa::kMapPopulate));
  }
  void protect() override {
    alloc_keys(1, Closed::kReadOnly);
    close_range(kRegion, region_, 0, Closed::kReadOnly);
  }
  void rewind() override { done_ = 0; }
  bool step() override {
    if (done_ == flips_) return false;
    const unsigned t = unsigned(done_ % threads());
    ++done_;
    thread(t);
    at(40);
    for (uint64_t i = 0; i < touch_; ++i) {
      compute(work_);
      load(kRegion + rng().below(region_ / 8) * 8, 8);
    }
    open(kRegion, region_, 0, Closed::kReadOnly);
    at(41);
    for (uint64_t i = 0; i < touch_; ++i) {
      compute(work_);
      store(kRegion + rng().below(region_ / 8) * 8, 8);
    }
    close(kRegion, region_, 0, Closed::kReadOnly);
    return true;
  }

  uint64_t flips_, touch_, work_, region_;
  uint64_t done_ = 0;
};

}  // namespace

const Generator& gigabytes_generator() {
  static const Generator g = [] {
    std::vector<GenParam> p = common_params();
    p.push_back({"region_bytes",
                 GenParamType::kBytes,
                 "1G",
                 4096,
                 double(uint64_t{1} << 40),
                 {},
                 "The region whose protection changes, populated"});
    p.push_back({"flips",
                 GenParamType::kInt,
                 "8",
                 1,
                 1e9,
                 {},
                 "Write windows: the region is opened and closed once each"});
    p.push_back({"touch",
                 GenParamType::kInt,
                 "256",
                 0,
                 1e9,
                 {},
                 "Random 8-byte reads while closed and writes while open, per window"});
    p.push_back({"work", GenParamType::kInt, "20", 0, 1e9, {}, "Instructions before each access"});
    p.push_back(threads_param(1));
    p.push_back(page_param());
    return Generator("gigabytes",
                     "the protection of a whole populated region of up to many GiB changed at "
                     "once (Alan Cox's case)",
                     std::move(p), [](const GenArgs& a) -> std::unique_ptr<RecordSource> {
                       return std::make_unique<Gigabytes>(a);
                     });
  }();
  return g;
}

}  // namespace pkusim::traces
