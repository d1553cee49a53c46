#include "sim/study/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string_view>

namespace pkusim::study {

namespace {

// "processes.3.faults.total" matches ("processes.", ".faults.total").
bool indexed(std::string_view path, std::string_view head, std::string_view tail) {
  if (path.size() <= head.size() + tail.size()) return false;
  if (path.substr(0, head.size()) != head) return false;
  if (path.substr(path.size() - tail.size()) != tail) return false;
  const std::string_view mid = path.substr(head.size(), path.size() - head.size() - tail.size());
  return !mid.empty() &&
         std::all_of(mid.begin(), mid.end(), [](char c) { return c >= '0' && c <= '9'; });
}

uint64_t sum(const stats::Snapshot& s, std::string_view head, std::string_view tail) {
  uint64_t total = 0;
  for (const stats::Entry& e : s.entries()) {
    if (!e.is_double && indexed(e.path, head, tail)) total += e.u;
  }
  return total;
}

// Every processes.N.syscalls.NAME.calls.
uint64_t syscall_calls(const stats::Snapshot& s) {
  uint64_t total = 0;
  constexpr std::string_view head = "processes.", tail = ".calls";
  for (const stats::Entry& e : s.entries()) {
    const std::string_view p = e.path;
    if (p.substr(0, head.size()) != head || p.size() < tail.size() ||
        p.substr(p.size() - tail.size()) != tail || p.find(".syscalls.") == std::string::npos) {
      continue;
    }
    total += e.u;
  }
  return total;
}

}  // namespace

std::string with_commas(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

namespace {

std::string number(double v) {
  if (!std::isfinite(v)) return "";
  return fmt::format("{}", v);
}

}  // namespace

Metrics metrics_of(const stats::Snapshot& s, bool roi) {
  Metrics m;
  m.roi = roi;
  m.cycles = s.get("total.cycles");
  m.instructions = s.get("total.instructions");
  m.cpu_cycles = sum(s, "cores.", ".cycles") - sum(s, "cores.", ".cycle_stack.idle");
  if (const stats::Entry* t = s.find("total.time_ns"))
    m.time_ns = t->is_double ? t->d : double(t->u);
  m.wrpkru = sum(s, "processes.", ".pkru.wrpkru");
  m.mprotect = sum(s, "processes.", ".syscalls.mprotect.calls");
  m.pkey_mprotect = sum(s, "processes.", ".syscalls.pkey_mprotect.calls");
  m.syscalls = syscall_calls(s);
  m.dtlb_misses = sum(s, "cores.", ".tlb.data.misses");
  m.walks = sum(s, "cores.", ".walks.started");
  m.invlpg = sum(s, "processes.", ".invalidations.local_invlpg") +
             sum(s, "processes.", ".invalidations.remote_invlpg");
  m.full_flushes = sum(s, "processes.", ".invalidations.local_full_flushes") +
                   sum(s, "processes.", ".invalidations.remote_full_flushes");
  m.shootdowns = sum(s, "processes.", ".invalidations.shootdowns");
  m.ipis = sum(s, "processes.", ".invalidations.ipis");
  m.signals = sum(s, "processes.", ".faults.total");
  m.spurious_faults = sum(s, "processes.", ".page_faults.spurious");
  m.stale_accesses = sum(s, "processes.", ".mmu.stale_permission_accesses");
  constexpr std::string_view stack = "total.cycle_stack.";
  for (const stats::Entry& e : s.entries()) {
    if (std::string_view(e.path).substr(0, stack.size()) == stack) {
      m.stack.emplace_back(e.path.substr(stack.size()), e.u);
    }
  }
  return m;
}

Comparison::Comparison(std::vector<Compared> runs, size_t baseline)
    : runs_(std::move(runs)), baseline_(baseline) {
  if (baseline_ >= runs_.size()) throw std::invalid_argument("comparison: no such baseline");
}

double Comparison::overhead_pct(size_t i) const {
  const double base = double(runs_[baseline_].m.cycles);
  if (base == 0) return 0;
  return 100.0 * (double(runs_[i].m.cycles) - base) / base;
}

std::optional<double> Comparison::cycles_per_switch(size_t i) const {
  const Metrics& m = runs_[i].m;
  if (m.switches() == 0) return std::nullopt;
  return (double(m.cycles) - double(runs_[baseline_].m.cycles)) / double(m.switches());
}

std::vector<std::string> metric_columns(const Metrics& any) {
  std::vector<std::string> c = {"cycles",          "cpu_cycles",    "instructions", "time_ns",
                                "switches",        "wrpkru",        "mprotect",     "pkey_mprotect",
                                "syscalls",        "dtlb_misses",   "walks",        "invlpg",
                                "full_flushes",    "shootdowns",    "ipis",         "signals",
                                "spurious_faults", "stale_accesses"};
  for (const auto& [name, v] : any.stack) c.push_back("stack_" + name);
  return c;
}

std::vector<std::string> metric_fields(const Metrics& m) {
  std::vector<std::string> f;
  for (const uint64_t v : {m.cycles, m.cpu_cycles, m.instructions}) f.push_back(std::to_string(v));
  f.push_back(number(m.time_ns));
  for (const uint64_t v : {m.switches(), m.wrpkru, m.mprotect, m.pkey_mprotect, m.syscalls,
                           m.dtlb_misses, m.walks, m.invlpg, m.full_flushes, m.shootdowns, m.ipis,
                           m.signals, m.spurious_faults, m.stale_accesses}) {
    f.push_back(std::to_string(v));
  }
  for (const auto& [name, v] : m.stack) f.push_back(std::to_string(v));
  return f;
}

namespace {

/// A table column: a header, then one cell per run.
struct Column {
  std::string head;
  std::vector<std::string> cells;
};

/// The columns as text: the first left-aligned, the others right-aligned.
std::string table_text(const std::vector<Column>& cols) {
  std::vector<size_t> width;
  for (const Column& c : cols) {
    size_t w = c.head.size();
    for (const auto& s : c.cells) w = std::max(w, s.size());
    width.push_back(w);
  }
  std::string out;
  const auto line = [&](auto cell) {
    std::string l;
    for (size_t k = 0; k < cols.size(); ++k) {
      const std::string s = cell(k);
      if (k) l += "  ";
      l += k == 0 ? fmt::format("{:<{}}", s, width[k]) : fmt::format("{:>{}}", s, width[k]);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line([&](size_t k) { return cols[k].head; });
  const size_t rows = cols.empty() ? 0 : cols[0].cells.size();
  for (size_t i = 0; i < rows; ++i) line([&](size_t k) { return cols[k].cells[i]; });
  return out;
}

}  // namespace

std::string Comparison::text() const {
  std::vector<Column> cols;
  const auto add = [&](std::string head, auto cell) {
    Column c{std::move(head), {}};
    for (size_t i = 0; i < runs_.size(); ++i) c.cells.push_back(cell(i));
    cols.push_back(std::move(c));
  };
  const auto label = [&](size_t i) {
    return runs_[i].label + (i == baseline_ ? " (baseline)" : "");
  };
  add("run", label);
  add("cycles", [&](size_t i) { return with_commas(runs_[i].m.cycles); });
  add("overhead", [&](size_t i) {
    return i == baseline_ ? std::string("-") : fmt::format("{:+.1f}%", overhead_pct(i));
  });
  add("cyc/switch", [&](size_t i) {
    const auto c = cycles_per_switch(i);
    return c ? with_commas(uint64_t(std::max(0.0, std::round(*c)))) +
                   (*c < 0 ? std::string(" (<0)") : std::string())
             : std::string("-");
  });
  add("switches", [&](size_t i) { return with_commas(runs_[i].m.switches()); });
  add("syscalls", [&](size_t i) { return with_commas(runs_[i].m.syscalls); });
  add("dTLB miss", [&](size_t i) { return with_commas(runs_[i].m.dtlb_misses); });
  add("walks", [&](size_t i) { return with_commas(runs_[i].m.walks); });
  add("invlpg", [&](size_t i) { return with_commas(runs_[i].m.invlpg); });
  add("flushes", [&](size_t i) { return with_commas(runs_[i].m.full_flushes); });
  add("shootdowns", [&](size_t i) { return with_commas(runs_[i].m.shootdowns); });
  add("IPIs", [&](size_t i) { return with_commas(runs_[i].m.ipis); });
  add("SIGSEGV", [&](size_t i) { return with_commas(runs_[i].m.signals); });
  add("stale", [&](size_t i) { return with_commas(runs_[i].m.stale_accesses); });
  std::string out = table_text(cols);
  const bool roi = !runs_.empty() && runs_[0].m.roi;
  out += fmt::format(
      "{}; overhead and cycles per switch against the baseline; switches = WRPKRU + mprotect "
      "+ pkey_mprotect; stale = accesses a stale TLB entry allowed (flush_policy none)\n",
      roi ? "over each run's region of interest" : "over each whole run (no region of interest)");

  // Why: the cycle stack of each run, in the components some run has.
  std::vector<Column> why;
  why.push_back({"where the cycles go", {}});
  for (size_t i = 0; i < runs_.size(); ++i) why[0].cells.push_back(label(i));
  // Every run's stack has the same components, in the same order.
  const size_t components = runs_.empty() ? 0 : runs_[0].m.stack.size();
  for (size_t k = 0; k < components; ++k) {
    bool any = false;
    for (const Compared& r : runs_) any = any || (k < r.m.stack.size() && r.m.stack[k].second);
    if (!any) continue;
    Column c{runs_[0].m.stack[k].first, {}};
    for (const Compared& r : runs_) {
      c.cells.push_back(with_commas(k < r.m.stack.size() ? r.m.stack[k].second : 0));
    }
    why.push_back(std::move(c));
  }
  if (why.size() > 1) {
    out += fmt::format(
        "\n{}CPU cycles by cause (the cycle stack, summed over cores; docs/report.md): the extra "
        "cycles of a protected run over the baseline's are where its overhead comes from\n",
        table_text(why));
  }
  return out;
}

std::string Comparison::csv() const {
  std::string out = "label,input,baseline,overhead_pct,cycles_per_switch";
  for (const std::string& c : metric_columns(runs_[0].m)) out += "," + c;
  out += "\n";
  for (size_t i = 0; i < runs_.size(); ++i) {
    const auto c = cycles_per_switch(i);
    out += csv_field(runs_[i].label) + "," + csv_field(runs_[i].input) + "," +
           (i == baseline_ ? "1" : "0") + "," + number(overhead_pct(i)) + "," +
           (c ? number(*c) : "");
    for (const std::string& f : metric_fields(runs_[i].m)) out += "," + f;
    out += "\n";
  }
  return out;
}

nlohmann::ordered_json Comparison::json() const {
  nlohmann::ordered_json j;
  j["baseline"] = baseline_;
  j["region_of_interest"] = !runs_.empty() && runs_[0].m.roi;
  j["runs"] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < runs_.size(); ++i) {
    const Metrics& m = runs_[i].m;
    nlohmann::ordered_json r;
    r["label"] = runs_[i].label;
    r["input"] = runs_[i].input;
    r["overhead_pct"] = overhead_pct(i);
    const auto c = cycles_per_switch(i);
    r["cycles_per_switch"] = c ? nlohmann::ordered_json(*c) : nlohmann::ordered_json(nullptr);
    const auto names = metric_columns(m);
    const auto fields = metric_fields(m);
    for (size_t k = 0; k < names.size(); ++k) {
      if (names[k] == "time_ns") {
        r[names[k]] = m.time_ns;
      } else {
        r[names[k]] = std::stoull(fields[k]);
      }
    }
    j["runs"].push_back(std::move(r));
  }
  return j;
}

}  // namespace pkusim::study
