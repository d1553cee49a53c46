// Reading ahead on a thread (traces/prefetch.h): the records, their order,
// their locations and the inner source's errors are the inner source's,
// whether they are taken with next() or in place with pull().
#include "traces/prefetch.h"

#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <vector>

using namespace pkusim;

namespace {

/// `n` loads at distinct addresses, located at line 10 + i, failing after
/// `fail_after` records if that is below n.
class Counting final : public traces::RecordSource {
 public:
  Counting(uint64_t n, uint64_t fail_after) : n_(n), fail_after_(fail_after) {}
  bool next(isa::Instr& out) override {
    if (i_ == fail_after_) throw std::runtime_error("broken at record " + std::to_string(i_));
    if (i_ == n_) return false;
    out = isa::Instr{};
    out.op = isa::Op::kLoad;
    out.size = 8;
    out.addr = 0x1000 + 8 * i_;
    out.value = i_;
    ++i_;
    return true;
  }
  uint64_t bytes_read() const override { return i_ * 10; }
  traces::SourceTraits traits() const override { return {true, false, true}; }
  uint64_t location() const override { return 10 + i_ - 1; }
  std::vector<std::pair<std::string, uint64_t>> counters() const override {
    return {{"given", i_}};
  }

 private:
  uint64_t n_, fail_after_, i_ = 0;
};

}  // namespace

TEST_CASE("pull() hands out the inner source's records in order, with their locations",
          "[prefetch]") {
  // Several blocks of 2048 and a partial one: block boundaries are crossed.
  const uint64_t n = GENERATE(uint64_t{0}, uint64_t{1}, uint64_t{2048}, uint64_t{2049},
                              uint64_t{5 * 2048 + 17}, uint64_t{40000});
  CAPTURE(n);
  auto src = std::make_unique<traces::PrefetchSource>(std::make_unique<Counting>(n, ~uint64_t{0}),
                                                      nullptr);
  CHECK(src->traits().maps_on_first_touch);
  CHECK(src->traits().located_by_line);
  uint64_t seen = 0;
  while (const isa::Instr* r = src->pull()) {
    REQUIRE(r->value == seen);
    REQUIRE(r->addr == 0x1000 + 8 * seen);
    REQUIRE(src->location() == 10 + seen);
    ++seen;
  }
  CHECK(seen == n);
  // The end stays the end, and the last location stays.
  CHECK(src->pull() == nullptr);
  if (n) CHECK(src->location() == 10 + n - 1);
  CHECK(src->counters() == std::vector<std::pair<std::string, uint64_t>>{{"given", n}});
}

TEST_CASE("next() copies what pull() hands out", "[prefetch]") {
  traces::PrefetchSource src(std::make_unique<Counting>(3000, ~uint64_t{0}), nullptr);
  isa::Instr r;
  uint64_t seen = 0;
  while (src.next(r)) {
    REQUIRE(r.value == seen);
    REQUIRE(src.location() == 10 + seen);
    ++seen;
  }
  CHECK(seen == 3000);
  CHECK_FALSE(src.next(r));
}

TEST_CASE("an error of the inner source is raised after the records before it", "[prefetch]") {
  const uint64_t fail_after = GENERATE(uint64_t{0}, uint64_t{5}, uint64_t{2048}, uint64_t{7000});
  CAPTURE(fail_after);
  traces::PrefetchSource src(std::make_unique<Counting>(100000, fail_after), nullptr);
  uint64_t seen = 0;
  const auto drain = [&] {
    while (const isa::Instr* r = src.pull()) {
      REQUIRE(r->value == seen);
      ++seen;
    }
  };
  CHECK_THROWS_WITH(drain(), "broken at record " + std::to_string(fail_after));
  CHECK(seen == fail_after);
  // Once raised, the source has ended.
  CHECK(src.pull() == nullptr);
}

TEST_CASE("a source without blocks gives its records through pull() one at a time", "[prefetch]") {
  Counting plain(3, ~uint64_t{0});
  traces::RecordSource& src = plain;
  std::vector<uint64_t> values;
  while (const isa::Instr* r = src.pull()) values.push_back(r->value);
  CHECK(values == std::vector<uint64_t>{0, 1, 2});
  CHECK(src.pull() == nullptr);
}
