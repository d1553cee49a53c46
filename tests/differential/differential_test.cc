// Randomized differential test of sim::Machine against the reference model
// (over 450 lines: one file for the whole suite, which shares its fixtures).
//
//   differential_test "[diff]"            every test here
//   pkusim-difftest --seeds N --ops M     longer runs (tools/difftest)
//
// On a mismatch the failure message names the seed, the record index, the
// record, both outcomes and the records before it, and the command that
// reproduces and minimizes it.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "difftest.h"
#include "generator.h"
#include "reference_model.h"
#include "sim/config/config.h"
#include "sim/report.h"
#include "sim/simulation.h"
#include "traces/formats/text_reader.h"

using namespace pkusim;
using namespace pkusim::difftest;

namespace {

// 10^6 records: about 1.5 s in a RelWithDebInfo build, a few seconds under ASan.
constexpr uint64_t kSeeds = 40;
constexpr uint64_t kOps = 25000;
constexpr uint64_t kFirstSeed = 1;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

isa::Instr rec(isa::Op op) {
  isa::Instr in;
  in.op = op;
  return in;
}
isa::Instr mem(isa::Op op, uint64_t addr, uint8_t size = 8) {
  isa::Instr in = rec(op);
  in.addr = addr;
  in.size = size;
  return in;
}
isa::Instr mmap(uint64_t addr, uint64_t len, uint8_t prot) {
  isa::Instr in = rec(isa::Op::kMmap);
  in.addr = addr;
  in.len = len;
  in.prot = prot;
  return in;
}
isa::Instr munmap(uint64_t addr, uint64_t len) {
  isa::Instr in = rec(isa::Op::kMunmap);
  in.addr = addr;
  in.len = len;
  return in;
}
isa::Instr mprotect(uint64_t addr, uint64_t len, uint8_t prot) {
  isa::Instr in = mmap(addr, len, prot);
  in.op = isa::Op::kMprotect;
  in.key = -1;
  return in;
}
isa::Instr pkey_mprotect(uint64_t addr, uint64_t len, uint8_t prot, int64_t key) {
  isa::Instr in = mprotect(addr, len, prot);
  in.op = isa::Op::kPkeyMprotect;
  in.key = key;
  return in;
}
isa::Instr pkey_alloc(uint32_t rights = 0) {
  isa::Instr in = rec(isa::Op::kPkeyAlloc);
  in.value = rights;
  return in;
}
isa::Instr pkey_free(int64_t key) {
  isa::Instr in = rec(isa::Op::kPkeyFree);
  in.key = key;
  return in;
}
isa::Instr wrpkru(uint32_t v) {
  isa::Instr in = rec(isa::Op::kWrpkru);
  in.value = v;
  return in;
}
isa::Instr thread(unsigned t) {
  isa::Instr in = rec(isa::Op::kThread);
  in.value = t;
  return in;
}

constexpr uint8_t kR = isa::kProtRead, kW = isa::kProtWrite, kX = isa::kProtExec;
constexpr uint64_t kBase = 0x7f0000000000;

bool holds(const isa::Instr& expect, const Result& r) {
  switch (expect.expect) {
    case isa::ExpectKind::kOk:
      return !r.fault && r.err == 0;
    case isa::ExpectKind::kMaperr:
      return r.fault && r.si_code == kMaperr;
    case isa::ExpectKind::kAccerr:
      return r.fault && r.si_code == kAccerr;
    case isa::ExpectKind::kPkuerr:
      return r.fault && r.si_code == kPkuerr && uint64_t(r.pkey) == expect.value;
    case isa::ExpectKind::kErrno:
      return !r.fault && r.err != 0 && uint64_t(r.err) == expect.value;
    case isa::ExpectKind::kRet:
      return !r.fault && r.has_ret && r.ret == expect.value;
  }
  return false;
}

}  // namespace

TEST_CASE("sim::Machine agrees with the reference model on random streams", "[diff]") {
  Coverage total;
  for (uint64_t seed = kFirstSeed; seed < kFirstSeed + kSeeds; ++seed) {
    RunOptions opt;
    opt.ops = kOps;
    const SeedResult r = run_seed(seed, opt);
    total.add(r.coverage);
    if (r.mismatch) FAIL(r.mismatch->report);
    REQUIRE(r.records == kOps);
    // The simulator really ran every record and faulted as often.
    REQUIRE(r.sim_records == kOps);
    REQUIRE(r.sim_faults == r.coverage.maperr + r.coverage.accerr + r.coverage.pkuerr);
  }
  INFO("coverage of the differential run:\n" << total.summary());
  CHECK(join(total.missing()).empty());
}

