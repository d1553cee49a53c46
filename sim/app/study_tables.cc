// The study's results as tables, figures' rows and sentences (see
// study_tables.h).
#include "sim/app/study_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

namespace pkusim::app::study_tables {

// ------------------------------------------------------------ formatting

std::string commas(uint64_t v) { return study::with_commas(v); }

std::string number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : ""; }

std::string bytes(uint64_t v) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  unsigned u = 0;
  double x = double(v);
  while (x >= 1024 && u < 4) x /= 1024, ++u;
  return x == std::floor(x) ? fmt::format("{:.0f} {}", x, units[u])
                            : fmt::format("{:.1f} {}", x, units[u]);
}

std::string si(double v) {
  const char* suffix[] = {"", "K", "M", "G", "T"};
  unsigned s = 0;
  while (std::abs(v) >= 1000 && s < 4) v /= 1000, ++s;
  return fmt::format("{:.3g}{}", v, suffix[s]);
}

// A results cell as people read it.
std::string readable(const std::string& column, const std::string& cell) {
  if (cell.empty()) return "-";
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  if (*end != '\0') return cell;
  if (column == "overhead_pct") {
    if (std::abs(v) < 1000) return fmt::format("{:+.1f}%", v);
    return fmt::format("{}{}%", v < 0 ? '-' : '+', commas(uint64_t(std::llround(std::abs(v)))));
  }
  if (column == "slowdown") return v >= 100 ? fmt::format("{:.0f}x", v) : fmt::format("{:.2f}x", v);
  if (column.size() > 6 && column.ends_with("_bytes")) return bytes(uint64_t(v));
  if (column == "switches_per_sec") return si(v) + "/s";
  if ((v == std::floor(v) || std::abs(v) >= 100) && std::abs(v) < 1e18) {
    return fmt::format("{}{}", v < 0 ? "-" : "", commas(uint64_t(std::llround(std::abs(v)))));
  }
  return fmt::format("{:.3g}", v);
}

// ------------------------------------------------------------ results

std::vector<std::string> columns_of(const study::Study& s, const std::vector<study::RunResult>& r) {
  std::vector<std::string> c = {"experiment", "id", "workload", "params", "variant"};
  c.insert(c.end(), s.axis_columns.begin(), s.axis_columns.end());
  for (const char* d : {"overhead_pct", "slowdown", "cycles_per_switch", "cpu_cycles_per_switch",
                        "switches_per_sec"}) {
    c.push_back(d);
  }
  const study::Metrics any = r.empty() ? study::Metrics{} : r[0].metrics;
  for (const auto& m : study::metric_columns(any)) c.push_back(m);
  return c;
}

