// The fit of fit.h, step by step. All arithmetic is in core cycles at the
// calibrated clock; measurements are converted from nanoseconds once.
#include "sim/calibrate/fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "sim/config/param.h"

namespace pkusim::calibrate {

namespace {

struct Point {
  std::string group, label;
  Probe probe;
  double measured_ns = 0;
  bool fit = false;
  std::string doubt;
  std::string params;  // the row's, "k=v k=v"
  const Row* row = nullptr;
};

/// An active peer that took no shootdown: its vCPU was not running (KVM's
/// paravirtual flush defers it), so the row measured no IPI at all.
std::string peer_doubt(const Row& r) {
  if (r.param("peer") != "active" || r.note("tlb_ipis_per_op", 1) >= 0.5) return "";
  return "the active peer took no shootdown IPI (its vCPU was descheduled)";
}

using Work = std::vector<std::pair<const sim::Config*, const Probe*>>;

/// Simulates every (config, probe) pair on `jobs` threads; results in order.
std::vector<double> run_all(const Work& work, unsigned jobs) {
  std::vector<double> out(work.size());
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex m;
  const auto worker = [&] {
    for (size_t i; (i = next++) < work.size();) {
      try {
        out[i] = simulate(*work[i].first, *work[i].second);
      } catch (...) {
        const std::lock_guard<std::mutex> l(m);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  const unsigned n = std::max(1u, std::min<unsigned>(jobs, unsigned(work.size())));
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

double get(const sim::Config& c, const std::string& path) {
  const sim::ParamSpec* s = sim::find_param(path);
  return s->type == sim::ParamType::kFloat ? c.get_float(path) : double(c.get_int(path));
}

/// Sets `path` to `v`, rounded for an integer and clamped to its range.
void put(sim::Config& c, const std::string& path, double v) {
  const sim::ParamSpec* s = sim::find_param(path);
  v = std::clamp(v, s->min, s->max);
  if (s->type == sim::ParamType::kFloat) {
    c.set(fmt::format("{}={}", path, v));
  } else {
    c.set(fmt::format("{}={}", path, std::llround(v)));
  }
}

std::string value_text(const sim::Config& c, const std::string& path) {
  const sim::ParamSpec* s = sim::find_param(path);
  if (s->type == sim::ParamType::kFloat) return fmt::format("{}", c.get_float(path));
  if (s->type == sim::ParamType::kBool) return c.get_bool(path) ? "true" : "false";
  if (s->type == sim::ParamType::kChoice) return fmt::format("\"{}\"", c.get_string(path));
  return fmt::format("{}", c.get_int(path));
}

/// min ||A d - b||^2 with lo <= d <= hi, by projected Gauss-Seidel on the
/// normal equations (a convex quadratic: it converges). Columns that are all
/// zero (a parameter that changes nothing) stay at 0.
std::vector<double> bounded_least_squares(const std::vector<std::vector<double>>& a,
                                          const std::vector<double>& b,
                                          const std::vector<double>& lo,
                                          const std::vector<double>& hi) {
  const size_t n = lo.size();
  std::vector<std::vector<double>> g(n, std::vector<double>(n, 0));
  std::vector<double> h(n, 0), d(n, 0);
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < n; ++j) {
      h[j] += a[i][j] * b[i];
      for (size_t k = 0; k < n; ++k) g[j][k] += a[i][j] * a[i][k];
    }
  }
  for (size_t j = 0; j < n; ++j) d[j] = std::clamp(0.0, lo[j], hi[j]);
  for (int sweep = 0; sweep < 2000; ++sweep) {
    double moved = 0;
    for (size_t j = 0; j < n; ++j) {
      if (g[j][j] <= 0) continue;
      double r = h[j];
      for (size_t k = 0; k < n; ++k)
        if (k != j) r -= g[j][k] * d[k];
      const double v = std::clamp(r / g[j][j], lo[j], hi[j]);
      moved = std::max(moved, std::abs(v - d[j]));
      d[j] = v;
    }
    if (moved < 1e-9) break;
  }
  return d;
}

class Fitter {
 public:
  Fitter(const Measurements& m, const std::string& preset, unsigned jobs,
         const std::function<void(const std::string&)>& progress)
      : m_(m), jobs_(jobs), progress_(progress) {
    c_.preset = preset;
    c_.config = sim::Config::preset(preset);
    preset_ = c_.config;
    const Host& h = m.host;
    where_ = fmt::format("measured on {} ({} family {} model {}), Linux {}, {}", h.cpu, h.vendor,
                         h.family, h.model, h.kernel, h.date);
  }

  Calibration run() {
    clock();
    memory();
    single("kernel.syscall_cycles", "syscall", {}, syscall_probe(64), "getppid");
    single("core.wrpkru_latency_cycles", "wrpkru", {{"pattern", "toggle"}}, pkru_probe(256, false),
           "WRPKRU in a tight loop, key 1 denied and allowed in turn");
    single("core.rdpkru_latency_cycles", "rdpkru", {}, pkru_probe(256, true),
           "RDPKRU in a tight loop");
    mprotect_alone();
    huge_leaves();
    vma_changes();
    mprotect_active();
    // After mprotect: a fault writes a PTE too (kernel.per_pte_cycles).
    single("kernel.minor_fault_cycles", "fault", {{"access", "write"}, {"page_size", "4k"}},
           fault_probe(64, true), "first write of a fresh 4 KiB page");
    single("kernel.zero_page_fault_cycles", "fault", {{"access", "read"}, {"page_size", "4k"}},
           fault_probe(64, false), "first read of a fresh 4 KiB page (the zero page)");
    single("kernel.signal_delivery_cycles", "sigsegv", {{"cause", "prot"}}, sigsegv_probe(32),
           "store to a read-only page");
    compare();
    return std::move(c_);
  }

 private:
  double ghz() const { return c_.config.get_float("system.frequency_ghz"); }
  double cycles(double ns) const { return ns * ghz(); }
  void say(const std::string& s) const {
    if (progress_) progress_(s);
  }
  void note(std::string s) { c_.notes.push_back(std::move(s)); }

  void record(const std::string& path, const std::string& how) {
    Setting s{path, value_text(c_.config, path), value_text(preset_, path), how};
    for (Setting& old : c_.settings) {
      if (old.path == path) {
        old = s;
        return;
      }
    }
    c_.settings.push_back(std::move(s));
  }

  Point& add(std::string group, std::string label, Probe probe, const Row& row, bool fit) {
    std::string params;
    for (const auto& [k, v] : row.params) params += (params.empty() ? "" : " ") + k + "=" + v;
    points_.push_back(
        {std::move(group), std::move(label), std::move(probe), row.median, fit, "", params, &row});
    return points_.back();
  }

  // 1. Clock and page-table isolation.
  void clock() {
    const Host& h = m_.host;
    const double ghz = h.core_ghz ? *h.core_ghz : h.tsc_ghz;
    const double before = c_.config.get_float("system.frequency_ghz");
    put(c_.config, "system.frequency_ghz", std::round(ghz * 100) / 100);
    // The kernel's costs are the preset's nanoseconds at its clock: they keep
    // their nanoseconds at the host's (those the measurements fit are
    // replaced below).
    const double ratio = c_.config.get_float("system.frequency_ghz") / before;
    for (const sim::ParamSpec& p : sim::param_specs()) {
      if (p.path.rfind("kernel.", 0) != 0 || p.unit != "cycles" || ratio == 1) continue;
      const double v = get(c_.config, p.path);
      put(c_.config, p.path, v * ratio);
      record(p.path, fmt::format("the {} preset's {:.0f} ns ({} cycles at {} GHz) at the measured "
                                 "clock: not measured by pkusim-hostbench",
                                 c_.preset, v / before, v, before));
    }
    record("system.frequency_ghz",
           h.core_ghz ? fmt::format("{}: a chain of dependent IMULs ran at {:.3f} GHz", where_,
                                    *h.core_ghz)
                      : fmt::format("{}: the TSC rate ({:.3f} GHz; the core clock was not "
                                    "measured)",
                                    where_, h.tsc_ghz));
    const std::string& md = h.meltdown;
    if (md.find("PTI") != std::string::npos || md.find("Vulnerable") != std::string::npos) {
      c_.config.set("kernel.kpti=true");
      record("kernel.kpti", fmt::format("{}: /sys/devices/system/cpu/vulnerabilities/meltdown "
                                        "says \"{}\"",
                                        where_, md));
    } else if (md.find("Not affected") != std::string::npos) {
      c_.config.set("kernel.kpti=false");
      record("kernel.kpti", fmt::format("{}: /sys/devices/system/cpu/vulnerabilities/meltdown "
                                        "says \"{}\"",
                                        where_, md));
    } else {
      note(
          "kernel.kpti kept: the measurements do not say whether the host isolates its page "
          "tables (host.meltdown)");
    }
    say(fmt::format("clock {:.2f} GHz, kpti {}", ghz, c_.config.get_bool("kernel.kpti")));
  }

  /// The chase row of `bytes` with THP (huge pages: no walks), if measured.
  const Row* chase(uint64_t bytes, const std::string& page = "2m") const {
    return m_.find("chase", {{"bytes", std::to_string(bytes)}, {"page_size", page}});
  }
  /// The largest chase working set of `page` at most `limit` bytes and more
  /// than `floor`.
  const Row* chase_below(uint64_t floor, uint64_t limit, const std::string& page = "2m") const {
    const Row* best = nullptr;
    uint64_t best_bytes = 0;
    for (const Row* r : m_.select("chase", {{"page_size", page}})) {
      const uint64_t b = std::stoull(r->param("bytes"));
      if (b > floor && b <= limit && b > best_bytes) best = r, best_bytes = b;
    }
    return best;
  }

  /// The host's caches replace the preset's where sysfs reports them and
  /// the geometry is one the model takes (a power-of-two set count).
  void cache_sizes() {
    const auto pick = [&](int level, const std::string& type) -> const HostCache* {
      const HostCache* best = nullptr;
      for (const HostCache& c : m_.host.caches)
        if (c.type == type && (level ? c.level == level : (!best || c.level > best->level)))
          best = &c;
      return best;
    };
    const std::vector<std::pair<std::string, const HostCache*>> levels = {
        {"l1d", pick(1, "Data")},
        {"l1i", pick(1, "Instruction")},
        {"l2", pick(2, "Unified")},
        {"llc", pick(0, "Unified")}};
    for (const auto& [name, hc] : levels) {
      if (!hc || hc->ways <= 0 || (name == "llc" && hc->level < 3)) continue;
      const std::string size = fmt::format("cache.{}.size_bytes", name);
      const std::string ways = fmt::format("cache.{}.ways", name);
      sim::Config trial = c_.config;
      try {
        trial.set(fmt::format("{}={}", size, hc->bytes));
        trial.set(fmt::format("{}={}", ways, hc->ways));
        trial.validate();
      } catch (const sim::ConfigError& e) {
        note(
            fmt::format("cache.{} kept: the host's L{} {} ({} bytes, {} ways) is not a geometry "
                        "the model takes ({})",
                        name, hc->level, hc->type, hc->bytes, hc->ways, e.what()));
        continue;
      }
      c_.config = trial;
      const std::string how =
          fmt::format("{}: sysfs cache/index* of CPU 0, L{} {}: {} bytes, {} ways", where_,
                      hc->level, hc->type, hc->bytes, hc->ways);
      record(size, how);
      record(ways, how);
    }
  }

  // 2. Memory.
  void memory() {
    cache_sizes();
    const auto size = [&](const char* level) {
      return uint64_t(c_.config.get_int(fmt::format("cache.{}.size_bytes", level)));
    };
    const uint64_t l1 = size("l1d"), l2 = size("l2"), llc = size("llc");
    struct Level {
      const char* path;
      const Row* row;
      const char* what;
    };
    // A plateau's latency where the working set is well inside the level:
    // half of L1 or L2; an eighth of the LLC, which other cores (other
    // guests, in a VM) share.
    const Row* dram = chase_below(4 * llc, uint64_t(1) << 40);
    const std::vector<Level> levels = {
        {"cache.l1d.latency_cycles", chase_below(0, l1 / 2), "L1D"},
        {"cache.l2.latency_cycles", chase_below(2 * l1, l2 / 2), "L2"},
        {"cache.llc.latency_cycles", chase_below(2 * l2, llc / 8), "LLC"},
    };
    for (const Level& lv : levels) {
      if (!lv.row) {
        note(fmt::format("{} kept: no pointer chase with huge pages fits the {} of the preset",
                         lv.path, lv.what));
        continue;
      }
      put(c_.config, lv.path, cycles(lv.row->median));
      record(lv.path, fmt::format("{}: dependent pointer chase over {} bytes with THP, {:.2f} ns "
                                  "per load",
                                  where_, lv.row->param("bytes"), lv.row->median));
      add("memory", fmt::format("chase {} (THP)", bytes_text(lv.row->param("bytes"))), {}, *lv.row,
          true);
      chase_set_.push_back({lv.path, points_.size() - 1});
    }
    if (dram) {
      const double llc_cycles = double(c_.config.get_int("cache.llc.latency_cycles"));
      put(c_.config, "dram.latency_cycles", cycles(dram->median) - llc_cycles);
      record("dram.latency_cycles",
             fmt::format("{}: dependent pointer chase over {} bytes with THP, {:.1f} ns per "
                         "load, less the LLC's latency",
                         where_, dram->param("bytes"), dram->median));
      add("memory", fmt::format("chase {} (THP)", bytes_text(dram->param("bytes"))), {}, *dram,
          true);
      chase_set_.push_back({"", points_.size() - 1});
    } else {
      note("dram.latency_cycles kept: no pointer chase with huge pages beyond the LLC");
    }
    say(fmt::format(
        "latencies L1D {} L2 {} LLC {} DRAM {} cycles",
        c_.config.get_int("cache.l1d.latency_cycles"), c_.config.get_int("cache.l2.latency_cycles"),
        c_.config.get_int("cache.llc.latency_cycles"), c_.config.get_int("dram.latency_cycles")));

    const std::string gib = std::to_string(uint64_t(1) << 30);
    const Row* huge = m_.find("indep", {{"bytes", gib}, {"page_size", "2m"}});
    const Row* small = m_.find("indep", {{"bytes", gib}, {"page_size", "4k"}});
    if (huge) {
      Point& p = add("memory", "independent loads, 1 GiB (THP)", indep_probe(kIndep, kWarm, true),
                     *huge, true);
      fit_mshrs(p);
    } else {
      note("core.l1d_mshrs kept: no independent random loads with huge pages were measured");
    }
    if (small) {
      Point& p = add("memory", "independent loads, 1 GiB (4 KiB)",
                     indep_probe(kIndep, kWarm, false), *small, true);
      fit({"mmu.walk_extra_cycles"}, {&p}, 4);
      record("mmu.walk_extra_cycles",
             fmt::format("{}: independent random loads over 1 GiB of 4 KiB pages, {:.1f} ns per "
                         "load (with core.l1d_mshrs fitted to huge pages first)",
                         where_, small->median));
      say(fmt::format("walk extra {} cycles", c_.config.get_int("mmu.walk_extra_cycles")));
    } else {
      note("mmu.walk_extra_cycles kept: no independent random loads with 4 KiB pages");
    }
  }

  /// The fewest miss buffers whose prediction is closest to `p`: the
  /// prediction only falls as buffers are added, so a bisection finds it.
  void fit_mshrs(const Point& p) {
    const std::string path = "core.l1d_mshrs";
    const double want = cycles(p.measured_ns);
    const auto at = [&](int64_t n) {
      sim::Config c = c_.config;
      put(c, path, double(n));
      return simulate(c, p.probe);
    };
    int64_t lo = 1, hi = 256;  // at(lo) >= want > at(hi) is what we look for
    while (hi - lo > 1) {
      const int64_t mid = (lo + hi) / 2;
      (at(mid) > want ? lo : hi) = mid;
    }
    const int64_t best = std::abs(at(lo) - want) <= std::abs(at(hi) - want) ? lo : hi;
    put(c_.config, path, double(best));
    record(path, fmt::format("{}: independent random loads over 1 GiB with THP, {:.1f} ns per "
                             "load (bisection on the simulated cost)",
                             where_, p.measured_ns));
    say(fmt::format("miss buffers {}", best));
  }

  // 3. One parameter, one measurement: the row of `bench` whose params
  // include `match`, predicted by `probe`.
  void single(const std::string& path, const std::string& bench,
              const std::map<std::string, std::string>& match, Probe probe,
              const std::string& what) {
    const Row* row = m_.find(bench, match);
    if (!row) {
      std::string why = "not measured";
      for (const Missing& x : m_.missing)
        if (x.bench == bench) why = x.why;
      note(fmt::format("{} kept: no {} measurement ({})", path, bench, why));
      return;
    }
    Point& p = add(bench, what, std::move(probe), *row, true);
    fit({path}, {&p}, 5);
    record(path, fmt::format("{}: {}, {:.1f} ns", where_, what, row->median));
  }

  // 4. mprotect alone.
  void mprotect_alone() {
    std::vector<Point*> pts = mprotect_points("alone", true);
    add_mprotect_points("blocked", false);
    add_thp_points();
    if (pts.empty()) {
      note("the mprotect costs kept: no mprotect of 4 KiB pages without a peer was measured");
      return;
    }
    const std::vector<std::string> free = {"kernel.flush_fixed_cycles", "kernel.per_pte_cycles",
                                           "kernel.pte_writable_cycles", "kernel.invlpg_cycles",
                                           "kernel.full_flush_cycles"};
    say(fmt::format("mprotect alone: {} points, {} parameters", pts.size(), free.size()));
    fit(free, pts, 2);
    for (const auto& path : free) {
      record(path, fmt::format("{}: mprotect(R) and mprotect(RW) of 1 to {} populated 4 KiB "
                               "pages, no other thread (least squares on relative errors, {} "
                               "points)",
                               where_, max_pages_, pts.size()));
    }
    note(
        "kernel.mmap_lock_cycles and kernel.per_vma_cycles keep the preset's nanoseconds: every "
        "measured call changes one VMA, so they cannot be told from kernel.flush_fixed_cycles, "
        "which takes the rest of the fixed part");
  }

  // 4a. The extra work of a huge-page entry, from mprotect(R) of THP without
  // a peer (the probes map hugetlb pages, which the trace format has; Linux's
  // THP path rewrites the PMD with change_huge_pmd, hugetlb's with
  // hugetlb_change_protection: the same entry, other code).
  void huge_leaves() {
    std::vector<Point*> pts;
    for (Point& p : points_)
      if (p.group == "mprotect 2M" && p.row->param("peer") == "alone" &&
          p.row->param("direction") == "r")
        pts.push_back(&p);
    if (pts.empty()) {
      note("kernel.per_huge_leaf_cycles kept: no mprotect of transparent huge pages was measured");
      return;
    }
    for (Point* p : pts) p->fit = true;
    fit({"kernel.per_huge_leaf_cycles"}, pts, 4);
    record("kernel.per_huge_leaf_cycles",
           fmt::format("{}: mprotect(R) of 1 to {} transparent huge pages, no other thread, less "
                       "what 4 KiB pages cost per entry (Gauss-Newton, {} points)",
                       where_, max_huge_, pts.size()));
  }

  // 4b. The VMA work of a partial mprotect: a split, a merge.
  void vma_changes() {
    for (const bool merge : {false, true}) {
      const std::string op = merge ? "merge" : "split";
      const std::string path = merge ? "kernel.vma_merge_cycles" : "kernel.vma_split_cycles";
      const Row* row = m_.find("mprotect_split", {{"op", op}, {"page_size", "4k"}});
      if (!row) {
        note(fmt::format("{} kept: no mprotect_split {} was measured", path, op));
        continue;
      }
      Point& p = add("mprotect (VMA)",
                     merge ? "1 page back to R: 3 VMAs merge into 1"
                           : "1 page of a 64-page R VMA to RW: it splits in 3",
                     split_probe(merge), *row, true);
      fit({path}, {&p}, 4);
      record(path, fmt::format("{}: mprotect of the middle page of a read-only 64-page VMA "
                               "({}), {:.2f} us, less what the same call costs without it",
                               where_, op, row->median / 1e3));
    }
  }

  // 5. mprotect with an active peer.
  void mprotect_active() {
    std::vector<Point*> pts = mprotect_points("active", true);
    if (pts.empty()) {
      note(
          "kernel.ipi_delivery_cycles kept: no mprotect with an active peer was measured (one "
          "CPU?)");
      return;
    }
    say(fmt::format("mprotect with an active peer: {} points", pts.size()));
    fit({"kernel.ipi_delivery_cycles"}, pts, 4);
    record("kernel.ipi_delivery_cycles",
           fmt::format("{}: mprotect(R) and mprotect(RW) of 1 to {} pages with a thread active "
                       "on the other CPU, less the same without (Gauss-Newton on relative "
                       "errors, {} points)",
                       where_, max_pages_, pts.size()));
    note(
        "kernel.ipi_send_cycles, kernel.ipi_handler_cycles and kernel.ipi_ack_cycles keep the "
        "preset's nanoseconds: with one peer they add to the wait exactly as the delivery does");
  }

  std::vector<Point*> mprotect_points(const std::string& peer, bool fit) {
    const size_t first = points_.size();
    add_mprotect_points(peer, fit);
    std::vector<Point*> out;
    for (size_t i = first; i < points_.size(); ++i)
      if (points_[i].fit) out.push_back(&points_[i]);
    return out;
  }

  void add_mprotect_points(const std::string& peer_name, bool fit) {
    const Peer peer = peer_name == "alone"    ? Peer::kAlone
                      : peer_name == "active" ? Peer::kActive
                                              : Peer::kBlocked;
    for (const Row* r : m_.select("mprotect", {{"page_size", "4k"}, {"peer", peer_name}})) {
      const std::string dir = r->param("direction");
      if (dir != "r" && dir != "rw") continue;
      const uint64_t pages = std::stoull(r->param("pages"));
      max_pages_ = std::max(max_pages_, pages);
      const std::string doubt = peer_doubt(*r);
      Point& p = add("mprotect",
                     fmt::format("{} {}, {}, {}", pages, pages == 1 ? "page" : "pages",
                                 peer_name == "alone" ? "alone" : peer_name + " peer",
                                 dir == "r" ? "R" : "RW"),
                     mprotect_probe(pages, false, peer, dir == "rw"), *r, fit && doubt.empty());
      p.doubt = doubt;
    }
  }

  void add_thp_points() {
    for (const Row* r : m_.select("mprotect_thp", {{"page_size", "2m"}})) {
      const std::string dir = r->param("direction");
      const std::string peer_name = r->param("peer");
      if (dir != "r" && dir != "rw") continue;
      const Peer peer = peer_name == "alone"    ? Peer::kAlone
                        : peer_name == "active" ? Peer::kActive
                                                : Peer::kBlocked;
      const uint64_t pages = std::stoull(r->param("pages"));
      if (peer_name == "alone") max_huge_ = std::max(max_huge_, pages);
      Point& p = add("mprotect 2M",
                     fmt::format("{} huge {}, {}, {}", pages, pages == 1 ? "page" : "pages",
                                 peer_name == "alone" ? "alone" : peer_name + " peer",
                                 dir == "r" ? "R" : "RW"),
                     mprotect_probe(pages, true, peer, dir == "rw"), *r, false);
      p.doubt = peer_doubt(*r);
    }
  }

  /// The sum of squared relative errors of `pts` on `cfg`.
  double objective(const sim::Config& cfg, const std::vector<Point*>& pts) {
    Work work;
    for (const Point* p : pts) work.emplace_back(&cfg, &p->probe);
    const std::vector<double> y = run_all(work, jobs_);
    double sum = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
      const double want = cycles(pts[i]->measured_ns);
      sum += (y[i] - want) * (y[i] - want) / (want * want);
    }
    return sum;
  }

  /// Fits `paths` to `pts`: Gauss-Newton steps with a Jacobian by finite
  /// differences and a bounded least-squares step on relative errors.
  void fit(const std::vector<std::string>& paths, const std::vector<Point*>& pts, int iterations) {
    const size_t n = paths.size();
    for (int it = 0; it < iterations; ++it) {
      std::vector<sim::Config> cfgs(n + 1, c_.config);
      std::vector<double> step(n);
      for (size_t j = 0; j < n; ++j) {
        const double v = get(c_.config, paths[j]);
        step[j] = std::max(50.0, std::abs(v) * 0.2);
        put(cfgs[j + 1], paths[j], v + step[j]);
        step[j] = get(cfgs[j + 1], paths[j]) - v;  // after rounding and clamping
      }
      Work work;
      for (const Point* p : pts)
        for (size_t j = 0; j <= n; ++j) work.emplace_back(&cfgs[j], &p->probe);
      const std::vector<double> y = run_all(work, jobs_);
      std::vector<std::vector<double>> a(pts.size(), std::vector<double>(n, 0));
      std::vector<double> b(pts.size());
      for (size_t i = 0; i < pts.size(); ++i) {
        const double want = cycles(pts[i]->measured_ns);
        const double y0 = y[i * (n + 1)];
        b[i] = (want - y0) / want;
        for (size_t j = 0; j < n; ++j)
          if (step[j] != 0) a[i][j] = (y[i * (n + 1) + j + 1] - y0) / step[j] / want;
      }
      std::vector<double> lo(n), hi(n);
      for (size_t j = 0; j < n; ++j) {
        const sim::ParamSpec* s = sim::find_param(paths[j]);
        const double v = get(c_.config, paths[j]);
        lo[j] = s->min - v;
        hi[j] = s->max - v;
      }
      std::vector<double> d = bounded_least_squares(a, b, lo, hi);
      // A step that makes the fit worse (the model is not linear where a
      // latency hides behind another, e.g. walks behind miss buffers) is
      // halved until it does not.
      const double before = objective(c_.config, pts);
      const sim::Config start = c_.config;
      double moved = 0;
      for (int halving = 0; halving < 8; ++halving) {
        c_.config = start;
        moved = 0;
        for (size_t j = 0; j < n; ++j) {
          const double v = get(start, paths[j]);
          put(c_.config, paths[j], v + d[j]);
          moved = std::max(moved, std::abs(get(c_.config, paths[j]) - v));
        }
        if (moved < 1 || objective(c_.config, pts) <= before) break;
        for (double& x : d) x /= 2;
        if (halving == 7) c_.config = start, moved = 0;
      }
      if (moved < 1) break;  // converged to the integer
    }
  }

  // The table: every point on the calibrated config and on the preset.
  void compare() {
    c_.config.validate();
    sim::Config preset_at_clock = preset_;
    Work work;
    std::vector<size_t> simulated;
    for (size_t i = 0; i < points_.size(); ++i) {
      if (points_[i].probe.trace.empty()) continue;
      simulated.push_back(i);
      work.emplace_back(&c_.config, &points_[i].probe);
      work.emplace_back(&preset_at_clock, &points_[i].probe);
    }
    say(fmt::format("checking {} points on the calibrated model and the preset", simulated.size()));
    const std::vector<double> y = run_all(work, jobs_);
    for (size_t i = 0; i < points_.size(); ++i) {
      const Point& p = points_[i];
      c_.points.push_back({p.group, p.label, p.measured_ns, 0, 0, p.fit, p.doubt, p.params});
    }
    const double preset_ghz = preset_.get_float("system.frequency_ghz");
    for (size_t k = 0; k < simulated.size(); ++k) {
      Compared& out = c_.points[simulated[k]];
      out.predicted_ns = y[2 * k] / ghz();
      out.preset_ns = y[2 * k + 1] / preset_ghz;
    }
    // The chase points are set, not simulated (a text trace cannot make a
    // load wait for the previous one): the level's latency in the model.
    for (const auto& set : chase_set_) {
      const std::string& path = set.first;  // not a structured binding: the lambda uses it
      Compared& out = c_.points[set.second];
      const auto lat = [&](const sim::Config& c) {
        return path.empty() ? double(c.get_int("cache.llc.latency_cycles") +
                                     c.get_int("dram.latency_cycles"))
                            : double(c.get_int(path));
      };
      out.predicted_ns = lat(c_.config) / ghz();
      out.preset_ns = lat(preset_) / preset_ghz;
    }
    // Grouped in the order the groups first appear.
    std::vector<std::string> order;
    for (const Compared& p : c_.points)
      if (std::find(order.begin(), order.end(), p.group) == order.end()) order.push_back(p.group);
    std::stable_sort(c_.points.begin(), c_.points.end(), [&](const Compared& a, const Compared& b) {
      return std::find(order.begin(), order.end(), a.group) <
             std::find(order.begin(), order.end(), b.group);
    });
  }

  static std::string bytes_text(const std::string& bytes) {
    const uint64_t b = std::stoull(bytes);
    if (b >= (uint64_t(1) << 30) && b % (uint64_t(1) << 30) == 0)
      return fmt::format("{} GiB", b >> 30);
    if (b >= (uint64_t(1) << 20) && b % (uint64_t(1) << 20) == 0)
      return fmt::format("{} MiB", b >> 20);
    return fmt::format("{} KiB", b >> 10);
  }

  static constexpr unsigned kIndep = 100000, kWarm = 50000;

  const Measurements& m_;
  unsigned jobs_;
  std::function<void(const std::string&)> progress_;
  Calibration c_;
  sim::Config preset_ = sim::Config::defaults();
  std::string where_;
  std::deque<Point> points_;  // stable addresses
  std::vector<std::pair<std::string, size_t>> chase_set_;
  uint64_t max_pages_ = 0, max_huge_ = 0;
};

}  // namespace

std::string nearest_preset(const Host& h) {
  if (h.vendor == "AuthenticAMD" || h.vendor == "HygonGenuine") return "zen3";
  // Intel family 6: Ice Lake-SP (106, 108) and the server cores after it
  // (Sapphire Rapids 143, Emerald Rapids 207, Granite Rapids 173, ...) are
  // nearer Ice Lake-SP than Skylake-SP.
  if (h.vendor == "GenuineIntel" && h.family == 6 && h.model >= 106) return "icelake-sp";
  return std::string(sim::kDefaultPreset);
}

Calibration calibrate(const Measurements& m, const std::string& preset, unsigned jobs,
                      const std::function<void(const std::string&)>& progress) {
  return Fitter(m, preset, jobs, progress).run();
}

std::string overlay_text(const Calibration& c, const Measurements& m) {
  const Host& h = m.host;
  nlohmann::ordered_json j;
  j["base"] = c.preset;
  nlohmann::ordered_json sources = nlohmann::ordered_json::object();
  for (const Setting& s : c.settings) sources[s.path] = s.how;
  j["sources"] = sources;
  for (const Setting& s : c.settings) {
    nlohmann::ordered_json* node = &j;
    size_t start = 0;
    while (true) {
      const size_t dot = s.path.find('.', start);
      if (dot == std::string::npos) {
        (*node)[s.path.substr(start)] = nlohmann::ordered_json::parse(s.value);
        break;
      }
      node = &(*node)[s.path.substr(start, dot - start)];
      start = dot + 1;
    }
  }
  std::string out = fmt::format(
      "// pkusim config overlay written by `pkusim calibrate` from {}\n"
      "// measured on {} ({} family {} model {}), Linux {}, {}; {} CPUs{}\n"
      "// Load it with `pkusim run -c FILE`; `pkusim config describe -c FILE` shows each\n"
      "// value's source. The rest of the machine is the {} preset's.\n",
      m.origin, h.cpu, h.vendor, h.family, h.model, h.kernel, h.date, h.cpus,
      h.hypervisor_vendor.empty() ? "" : ", a " + h.hypervisor_vendor + " guest", c.preset);
  for (const std::string& n : c.notes) out += "// note: " + n + "\n";
  return out + j.dump(2) + "\n";
}

}  // namespace pkusim::calibrate