TEST_CASE("the generator exercises every op kind, fault kind and errno", "[diff]") {
  Coverage total;
  for (uint64_t seed = kFirstSeed; seed < kFirstSeed + kSeeds; ++seed) {
    RunOptions opt;
    opt.ops = kOps;
    opt.check_sim = false;
    const SeedResult r = run_seed(seed, opt);
    // Every seed on its own faults in all three ways and uses every op.
    INFO("seed " << seed << ":\n" << r.coverage.summary());
    CHECK(r.coverage.maperr > 0);
    CHECK(r.coverage.accerr > 0);
    CHECK(r.coverage.pkuerr > 0);
    for (unsigned i = 0; i < isa::kNumOps; ++i) {
      if (isa::Op(i) == isa::Op::kExpect || isa::Op(i) == isa::Op::kRoi) continue;
      INFO("op " << isa::op_name(isa::Op(i)));
      CHECK(r.coverage.ops[i] > 0);
    }
    total.add(r.coverage);
  }
  INFO("coverage over all seeds:\n" << total.summary());
  CHECK(join(total.missing()).empty());
  // Accesses dominate the mix; faults are common but not everything.
  const uint64_t accesses = total.ops[unsigned(isa::Op::kLoad)] +
                            total.ops[unsigned(isa::Op::kStore)] +
                            total.ops[unsigned(isa::Op::kRmw)];
  CHECK(accesses * 100 >= total.records * 55);
  const uint64_t faults = total.maperr + total.accerr + total.pkuerr;
  CHECK(faults * 100 >= accesses * 5);
  CHECK(faults * 100 <= accesses * 80);
}

TEST_CASE("the generator is deterministic", "[diff]") {
  const std::vector<isa::Instr> a = generate_stream(42, 3000);
  const std::vector<isa::Instr> b = generate_stream(42, 3000);
  const std::vector<isa::Instr> c = generate_stream(43, 3000);
  REQUIRE(a.size() == 3000);
  std::string ta, tb, tc;
  for (const auto& in : a) ta += format_instr(in) + "\n";
  for (const auto& in : b) tb += format_instr(in) + "\n";
  for (const auto& in : c) tc += format_instr(in) + "\n";
  CHECK(ta == tb);
  CHECK(ta != tc);
}

TEST_CASE("generated streams round-trip through the text trace format", "[diff][trace]") {
  // Negative keys are not trace syntax: to_trace writes pkey_mprotect -1 as
  // mprotect and comments out the other negative keys (they change nothing).
  const std::vector<isa::Instr> full = generate_stream(7, 4000);
  std::vector<isa::Instr> stream;
  unsigned rewritten = 0;
  for (isa::Instr in : full) {
    if ((in.op == isa::Op::kPkeyFree || in.op == isa::Op::kPkeyMprotect) && in.key < 0) {
      ++rewritten;
      if (in.op == isa::Op::kPkeyFree || in.key != -1) continue;
      in.op = isa::Op::kMprotect;
    }
    stream.push_back(in);
  }
  CHECK(rewritten > 0);
  const std::string text = to_trace(full, "round-trip test");
  std::istringstream is(text);
  traces::TextReader reader(is, "generated");
  std::vector<isa::Instr> back;
  isa::Instr in;
  while (reader.next(in)) {
    if (in.op != isa::Op::kExpect) back.push_back(in);
  }
  REQUIRE(back.size() == stream.size());
  for (size_t i = 0; i < stream.size(); ++i) {
    INFO("record " << i << ": " << format_instr(stream[i]));
    CHECK(format_instr(back[i]) == format_instr(stream[i]));
  }

  // The same trace, with the reference's outcomes as `expect` lines, passes
  // the simulator's own checker (the `pkusim check` path).
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("pkusim-difftest-roundtrip-{}.trace", ::getpid());
  {
    std::ofstream os(path);
    os << text;
  }
  sim::Simulation sim(sim::Config::defaults(), sim::Mode::kFunctional);
  sim.add_input(path.string());
  sim.run();
  std::filesystem::remove(path);
  CHECK(sim.system().expectations() > 3000);
  for (const std::string& f : sim::expect_failure_lines(sim)) {
    INFO(f);
    CHECK(false);
  }
}

