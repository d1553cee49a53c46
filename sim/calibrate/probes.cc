// Each probe follows its benchmark in tools/hostbench (bench_*.c): the same
// region, the same calls, the same peer. What a trace cannot say is noted.
#include "sim/calibrate/probes.h"

#include <fmt/format.h>

#include <stdexcept>

#include "sim/simulation.h"

namespace pkusim::calibrate {

namespace {

constexpr uint64_t kBase = 0x7f0000000000;  // 1 GiB aligned
constexpr uint64_t kPage = 4096;
constexpr uint64_t kHuge = 2u << 20;

/// SplitMix64: the probes' random lines, the same on every host.
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Probe mprotect_probe(uint64_t pages, bool huge, Peer peer, bool rw) {
  const uint64_t len = pages * (huge ? kHuge : kPage);
  std::string t = "pkutrace 1\n";
  t += fmt::format("mmap {:#x} {} rw populate{}\n", kBase, len, huge ? " huge2m" : "");
  // The peer thread has touched the region and runs on the other CPU
  // (active), or blocks in read(2) for the rest of the run (blocked).
  if (peer != Peer::kAlone) {
    t += fmt::format("thread 1\nload {:#x} 1\n", kBase);
    if (peer == Peer::kBlocked) t += "sleep 3600000ms\n";
    t += "thread 0\n";
  }
  const std::string r = fmt::format("mprotect {:#x} {} r\n", kBase, len);
  const std::string w = fmt::format("mprotect {:#x} {} rw\n", kBase, len);
  t += r + w;  // the benchmark's warm-up
  t += rw ? r + "roi begin\n" + w + "roi end\n" : "roi begin\n" + r + "roi end\n" + w;
  return {std::move(t), Timed::kMprotectCycles, 1};
}

Probe split_probe(bool merge) {
  const uint64_t len = 64 * kPage, mid = kBase + 32 * kPage;
  std::string t = fmt::format("pkutrace 1\nmmap {:#x} {} rw populate\nmprotect {:#x} {} r\n", kBase,
                              len, kBase, len);
  const std::string open = fmt::format("mprotect {:#x} 4096 rw\n", mid);
  const std::string close = fmt::format("mprotect {:#x} 4096 r\n", mid);
  t += open + close;  // the benchmark's warm-up
  t += merge ? open + "roi begin\n" + close + "roi end\n"
             : "roi begin\n" + open + "roi end\n" + close;
  return {std::move(t), Timed::kMprotectCycles, 1};
}

Probe pkru_probe(unsigned n, bool rdpkru) {
  // hostbench's loop: key 1's access denied and allowed in turn.
  std::string t = "pkutrace 1\npkey_alloc\nroi begin\n";
  for (unsigned i = 0; i < n; ++i)
    t += rdpkru ? "rdpkru\n" : (i % 2 ? "wrpkru 0x55555550\n" : "wrpkru 0x55555554\n");
  t += "roi end\n";
  return {std::move(t), Timed::kTotalCycles, double(n)};
}

Probe syscall_probe(unsigned n) {
  std::string t = "pkutrace 1\nsyscall\nroi begin\n";
  for (unsigned i = 0; i < n; ++i) t += "syscall\n";
  t += "roi end\n";
  return {std::move(t), Timed::kTotalCycles, double(n)};
}

Probe fault_probe(unsigned n, bool write) {
  std::string t = fmt::format("pkutrace 1\nmmap {:#x} {} rw\nroi begin\n", kBase, n * kPage);
  for (unsigned i = 0; i < n; ++i)
    t += fmt::format("{} {:#x} 1\n", write ? "store" : "load", kBase + i * kPage);
  t += "roi end\n";
  return {std::move(t), Timed::kTotalCycles, double(n)};
}

Probe sigsegv_probe(unsigned n) {
  std::string t = fmt::format("pkutrace 1\nmmap {:#x} 4096 r populate\nload {:#x} 1\nroi begin\n",
                              kBase, kBase);
  for (unsigned i = 0; i < n; ++i) t += fmt::format("store {:#x} 1\n", kBase);
  t += "roi end\n";
  return {std::move(t), Timed::kTotalCycles, double(n)};
}

Probe indep_probe(unsigned n, unsigned warmup, bool huge) {
  constexpr uint64_t kBytes = 1u << 30;
  constexpr uint64_t kLines = kBytes / 64;
  std::string t = fmt::format("pkutrace 1\nmmap {:#x} {} rw populate{}\n", kBase, kBytes,
                              huge ? " huge2m" : "");
  t.reserve(t.size() + size_t(n + warmup) * 24);
  uint64_t state = 0x706b7573696d;  // fixed: the same lines on every run
  for (unsigned i = 0; i < n + warmup; ++i) {
    if (i == warmup) t += "roi begin\n";
    t += fmt::format("load {:#x} 1\n", kBase + (next_random(state) % kLines) * 64);
  }
  t += "roi end\n";
  return {std::move(t), Timed::kTotalCycles, double(n)};
}

double simulate(const sim::Config& cfg, const Probe& p) {
  sim::Simulation s(cfg, sim::Mode::kTiming);
  s.add_text("calibration probe", p.trace);
  s.run();
  const auto roi = s.roi_stats();
  if (!roi) throw std::logic_error("calibration probe without a region of interest");
  const uint64_t cycles = p.timed == Timed::kMprotectCycles
                              ? roi->get("processes.0.syscalls.mprotect.cycles")
                              : roi->get("total.cycles");
  return double(cycles) / p.ops;
}

}  // namespace pkusim::calibrate
