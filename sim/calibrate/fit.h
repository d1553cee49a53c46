#pragma once
// `pkusim calibrate`: fits the timing model's kernel and memory costs to a
// host's measurements (hostbench.h) and says, per measured point, how close
// the calibrated model comes.
//
// Method (docs/calibration.md): every measured point has a probe (probes.h)
// that the simulator runs; the fit adjusts a few parameters at a time, in an
// order where each group depends only on groups already fitted:
//   1. the clock (the host's core clock) and page-table isolation (the
//      host's Meltdown status);
//   2. memory: cache and DRAM latencies set from the pointer chase's
//      plateaus, the miss parallelism (core.l1d_mshrs) and the extra cost of
//      a walk (mmu.walk_extra_cycles) fitted to the independent random loads
//      over 1 GiB with huge pages and with 4 KiB pages;
//   3. the null system call; WRPKRU and RDPKRU in a tight loop, when the
//      host has PKU;
//   4. mprotect without a peer: the fixed part of the flush routine, the
//      per-PTE and made-writable costs, INVLPG and the full flush, by
//      bounded linear least squares on the relative errors of every size
//      and both directions (the model is linear in them);
//      then the VMA split and merge costs from mprotect of one page inside
//      a VMA (and back);
//   5. mprotect with an active peer: the IPI delivery time (Gauss-Newton on
//      the same errors; the wait is a max, so not linear);
//   6. the minor fault and SIGSEGV delivery (a fault writes a PTE, so after
//      the per-PTE cost).
// Parameters the curves cannot separate (the mmap_lock and VMA costs from
// the flush's fixed part; IPI send, handler and acknowledgement from the
// delivery with one peer) keep the preset's values; the result says so.
#include <functional>
#include <string>
#include <vector>

#include "sim/calibrate/hostbench.h"
#include "sim/calibrate/probes.h"
#include "sim/config/config.h"

namespace pkusim::calibrate {

/// A parameter the calibration set, with how.
struct Setting {
  std::string path;
  std::string value;   // JSON text
  std::string before;  // the preset's value, JSON text
  std::string how;     // one line: which measurements, which method
};

/// A measured point beside the calibrated model's prediction.
struct Compared {
  std::string group;  // "mprotect", "mprotect 2M", "syscall", "memory", ...
  std::string label;  // "33 pages, active peer, R"
  double measured_ns = 0;
  double predicted_ns = 0;
  double preset_ns = 0;  // the uncalibrated preset's prediction
  bool fitted = false;   // used by the fit (else only checked)
  std::string doubt;     // why the measurement is not what it should be ("" if it is)
  std::string params;    // the measured row's parameters, "key=value ..."

  double rel_error() const {
    return measured_ns > 0 ? (predicted_ns - measured_ns) / measured_ns : 0;
  }
};

struct Calibration {
  std::string preset;
  sim::Config config;  // preset + settings, validated
  std::vector<Setting> settings;
  std::vector<Compared> points;
  std::vector<std::string> notes;  // kept parameters, missing measurements
};

/// The preset nearest the host: by vendor, then family and model.
std::string nearest_preset(const Host& h);

/// `progress` (optional) gets a line per step. `jobs` simulations run at once.
Calibration calibrate(const Measurements& m, const std::string& preset, unsigned jobs,
                      const std::function<void(const std::string&)>& progress = {});

/// The overlay file: JSON with comments, "base" the preset, a "sources"
/// entry per setting ("measured on CPU, kernel, date: ..."). Loads with -c.
std::string overlay_text(const Calibration& c, const Measurements& m);

}  // namespace pkusim::calibrate