std::vector<Row> rows_of(const study::Study& s, const std::vector<study::RunResult>& res) {
  // A workload's name, with its parameters when its generator appears with
  // others in the same experiment.
  std::map<std::pair<size_t, std::string>, std::set<std::string>> params_seen;
  for (const auto& run : s.runs) params_seen[{run.experiment, run.generator}].insert(run.params);
  std::vector<Row> rows;
  for (size_t i = 0; i < s.runs.size(); ++i) {
    const study::StudyRun& run = s.runs[i];
    const study::Metrics& m = res[i].metrics;
    Row r;
    r.cell["experiment"] = s.experiments[run.experiment].name;
    r.cell["id"] = run.id;
    r.cell["workload"] =
        params_seen[{run.experiment, run.generator}].size() > 1 && !run.params.empty()
            ? run.generator + " " + run.params
            : run.generator;
    r.cell["params"] = run.params;
    r.cell["variant"] = run.variant;
    for (const auto& [k, v] : run.axes) r.cell[k] = v;
    if (run.baseline) {
      const study::Metrics& b = res[*run.baseline].metrics;
      const double ratio = b.cycles ? double(m.cycles) / double(b.cycles) : NAN;
      r.cell["overhead_pct"] = number(100 * (ratio - 1));
      r.cell["slowdown"] = number(ratio);
      if (m.switches()) {
        r.cell["cycles_per_switch"] =
            number((double(m.cycles) - double(b.cycles)) / double(m.switches()));
        r.cell["cpu_cycles_per_switch"] =
            number((double(m.cpu_cycles) - double(b.cpu_cycles)) / double(m.switches()));
        if (b.time_ns > 0)
          r.cell["switches_per_sec"] = number(double(m.switches()) / (b.time_ns * 1e-9));
      }
    }
    const auto names = study::metric_columns(m);
    const auto fields = study::metric_fields(m);
    for (size_t k = 0; k < names.size(); ++k) r.cell[names[k]] = fields[k];
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string results_csv(const std::vector<std::string>& cols, const std::vector<Row>& rows) {
  std::string out;
  for (size_t k = 0; k < cols.size(); ++k) {
    if (k) out += ',';
    out += study::csv_field(cols[k]);
  }
  out += "\n";
  for (const Row& r : rows) {
    for (size_t k = 0; k < cols.size(); ++k) {
      const auto it = r.cell.find(cols[k]);
      if (k) out += ',';
      out += study::csv_field(it == r.cell.end() ? "" : it->second);
    }
    out += "\n";
  }
  return out;
}

// ------------------------------------------------------------ tables

std::string short_name(const std::string& v) {
  if (v == "overhead_pct") return "overhead";
  if (v == "cycles_per_switch") return "cyc/switch";
  if (v == "cpu_cycles_per_switch") return "cpu cyc/switch";
  if (v == "stale_accesses") return "stale";
  if (v == "signals") return "SIGSEGV";
  return v;
}

std::string value_name(const std::string& v) {
  if (v == "overhead_pct") return "overhead over the unprotected run";
  if (v == "slowdown") return "slowdown (cycles / unprotected cycles)";
  if (v == "cycles_per_switch") return "cycles per protection switch, over the unprotected run";
  if (v == "cpu_cycles_per_switch") {
    return "CPU cycles per protection switch (every core's busy cycles), over the unprotected run";
  }
  if (v == "switches_per_sec") return "protection switches per second";
  if (v == "stale_accesses") return "stale: accesses a stale TLB entry let through";
  if (v == "signals") return "SIGSEGV: faults delivered";
  return v;
}

std::string values_name(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : "; ") + value_name(v);
  return out;
}

// Rows: the distinct values of the table's row columns, in run order;
// columns: each value for each variant (without `none` for values relative
// to it).
Pivot pivot(const study::Study& s, size_t e, const std::vector<Row>& rows) {
  const study::StudyExperiment& x = s.experiments[e];
  const std::vector<std::string>& values = x.table.values;
  std::vector<std::pair<std::string, std::string>> columns;  // variant, value
  // The baseline's own columns only when it is all there is.
  for (const auto& v : x.variants) {
    if (v == "none" && x.variants.size() > 1) continue;
    for (const auto& value : values) columns.emplace_back(v, value);
  }
  Pivot p;
  p.head = x.table.rows;
  p.keys = x.table.rows.size();
  for (const auto& [v, value] : columns) {
    p.head.push_back(values.size() == 1 ? v : v + " " + short_name(value));
  }
  std::vector<std::vector<std::string>> keys;
  std::map<std::vector<std::string>, std::map<std::pair<std::string, std::string>, std::string>>
      cells;
  for (const Row& r : rows) {
    if (r.cell.at("experiment") != x.name) continue;
    std::vector<std::string> key;
    for (const auto& c : x.table.rows) {
      const auto it = r.cell.find(c);
      key.push_back(it == r.cell.end() ? "" : it->second);
    }
    if (!cells.count(key)) keys.push_back(key);
    for (const auto& value : values) {
      const auto it = r.cell.find(value);
      cells[key][{r.cell.at("variant"), value}] = it == r.cell.end() ? "" : it->second;
    }
  }
  for (const auto& key : keys) {
    std::vector<std::string> line;
    for (size_t k = 0; k < key.size(); ++k) line.push_back(readable(x.table.rows[k], key[k]));
    for (const auto& c : columns) line.push_back(readable(c.second, cells[key][c]));
    p.rows.push_back(std::move(line));
  }
  return p;
}

std::string text_table(const Pivot& p) {
  std::vector<size_t> w(p.head.size());
  for (size_t k = 0; k < p.head.size(); ++k) {
    w[k] = p.head[k].size();
    for (const auto& r : p.rows) w[k] = std::max(w[k], r[k].size());
  }
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells, size_t lead) {
    std::string l = "  ";
    for (size_t k = 0; k < cells.size(); ++k) {
      l += k ? "  " : "";
      l += k < lead ? fmt::format("{:<{}}", cells[k], w[k]) : fmt::format("{:>{}}", cells[k], w[k]);
    }
    while (l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(p.head, p.keys);
  bool negative = false;
  for (const auto& r : p.rows) {
    line(r, p.keys);
    for (size_t k = p.keys; k < r.size(); ++k) {
      negative = negative || (r[k].size() > 1 && r[k][0] == '-' &&
                              std::isdigit(static_cast<unsigned char>(r[k][1])));
    }
  }
  if (negative) {
    out +=
        "  (a negative value is not a gain: the protection changed the order of memory events, "
        "whose latencies moved by more than it costs; docs/study.md, \"One run per point\")\n";
  }
  return out;
}

// ------------------------------------------------------------ figures

bool numeric(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return *end == '\0';
}

bool kept(const Row& r, const study::StudyFigure& f, const std::string& experiment) {
  if (r.cell.at("experiment") != experiment) return false;
  for (const auto& [col, values] : f.filter) {
    const auto it = r.cell.find(col);
    const std::string v = it == r.cell.end() ? "" : it->second;
    if (std::find(values.begin(), values.end(), v) == values.end()) return false;
  }
  return true;
}

// One sentence per series of a line figure: its value at the smallest and
// at the largest x, read from the results.
std::string findings(const study::StudyFigure& f, const std::string& experiment,
                     const std::vector<Row>& rows) {
  if (f.kind != "line") return "";
  std::map<std::string, std::vector<std::pair<double, std::string>>> series;
  std::vector<std::string> order;
  for (const Row& r : rows) {
    if (!kept(r, f, experiment)) continue;
    const std::string x = r.cell.count(f.x) ? r.cell.at(f.x) : "";
    const std::string y = r.cell.count(f.y) ? r.cell.at(f.y) : "";
    if (!numeric(x) || !numeric(y)) continue;
    std::string name = f.group.empty() ? f.y : r.cell.at(f.group);
    if (!f.facet.empty()) name += " (" + f.facet + " " + r.cell.at(f.facet) + ")";
    if (!series.count(name)) order.push_back(name);
    series[name].emplace_back(std::strtod(x.c_str(), nullptr), y);
  }
  std::string out;
  for (const auto& name : order) {
    auto& pts = series[name];
    std::stable_sort(pts.begin(), pts.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto show_x = [&](double x) {
      return readable(f.x, number(x)) + (f.x == "threads" ? (x == 1 ? " thread" : " threads") : "");
    };
    out += fmt::format("{}{}: {} at {}, {} at {}.", out.empty() ? "" : " ", name,
                       readable(f.y, pts.front().second), show_x(pts.front().first),
                       readable(f.y, pts.back().second), show_x(pts.back().first));
  }
  return out;
}

// The first experiment's first table value, per variant, from its lowest
// to its highest across the rows: the study's answer in one line each.
std::string headline(const study::Study& s, const std::vector<Row>& rows) {
  if (s.experiments.empty()) return "";
  const study::StudyExperiment& x = s.experiments[0];
  const std::string& value = x.table.values[0];
  std::string out = fmt::format("In short ({}, {}):\n", x.title, value_name(value));
  bool any = false;
  for (const auto& v : x.variants) {
    if (v == "none") continue;
    double lo = INFINITY, hi = -INFINITY;
    std::string lo_at, hi_at;
    for (const Row& r : rows) {
      if (r.cell.at("experiment") != x.name || r.cell.at("variant") != v) continue;
      const auto it = r.cell.find(value);
      if (it == r.cell.end() || !numeric(it->second)) continue;
      const double d = std::strtod(it->second.c_str(), nullptr);
      if (d < lo) lo = d, lo_at = r.cell.at("workload");
      if (d > hi) hi = d, hi_at = r.cell.at("workload");
    }
    if (!std::isfinite(lo)) continue;
    any = true;
    out += fmt::format("  {:<14} {} ({}) to {} ({})\n", v, readable(value, number(lo)), lo_at,
                       readable(value, number(hi)), hi_at);
  }
  return any ? out : "";
}

}  // namespace pkusim::app::study_tables
