#pragma once
// What `pkusim compare` and `pkusim study` report of a run, read from its
// statistics over the region of interest (or the whole run without one),
// and the side-by-side table of several runs against a baseline: cycles,
// overhead, cycles per protection switch, and the events that explain them
// (system calls, TLB misses and walks, invalidations, shootdowns and IPIs,
// faults, stale-permission accesses), with the cycle stack.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/stats/stats.h"

namespace pkusim::study {

struct Metrics {
  bool roi = false;         // over a region of interest (else the whole run)
  uint64_t cycles = 0;      // wall: the region's length in cycles
  uint64_t cpu_cycles = 0;  // every core's busy cycles (not idle), summed
  uint64_t instructions = 0;
  double time_ns = 0;
  uint64_t wrpkru = 0;
  uint64_t mprotect = 0;       // mprotect calls
  uint64_t pkey_mprotect = 0;  // pkey_mprotect calls
  uint64_t syscalls = 0;       // every system call
  uint64_t dtlb_misses = 0;    // data TLB misses (both levels), every core
  uint64_t walks = 0;          // page walks started, every core
  uint64_t invlpg = 0;         // INVLPGs, local and remote
  uint64_t full_flushes = 0;   // full flushes of the process's PCID, local and remote
  uint64_t shootdowns = 0;
  uint64_t ipis = 0;
  uint64_t signals = 0;  // faults delivered as SIGSEGV
  uint64_t spurious_faults = 0;
  uint64_t stale_accesses = 0;  // allowed by a stale TLB entry (flush_policy none)
  /// The cycle stack: (component, cycles), in the tree's order.
  std::vector<std::pair<std::string, uint64_t>> stack;

  /// Protection changes: WRPKRU, mprotect and pkey_mprotect.
  uint64_t switches() const { return wrpkru + mprotect + pkey_mprotect; }
};

/// The metrics of `s` (a run's statistics).
Metrics metrics_of(const stats::Snapshot& s, bool roi);

/// One run in a comparison.
struct Compared {
  std::string label;
  std::string input;
  Metrics m;
};

/// A side-by-side table of runs against runs[baseline].
class Comparison {
 public:
  Comparison(std::vector<Compared> runs, size_t baseline);
  const std::vector<Compared>& runs() const { return runs_; }
  size_t baseline() const { return baseline_; }
  /// Cycles over the baseline's, minus 1, in percent.
  double overhead_pct(size_t i) const;
  /// (cycles - baseline cycles) / switches; empty without switches.
  std::optional<double> cycles_per_switch(size_t i) const;

  std::string text() const;
  std::string csv() const;
  nlohmann::ordered_json json() const;

 private:
  std::vector<Compared> runs_;
  size_t baseline_;
};

/// 1234567 as "1,234,567".
std::string with_commas(uint64_t v);
/// `s` as one CSV field (quoted when it holds a comma, quote or newline).
std::string csv_field(const std::string& s);

/// The CSV columns of Metrics (and their order), shared by compare and study.
std::vector<std::string> metric_columns(const Metrics& any);
/// The values of metric_columns(m), as CSV fields.
std::vector<std::string> metric_fields(const Metrics& m);

}  // namespace pkusim::study
