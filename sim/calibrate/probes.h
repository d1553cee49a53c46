#pragma once
// The simulator's side of each host measurement: a text trace that makes the
// same calls as the benchmark (tools/hostbench), with the measured operations
// inside its region of interest, and the statistic that times them. A probe
// predicts a measurement by simulating it, so the calibrated model is checked
// on the same calls it was fitted to, not on a formula of its parameters.
#include <cstdint>
#include <string>

#include "sim/config/config.h"

namespace pkusim::calibrate {

enum class Peer : uint8_t { kAlone, kActive, kBlocked };
enum class Timed : uint8_t {
  kMprotectCycles,  // the ROI's mprotect cycles (what the calling thread waited)
  kTotalCycles,     // the ROI's cycles
};

struct Probe {
  std::string trace;  // a text trace
  Timed timed = Timed::kTotalCycles;
  double ops = 1;  // operations in the region of interest
};

/// mprotect(R) (`rw` false) or mprotect(RW) of `pages` populated pages of
/// 4 KiB (or 2 MiB: hugetlb, `huge`), after an untimed warm-up pair.
Probe mprotect_probe(uint64_t pages, bool huge, Peer peer, bool rw);
/// mprotect(RW) of the middle page of a read-only VMA of 64 populated pages
/// (`merge` false: the VMA splits in three), or mprotect(R) of it again
/// (`merge`: the three merge back).
Probe split_probe(bool merge);
/// `n` WRPKRUs in a row, alternating two values (`rdpkru`: `n` RDPKRUs).
Probe pkru_probe(unsigned n, bool rdpkru);
/// `n` null system calls.
Probe syscall_probe(unsigned n);
/// The first write (or read) of `n` fresh 4 KiB pages.
Probe fault_probe(unsigned n, bool write);
/// `n` stores to a read-only page, each delivering SIGSEGV.
Probe sigsegv_probe(unsigned n);
/// `n` independent one-byte loads of random lines of 1 GiB, after `warmup`.
Probe indep_probe(unsigned n, unsigned warmup, bool huge);

/// Simulates `p` on `cfg` (validated) and returns cycles per operation.
double simulate(const sim::Config& cfg, const Probe& p);

}  // namespace pkusim::calibrate
