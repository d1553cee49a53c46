// pkusim-difftest: randomized differential testing of sim::Machine against
// the reference model of tools/difftest, for runs longer than the unit
// test's.
//
//   pkusim-difftest [--seeds N] [--ops M] [--first-seed S] [--minimize]
//                   [--emit-trace FILE] [--coverage] [--quiet]
//
// Seeds S, S+1, ..., S+N-1 each generate M records, fed to both models; every
// outcome is compared. A mismatch prints the seed, record index, record, both
// outcomes and the records before it; with --minimize also a minimal
// reproducing trace (its `expect` lines are the reference model's outcomes,
// so `pkusim check` on it fails where the simulator disagrees). The last
// line is "difftest: T operations over N seeds, K mismatches"; the exit
// status is 1 if K > 0, 2 on a usage error.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "difftest.h"

using namespace pkusim::difftest;

namespace {

constexpr const char* kUsage =
    "usage: pkusim-difftest [options]\n"
    "  --seeds N          number of seeds (default 50)\n"
    "  --ops M            records per seed (default 20000)\n"
    "  --first-seed S     first seed (default 1)\n"
    "  --minimize         on a mismatch, print a minimal reproducing trace\n"
    "  --emit-trace FILE  write the first seed's stream as a self-checking trace\n"
    "  --coverage         print what the run exercised\n"
    "  --quiet            no per-seed progress lines\n"
    "  --self-test FLAW   make one side deliberately wrong to see the harness report\n"
    "                     it: a reference with rmw, straddle or mprotect broken, or\n"
    "                     no-flush (a simulator kernel that skips TLB flushes)\n"
    "  --help             this text\n";

uint64_t parse_number(std::string_view opt, const std::string& text) {
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(text, &used, 0);
    if (used != text.size() || text.empty() || text[0] == '-') throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw std::invalid_argument(
        fmt::format("{}: expected a non-negative number, got '{}'", opt, text));
  }
}

struct Args {
  uint64_t seeds = 50;
  uint64_t ops = 20000;
  uint64_t first_seed = 1;
  bool minimize = false;
  bool coverage = false;
  bool quiet = false;
  std::string emit_trace;
  Setup setup;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_value = true;
    }
    auto take = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) throw std::invalid_argument(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "--seeds")
      a.seeds = parse_number(arg, take());
    else if (arg == "--ops")
      a.ops = parse_number(arg, take());
    else if (arg == "--first-seed")
      a.first_seed = parse_number(arg, take());
    else if (arg == "--emit-trace")
      a.emit_trace = take();
    else if (arg == "--self-test") {
      const std::string f = take();
      if (f == "rmw")
        a.setup.flaw = Flaw::kRmwIsRead;
      else if (f == "straddle")
        a.setup.flaw = Flaw::kStraddleOnePage;
      else if (f == "mprotect")
        a.setup.flaw = Flaw::kMprotectKeepsKey;
      else if (f == "no-flush")
        a.setup.machine.kernel.flush_policy = pkusim::sim::FlushPolicy::kNone;
      else
        throw std::invalid_argument(
            "--self-test: expected rmw, straddle, mprotect or no-flush, got '" + f + "'");
    } else if (arg == "--minimize")
      a.minimize = true;
    else if (arg == "--coverage")
      a.coverage = true;
    else if (arg == "--quiet" || arg == "-q")
      a.quiet = true;
    else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option '" + arg + "'");
    }
    if (has_value && (arg == "--minimize" || arg == "--coverage" || arg == "--quiet")) {
      throw std::invalid_argument(arg + " takes no value");
    }
  }
  if (a.seeds == 0) throw std::invalid_argument("--seeds: must be at least 1");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pkusim-difftest: %s\n%s", e.what(), kUsage);
    return 2;
  }

  if (!args.emit_trace.empty()) {
    const auto stream = generate_stream(args.first_seed, args.ops);
    std::ofstream os(args.emit_trace);
    os << to_trace(stream,
                   fmt::format("pkusim-difftest --first-seed {} --ops {}: the random stream, "
                               "expect lines from the reference model",
                               args.first_seed, args.ops));
    if (!os) {
      std::fprintf(stderr, "pkusim-difftest: cannot write %s\n", args.emit_trace.c_str());
      return 2;
    }
    std::printf("wrote %s (%llu records of seed %llu)\n", args.emit_trace.c_str(),
                static_cast<unsigned long long>(args.ops),
                static_cast<unsigned long long>(args.first_seed));
  }

  const auto t0 = std::chrono::steady_clock::now();
  uint64_t total_ops = 0;
  uint64_t mismatches = 0;
  Coverage coverage;
  RunOptions opt;
  opt.ops = args.ops;
  opt.setup = args.setup;
  for (uint64_t k = 0; k < args.seeds; ++k) {
    const uint64_t seed = args.first_seed + k;
    const SeedResult r = run_seed(seed, opt);
    total_ops += r.records;
    coverage.add(r.coverage);
    if (r.mismatch) {
      ++mismatches;
      std::fputs(r.mismatch->report.c_str(), stdout);
      if (args.minimize) {
        const auto stream = generate_stream(seed, r.mismatch->index + 1, args.setup.flaw);
        const auto small = minimize(stream, 20000, args.setup);
        std::printf(
            "  minimal reproducing trace (%zu records; the expect lines are the reference's):\n",
            small.size());
        const std::string trace = to_trace(
            small,
            fmt::format(
                "pkusim-difftest seed {} record #{}, minimized\nsimulator: {}\nreference: {}", seed,
                r.mismatch->index, describe(r.mismatch->sim), describe(r.mismatch->ref)),
            args.setup.flaw);
        std::fputs(trace.c_str(), stdout);
      }
      std::fflush(stdout);
    } else if (!args.quiet) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("seed %llu: %llu operations agree  [%llu/%llu seeds, %.1f s]\n",
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(r.records),
                  static_cast<unsigned long long>(k + 1),
                  static_cast<unsigned long long>(args.seeds), secs);
      std::fflush(stdout);
    }
  }
  if (args.coverage) std::printf("coverage: %s\n", coverage.summary().c_str());
  std::printf("difftest: %llu operations over %llu seeds, %llu mismatches\n",
              static_cast<unsigned long long>(total_ops),
              static_cast<unsigned long long>(args.seeds),
              static_cast<unsigned long long>(mismatches));
  return mismatches ? 1 : 0;
}