TEST_CASE("the reference model passes the conformance traces", "[diff][reference]") {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(PKUSIM_CONFORMANCE_DIR)) {
    if (e.path().extension() == ".trace") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  unsigned checked = 0;
  for (const fs::path& file : files) {
    std::ifstream f(file);
    traces::TextReader reader(f, file.string());
    std::vector<isa::Instr> recs;
    std::vector<uint64_t> lines;
    isa::Instr in;
    bool huge = false;
    while (reader.next(in)) {
      recs.push_back(in);
      lines.push_back(reader.line());
      if (in.op == isa::Op::kMmap && (in.flags & (isa::kMapHuge2M | isa::kMapHuge1G))) huge = true;
    }
    if (huge) continue;  // hugetlb is outside the reference model
    ++checked;
    ReferenceModel ref;
    Result last;
    for (size_t i = 0; i < recs.size(); ++i) {
      if (recs[i].op == isa::Op::kExpect) {
        INFO(file.filename().string() << ":" << lines[i] << ": reference did " << describe(last));
        CHECK(holds(recs[i], last));
      } else {
        last = ref.execute(recs[i]);
      }
    }
  }
  CHECK(checked >= 50);
}

TEST_CASE("reference model: Linux corner cases", "[diff][reference]") {
  // Each record also goes to a Machine: these directed cases are differential
  // too, for corners a random stream reaches only rarely.
  ReferenceModel m;
  sim::Machine machine{sim::machine_config(sim::Config::defaults())};
  auto run = [&](const isa::Instr& in) {
    const Result r = m.execute(in);
    const Result s = from_sim(machine.execute(in));
    INFO(format_instr(in) << ": simulator " << describe(s) << ", reference " << describe(r));
    CHECK(compare(s, r).empty());
    return r;
  };
  auto rdpkru = [&]() {
    const Result r = run(rec(isa::Op::kRdpkru));
    CHECK(r.ret == m.pkru());
    return r.ret;
  };

  SECTION("pkey_free(0) succeeds and key 0 can become the execute-only key") {
    // Mainline mm_pkey_free has no special case for key 0.
    CHECK(run(pkey_free(0)).ret == 0);
    CHECK(run(pkey_free(0)).err == kErrEinval);
    run(mmap(kBase, 0x2000, kR | kW));
    // mprotect(x) allocates the exec-only key: the lowest free key is 0. It
    // sets AD for it (denying key 0 everywhere), but "if (pkey > 0)" fails,
    // so the VMA keeps its old key (0).
    CHECK(run(mprotect(kBase, 0x1000, kX)).ret == 0);
    CHECK(m.exec_only_key() == 0);
    CHECK(rdpkru() == 0x55555555);
    CHECK(m.page(kBase >> kPageShift)->key == 0);
    const Result r = run(mem(isa::Op::kLoad, kBase + 0x1000));
    CHECK(r.si_code == kPkuerr);
    CHECK(r.pkey == 0);
    // The exec-only key is hidden from pkey_free and pkey_mprotect.
    CHECK(run(pkey_free(0)).err == kErrEinval);
    CHECK(run(pkey_mprotect(kBase, 0x1000, kR, 0)).err == kErrEinval);
    // The first pkey_alloc now returns 1.
    CHECK(run(pkey_alloc()).ret == 1);
  }

  SECTION("the execute-only key's rights become exactly AD (WD cleared)") {
    run(wrpkru(0xfffffff2));  // key 1: AD clear, WD set; key 0: WD set
    run(mmap(kBase, 0x1000, kX));
    CHECK(m.exec_only_key() == 1);
    CHECK(rdpkru() == 0xfffffff6);
    // If the caller's PKRU still allows reading it, AD is set again.
    run(wrpkru(0xfffffff2));
    run(mmap(kBase + 0x1000, 0x1000, kX));
    CHECK(rdpkru() == 0xfffffff6);
    run(wrpkru(0xfffffff2));
    run(mprotect(kBase + 0x1000, 0x1000, kX));
    CHECK(rdpkru() == 0xfffffff6);
    // If it already denies reading it, PKRU is left alone (WD kept).
    run(wrpkru(0xffffffff));
    run(mprotect(kBase + 0x1000, 0x1000, kX));
    CHECK(rdpkru() == 0xffffffff);
    // A write to an execute-only page whose key the thread allows: ACCERR.
    run(wrpkru(0));
    CHECK(!run(mem(isa::Op::kLoad, kBase)).fault);
    CHECK(run(mem(isa::Op::kStore, kBase)).si_code == kAccerr);
    // Leaving execute-only moves the page to key 0.
    run(mprotect(kBase, 0x1000, kR));
    CHECK(m.page(kBase >> kPageShift)->key == 0);
    // An exhausted key space: mmap(x) falls back to key 0, mprotect(x)
    // keeps the page's key (here the exec-only key exists, so it is used).
    for (int i = 0; i < 16; ++i) run(pkey_alloc());
    CHECK(run(pkey_alloc()).err == kErrEnospc);
    run(mprotect(kBase, 0x1000, kX));
    CHECK(m.page(kBase >> kPageShift)->key == 1);
  }

  SECTION("a new thread copies the creator's PKRU; keys set PKRU of the caller only") {
    run(wrpkru(0x12345678));
    run(thread(3));
    CHECK(m.pkru() == 0x12345678);
    CHECK(run(pkey_alloc(isa::kPkeyDisableAccess)).ret == 1);
    CHECK(rdpkru() == 0x12345674);
    run(thread(0));
    CHECK(rdpkru() == 0x12345678);
    run(thread(1023));
    CHECK(rdpkru() == 0x12345678);
  }

  SECTION("mprotect changes pages before a hole, then fails ENOMEM") {
    run(mmap(kBase, 0x2000, kR | kW));
    run(mmap(kBase + 0x3000, 0x1000, kR | kW));
    CHECK(run(mprotect(kBase, 0x4000, kR)).err == kErrEnomem);
    CHECK(m.page(kBase >> kPageShift)->prot == kR);
    CHECK(m.page((kBase >> kPageShift) + 1)->prot == kR);
    CHECK(m.page((kBase >> kPageShift) + 3)->prot == (kR | kW));
    // A hole at the start changes nothing.
    CHECK(run(mprotect(kBase + 0x2000, 0x2000, kR)).err == kErrEnomem);
    CHECK(m.page((kBase >> kPageShift) + 3)->prot == (kR | kW));
  }

  SECTION("argument checks in Linux's order") {
    run(mmap(kBase, 0x1000, kR | kW));
    CHECK(run(mprotect(kBase + 1, 0, kR)).err == kErrEinval);                 // alignment first
    CHECK(run(pkey_mprotect(kBase, 0, kR, 99)).ret == 0);                     // then len 0
    CHECK(run(pkey_mprotect(kBase, 0 - 0x1000, kR, 99)).err == kErrEnomem);   // then wrap
    CHECK(run(pkey_mprotect(0x1000, 0x1000, kR, 99)).err == kErrEinval);      // then key
    CHECK(run(pkey_mprotect(kBase, ~uint64_t{0}, kR, 0)).err == kErrEnomem);  // PAGE_ALIGN wraps
    CHECK(run(mmap(0x1000, 0, kR)).err == kErrEinval);
    CHECK(run(mmap(0xf000, 0x1000, kR)).err == kErrEperm);
    CHECK(run(mmap(0xf000, 0x7fffffff1000, kR)).err == kErrEnomem);  // ENOMEM before EPERM
    CHECK(run(mmap(kTaskSize - 0x1000, 0x1000, kR)).ret == kTaskSize - 0x1000);
    CHECK(run(mmap(kTaskSize - 0x1000, 0x2000, kR)).err == kErrEnomem);
    CHECK(run(munmap(kBase, 0)).err == kErrEinval);
    CHECK(run(munmap(kBase + 8, 0x1000)).err == kErrEinval);
    CHECK(run(munmap(kTaskSize, 0x1000)).err == kErrEinval);
    CHECK(run(munmap(kTaskSize - 0x1000, 0x1000)).ret == 0);
    CHECK(run(munmap(0, 0x1000)).ret == 0);
    CHECK(run(munmap(kBase, 0x1001)).ret == 0);  // rounds up
    CHECK(m.pages().empty());
  }

  SECTION("access checks: MAPERR, then PKUERR, then ACCERR, lower page first") {
    run(mmap(kBase, 0x1000, kW));
    run(mmap(kBase + 0x1000, 0x1000, 0));
    CHECK(!run(mem(isa::Op::kLoad, kBase)).fault);  // write-only is readable on x86
    CHECK(run(mem(isa::Op::kLoad, kBase + 0x1000)).si_code == kAccerr);
    const Result s = run(mem(isa::Op::kStore, kBase + 0xffc));
    CHECK(s.si_code == kAccerr);
    CHECK(s.fault_addr == kBase + 0x1000);
    run(pkey_alloc(isa::kPkeyDisableWrite));
    run(pkey_mprotect(kBase + 0x1000, 0x1000, 0, 1));
    CHECK(!run(mem(isa::Op::kStore, kBase)).fault);
    CHECK(run(mem(isa::Op::kLoad, kBase + 0x1000)).si_code == kAccerr);  // WD allows reads
    const Result r = run(mem(isa::Op::kRmw, kBase + 0x1000));
    CHECK(r.si_code == kPkuerr);  // before ACCERR
    CHECK(r.pkey == 1);
    CHECK(run(mem(isa::Op::kLoad, kBase + 0x1ffc)).si_code == kAccerr);
    CHECK(run(mem(isa::Op::kLoad, kBase + 0x1ffc)).fault_addr == kBase + 0x1ffc);
    CHECK(run(mem(isa::Op::kLoad, kBase + 0xfff, 2)).fault_addr == kBase + 0x1000);
    CHECK(run(mem(isa::Op::kLoad, kBase + 0x2000 - 2, 4)).si_code == kAccerr);
    run(munmap(kBase + 0x1000, 0x1000));
    CHECK(run(mem(isa::Op::kStore, kBase + 0xffe, 4)).si_code == kMaperr);
  }
}

