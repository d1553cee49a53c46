#include "sim/study/runner.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "sim/report.h"
#include "sim/simulation.h"

namespace pkusim::study {

namespace {

RunResult run_one(const RunRequest& r) {
  RunResult out;
  try {
    sim::Simulation s(r.config, sim::Mode::kTiming);
    for (const std::string& in : r.inputs) s.add_input(in);
    s.set_limits(r.limits);
    s.run();
    const auto roi = s.roi_stats();
    out.metrics = roi ? metrics_of(*roi, true) : metrics_of(s.stats(), false);
    out.report = sim::report_json(s).dump(2) + "\n";
    out.expect_failures = sim::expect_failure_lines(s);
    out.ok = true;
  } catch (const std::exception& e) {
    out.error = e.what();
    out.exception = std::current_exception();
  }
  return out;
}

}  // namespace

unsigned worker_count(unsigned requested, size_t runs) {
  unsigned n = requested ? requested : std::max(1u, std::thread::hardware_concurrency());
  if (runs < n) n = unsigned(std::max<size_t>(runs, 1));
  return n;
}

std::vector<RunResult> run_all(const std::vector<RunRequest>& requests, unsigned jobs,
                               const RunProgress& progress) {
  std::vector<RunResult> results(requests.size());
  std::atomic<size_t> next{0};
  std::mutex report_mutex;
  size_t done = 0;
  const auto work = [&] {
    for (size_t i = next++; i < requests.size(); i = next++) {
      results[i] = run_one(requests[i]);
      const std::lock_guard<std::mutex> lock(report_mutex);
      ++done;
      if (progress) progress(done, requests.size(), i);
    }
  };
  const unsigned n = worker_count(jobs, requests.size());
  std::vector<std::thread> workers;
  for (unsigned w = 1; w < n; ++w) workers.emplace_back(work);
  work();
  for (std::thread& t : workers) t.join();
  return results;
}

}  // namespace pkusim::study
