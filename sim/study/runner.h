#pragma once
// Runs many simulations on one machine, each on a worker thread of its own,
// for `pkusim compare` and `pkusim study`. Every run is an independent
// Simulation (its own configuration, inputs and statistics), so the results
// do not depend on the number of workers or the order they finish in:
// results come back in request order.
#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "sim/config/config.h"
#include "sim/study/metrics.h"
#include "sim/system.h"

namespace pkusim::study {

struct RunRequest {
  sim::Config config;               // validated
  std::vector<std::string> inputs;  // trace files or gen:NAME:k=v invocations
  sim::RunLimits limits;
};

struct RunResult {
  bool ok = false;
  std::string error;                         // why not ok: the exception's message
  std::exception_ptr exception;              // ... and the exception, to rethrow
  std::vector<std::string> expect_failures;  // failed `expect` lines (ok stays true)
  Metrics metrics;                           // over the ROI if the inputs mark one
  std::string report;                        // the pkusim.report JSON, pretty-printed
};

/// Called after each run ends, from the worker that ran it, one call at a
/// time: runs finished so far, the total, and the index of the one that ended.
using RunProgress = std::function<void(size_t done, size_t total, size_t index)>;

/// Runs `requests` on `jobs` worker threads (at least 1).
std::vector<RunResult> run_all(const std::vector<RunRequest>& requests, unsigned jobs,
                               const RunProgress& progress = {});

/// The worker count for `requested` (0: the host's hardware threads), never
/// more than `runs`.
unsigned worker_count(unsigned requested, size_t runs);

}  // namespace pkusim::study