TEST_CASE("minimize leaves a good stream alone, and outcomes format as trace text", "[diff]") {
  std::vector<isa::Instr> s = generate_stream(5, 300);
  CHECK(!replay(s).has_value());
  CHECK(minimize(s).size() == s.size());

  Result a, b;
  CHECK(compare(a, b).empty());
  b.fault = true;
  b.si_code = kPkuerr;
  b.pkey = 3;
  b.fault_addr = kBase;
  b.fault_kind = Access::kStore;
  CHECK(describe(b) == "fault pkuerr 3 at 0x7f0000000000 (store)");
  CHECK(expect_line(b) == "expect fault pkuerr 3");
  CHECK(compare(a, b) == "fault: sim false, ref true");
  isa::Instr in = mmap(kBase, 0x3000, kR | kX);
  in.flags = isa::kMapPopulate;
  CHECK(format_instr(in) == "mmap 0x7f0000000000 0x3000 rx populate");
  CHECK(format_instr(pkey_mprotect(kBase, 0x1000, 0, 4)) ==
        "pkey_mprotect 0x7f0000000000 0x1000 none 4");
}

TEST_CASE("the harness catches a wrong model and minimizes the evidence", "[diff][harness]") {
  // Three deliberately wrong references, and a simulator whose kernel skips
  // every TLB invalidation (the `none` flush ablation): stale translations
  // must show up as mismatches.
  Setup no_flush;
  no_flush.machine.kernel.flush_policy = sim::FlushPolicy::kNone;
  struct Case {
    const char* name;
    Setup setup;
  };
  const Case cases[] = {
      {"rmw checked as a read",
       Setup{sim::machine_config(sim::Config::defaults()), Flaw::kRmwIsRead}},
      {"straddle checks one page",
       Setup{sim::machine_config(sim::Config::defaults()), Flaw::kStraddleOnePage}},
      {"mprotect(x) keeps the key",
       Setup{sim::machine_config(sim::Config::defaults()), Flaw::kMprotectKeepsKey}},
      {"simulator without TLB flushes", no_flush},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    RunOptions opt;
    opt.ops = kOps;
    opt.setup = c.setup;
    std::optional<Mismatch> found;
    uint64_t seed = kFirstSeed;
    for (; seed < kFirstSeed + 5 && !found; ++seed) found = run_seed(seed, opt).mismatch;
    REQUIRE(found.has_value());
    // The report has what is needed to reproduce it.
    CHECK(found->report.find(fmt::format("seed {}", found->seed)) != std::string::npos);
    CHECK(found->report.find(format_instr(found->instr)) != std::string::npos);
    CHECK(found->report.find("--first-seed") != std::string::npos);

    const auto stream = generate_stream(found->seed, found->index + 1, c.setup.flaw);
    const auto first = replay(stream, c.setup);
    REQUIRE(first.has_value());
    CHECK(first->index == found->index);
    const auto small = minimize(stream, 20000, c.setup);
    INFO("minimized:\n" << to_trace(small, {}, c.setup.flaw));
    CHECK(small.size() <= 8);
    const auto again = replay(small, c.setup);
    REQUIRE(again.has_value());
    CHECK(again->index == small.size() - 1);
    CHECK(isa::is_memory_op(small.back().op));
    if (c.setup.flaw == Flaw::kRmwIsRead) CHECK(small.back().op == isa::Op::kRmw);
  }
}
