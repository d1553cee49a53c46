// watchpoint: a debugging tool that watches objects and traps every access
// to them (pku-spec use case "watchpoints"; Electric Fence and DUMA do it
// with mprotect, and protection keys make the same trap cheaper to re-arm).
// The program reads and writes random objects of a heap; the tool has moved
// each watched object onto a page of its own and closed those pages. An
// access to a watched object faults; the signal is delivered; the handler
// logs the access (`handler_work` instructions), opens the page (mprotect,
// pkey_mprotect) or the key (WRPKRU), performs the access on the program's
// behalf, closes it again and returns (rt_sigreturn). One signal per trap: a
// tool that single-steps the access instead pays a second one.
#include <memory>

#include "traces/gen/generator.h"
#include "traces/gen/workload.h"

namespace pkusim::traces {

namespace {

constexpr uint64_t kObjectBytes = 64;
constexpr uint64_t kHeap = 0x200000000;  // the unwatched objects
constexpr uint64_t kHeapMax = uint64_t{1} << 34;

class Watchpoint final : public Workload {
 public:
  explicit Watchpoint(const GenArgs& a)
      : Workload(a, unsigned(a.uint("threads")), 4096),
        accesses_(a.uint("accesses")),
        objects_(a.uint("objects")),
        watched_(std::max<uint64_t>(1, uint64_t(double(objects_) * a.real("watched")))),
        trap_rate_(a.real("trap_rate")),
        stores_(a.real("stores")),
        work_(a.uint("work")),
        handler_(a.uint("handler_work")) {
    if (objects_ * kObjectBytes > kHeapMax) throw GenError("watchpoint: too many objects");
  }

 private:
  uint64_t heap_bytes() const { return (objects_ * kObjectBytes + 4095) / 4096 * 4096; }
  uint64_t watched_page(uint64_t i) const { return kRegion + i * page_bytes(); }

  void map() override {
    mmap(kHeap, heap_bytes(), isa::kProtRead | isa::kProtWrite, isa::kMapPopulate);
    mmap(kRegion, watched_ * page_bytes(), isa::kProtRead | isa::kProtWrite, isa::kMapPopulate);
  }
  void protect() override {
    alloc_keys(1, Closed::kNoAccess);
    close_range(kRegion, watched_ * page_bytes(), 0, Closed::kNoAccess);
  }
  void rewind() override { done_ = 0; }
  bool step() override {
    if (done_ == accesses_) return false;
    const unsigned t = unsigned(done_ % threads());
    ++done_;
    const bool trap = rng().unit() < trap_rate_;
    const uint64_t object = trap ? rng().below(watched_) : rng().below(objects_);
    const uint64_t field = rng().below(kObjectBytes / 8) * 8;
    const isa::Op op = rng().unit() < stores_ ? isa::Op::kStore : isa::Op::kLoad;
    thread(t);
    at(30 + done_ % 8);  // a few call sites
    compute(work_);
    if (!trap) {
      const uint64_t addr = kHeap + object * kObjectBytes + field;
      op == isa::Op::kStore ? store(addr, 8) : load(addr, 8);
      return true;
    }
    const uint64_t page = watched_page(object);
    trapped_access(op, page + field, 8, page, page_bytes(), 0, Closed::kNoAccess, handler_);
    return true;
  }

  uint64_t accesses_, objects_, watched_;
  double trap_rate_, stores_;
  uint64_t work_, handler_;
  uint64_t done_ = 0;
};

}  // namespace

const Generator& watchpoint_generator() {
  static const Generator g = [] {
    std::vector<GenParam> p = common_params();
    p.push_back(
        {"accesses", GenParamType::kInt, "100000", 1, 1e12, {}, "Object accesses by the program"});
    p.push_back({"objects", GenParamType::kInt, "100000", 1, 1e9, {}, "Heap objects (64 bytes)"});
    p.push_back({"watched",
                 GenParamType::kFloat,
                 "0.001",
                 0,
                 1,
                 {},
                 "Fraction of the objects watched (at least one), each moved to a page of its "
                 "own"});
    p.push_back({"trap_rate",
                 GenParamType::kFloat,
                 "0.001",
                 0,
                 1,
                 {},
                 "Fraction of accesses that touch a watched object and trap"});
    p.push_back({"stores",
                 GenParamType::kFloat,
                 "0.3",
                 0,
                 1,
                 {},
                 "Fraction of accesses that "
                 "are stores"});
    p.push_back({"work", GenParamType::kInt, "20", 0, 1e9, {}, "Instructions before each access"});
    p.push_back({"handler_work",
                 GenParamType::kInt,
                 "300",
                 0,
                 1e9,
                 {},
                 "Instructions of the signal handler's own work (decode, log)"});
    p.push_back(threads_param(1));
    return Generator("watchpoint",
                     "a debugging tool that traps accesses to watched objects and re-arms",
                     std::move(p), [](const GenArgs& a) -> std::unique_ptr<RecordSource> {
                       return std::make_unique<Watchpoint>(a);
                     });
  }();
  return g;
}

}  // namespace pkusim::traces
