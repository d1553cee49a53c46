// pkusim study: the mprotect-versus-WRPKRU study. Runs a study spec (the
// bundled one by default), prints its tables, and writes the reports,
// results.csv, the figures (matplotlib, via tools/plot) and an offline
// index.html into a folder.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/study/metrics.h"
#include "sim/study/runner.h"
#include "sim/study/spec.h"

namespace pkusim::app {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr const char* kUsage =
    "pkusim study [SPEC] [-o DIR] [-j N] [--no-plots] [-q]\n"
    "  SPEC: a study spec (JSON); without one, the bundled study (configs/study/default.json)\n"
    "  Writes DIR/index.html, DIR/results.csv, DIR/summary.txt, DIR/fig-*.png|svg, "
    "DIR/reports/";

// ------------------------------------------------------------ formatting

std::string commas(uint64_t v) {
  std::string d = std::to_string(v), out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return out;
}

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

struct Row {
  std::map<std::string, std::string> cell;  // column -> CSV value
};

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

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string results_csv(const std::vector<std::string>& cols, const std::vector<Row>& rows) {
  std::string out;
  for (size_t k = 0; k < cols.size(); ++k) {
    if (k) out += ',';
    out += csv_field(cols[k]);
  }
  out += "\n";
  for (const Row& r : rows) {
    for (size_t k = 0; k < cols.size(); ++k) {
      const auto it = r.cell.find(cols[k]);
      if (k) out += ',';
      out += csv_field(it == r.cell.end() ? "" : it->second);
    }
    out += "\n";
  }
  return out;
}

// ------------------------------------------------------------ tables

struct Pivot {
  size_t keys = 0;  // leading columns that name the row
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
};

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
  for (const auto& r : p.rows) line(r, p.keys);
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

// ------------------------------------------------------------ processes

// ------------------------------------------------------------ the command

int study_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("output,o", po::value<std::string>()->default_value("pkusim-study"),
                     "the folder to write into (created; files in it are replaced)")(
      "jobs,j", po::value<unsigned>()->default_value(0),
      "runs at a time (0: one per hardware thread)")(
      "no-plots", "write results and reports but draw no figures (no matplotlib needed)")(
      "plan", "list the runs the spec expands into, and run nothing")(
      "quiet,q", "print nothing but errors")("input", po::value<std::vector<std::string>>(),
                                             "the study spec");
  const po::variables_map vm = parse("study", opts, args);
  if (help(vm, opts, kUsage)) return kExitOk;
  const auto inputs =
      vm.count("input") ? vm["input"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (inputs.size() > 1) throw UsageError("pkusim study: expected at most one SPEC");
  const study::Study s = inputs.empty()
                             ? study::parse_study(std::string(study::bundled_spec_text()),
                                                  study::kBundledSpecName, ".")
                             : study::load_study(inputs[0]);
  const bool quiet = vm.count("quiet") > 0;
  if (vm.count("plan")) {
    for (const auto& run : s.runs) {
      std::cout << fmt::format("{}  {}", run.id, run.invocation);
      for (const auto& [k, v] : run.axes) {
        if (k.find('.') != std::string::npos) std::cout << fmt::format(" --set {}={}", k, v);
      }
      std::cout << "\n";
    }
    std::cout << fmt::format("{} runs in {} experiments\n", s.runs.size(), s.experiments.size());
    return kExitOk;
  }
  const fs::path dir = vm["output"].as<std::string>();
  std::error_code ec;
  fs::create_directories(dir / "reports", ec);
  if (ec || !fs::is_directory(dir)) {
    throw OutputError(fmt::format("{}: cannot create the output folder: {}", dir.string(),
                                  ec ? ec.message() : "not a folder"));
  }
  check_output((dir / "results.csv").string());

  std::vector<study::RunRequest> requests;
  for (const auto& run : s.runs) requests.push_back({run.config, {run.invocation}, {}});
  const unsigned workers = study::worker_count(vm["jobs"].as<unsigned>(), requests.size());
  if (!quiet) {
    std::cerr << fmt::format("pkusim study: {} ({}): {} runs in {} experiments on {} worker{}\n",
                             s.title, s.origin, s.runs.size(), s.experiments.size(), workers,
                             workers == 1 ? "" : "s");
  }
  RunsProgress progress("study", quiet, requests.size(), workers);
  const auto results = study::run_all(requests, workers, [&](size_t done, size_t, size_t i) {
    (void)i;
    progress.update(done, false);
  });
  progress.end();
  const double seconds = progress.seconds();

  size_t failed = 0;
  std::exception_ptr first_error;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok) continue;
    ++failed;
    std::cerr << fmt::format("pkusim study: {} ({}): {}\n", s.runs[i].id, s.runs[i].invocation,
                             results[i].error);
    if (!first_error) first_error = results[i].exception;
  }
  if (first_error) {
    std::cerr << fmt::format("pkusim study: {} of {} runs failed; nothing written\n", failed,
                             results.size());
    return exit_code_of(first_error);
  }
  // Reports, then the results table.
  for (size_t i = 0; i < results.size(); ++i) {
    const fs::path p = dir / "reports" / (s.runs[i].id + ".json");
    fs::create_directories(p.parent_path(), ec);
    write_output(p.string(), results[i].report);
  }
  const std::vector<std::string> cols = columns_of(s, results);
  const std::vector<Row> rows = rows_of(s, results);
  write_output((dir / "results.csv").string(), results_csv(cols, rows));

  // Tables, printed and saved.
  std::string summary = fmt::format("{}\n{} runs on {}, over each run's region of interest.\n",
                                    s.title, s.runs.size(), s.config_name);
  const std::string answer = headline(s, rows);
  if (!answer.empty()) summary += "\n" + answer;
  std::vector<Pivot> pivots;
  for (size_t e = 0; e < s.experiments.size(); ++e) {
    const auto& x = s.experiments[e];
    pivots.push_back(pivot(s, e, rows));
    summary += fmt::format("\n{}: {}\n", x.title, values_name(x.table.values));
    summary += text_table(pivots.back());
  }
  write_output((dir / "summary.txt").string(), summary);

  // Figures and the page.
  json page;
  page["title"] = s.title;
  page["intro"] = json::array();
  if (!s.intro.empty()) page["intro"].push_back(s.intro);
  if (!answer.empty()) {
    std::string line;
    for (size_t a = 0, b; (b = answer.find('\n', a)) != std::string::npos; a = b + 1) {
      std::string l = answer.substr(a, b - a);
      while (!l.empty() && l.front() == ' ') l.erase(0, 1);
      size_t sp;
      while ((sp = l.find("  ")) != std::string::npos) l.erase(sp, 1);
      line += line.empty() ? l : (line.back() == ':' ? " " : "; ") + l;
    }
    page["intro"].push_back(line + ".");
  }
  page["intro"].push_back(fmt::format(
      "{} runs on the `{}` configuration. Every number below is in `results.csv` (one row per "
      "run) and each run's full report is in `reports/`.",
      s.runs.size(), s.config_name));
  page["sections"] = json::array();
  json plan;
  plan["figures"] = json::array();
  for (size_t e = 0; e < s.experiments.size(); ++e) {
    const auto& x = s.experiments[e];
    json section;
    section["heading"] = x.title;
    section["text"] = json::array();
    if (!x.about.empty()) section["text"].push_back(x.about);
    if (x.figure) {
      const study::StudyFigure& f = *x.figure;
      const std::string name = "fig-" + x.name;
      // The figure's data: its rows of results.csv, without the points a
      // logarithmic axis cannot show (said in the caption).
      std::vector<Row> drawn;
      std::vector<std::string> dropped;
      for (const Row& r : rows) {
        if (!kept(r, f, x.name)) continue;
        const auto positive = [&](const std::string& c) {
          const auto it = r.cell.find(c);
          return it != r.cell.end() && numeric(it->second) &&
                 std::strtod(it->second.c_str(), nullptr) > 0;
        };
        if ((f.logy && f.y != "stack" && !positive(f.y)) || (f.logx && !positive(f.x))) {
          std::string what = r.cell.at("variant");
          for (const auto& [k, v] : s.runs[&r - rows.data()].axes)
            what += " " + k + " " + readable(k, v);
          dropped.push_back(fmt::format("{} ({} = {})", what, f.y,
                                        readable(f.y, r.cell.count(f.y) ? r.cell.at(f.y) : "")));
          continue;
        }
        drawn.push_back(r);
      }
      write_output((dir / (name + ".csv")).string(), results_csv(cols, drawn));
      json fig;
      fig["csv"] = (dir / (name + ".csv")).string();
      fig["output"] = (dir / name).string();
      fig["kind"] = f.kind;
      fig["x"] = f.x;
      fig["y"] = json::array();
      if (f.y == "stack") {
        for (const auto& c : cols) {
          if (c.rfind("stack_", 0) != 0) continue;
          bool nonzero = false;
          for (const Row& r : rows) {
            nonzero = nonzero || (kept(r, f, x.name) && r.cell.at(c) != "0");
          }
          if (nonzero) fig["y"].push_back(c);
        }
      } else {
        fig["y"].push_back(f.y);
      }
      for (const char* k : {"group", "facet", "title", "xlabel", "ylabel"}) {
        const std::string key = k;
        const std::string& v = key == "group"    ? f.group
                               : key == "facet"  ? f.facet
                               : key == "title"  ? f.title
                               : key == "xlabel" ? f.xlabel
                                                 : f.ylabel;
        if (!v.empty()) fig[k] = v;
      }
      fig["logx"] = f.logx;
      fig["logy"] = f.logy;
      fig["normalize"] = f.normalize;
      fig["independent_y"] = f.independent_y;
      plan["figures"].push_back(fig);
      json pf;
      pf["src"] = name + ".svg";
      pf["alt"] = f.title.empty() ? x.title : f.title;
      std::string caption = f.caption;
      const std::string found = findings(f, x.name, rows);
      if (!found.empty()) caption += (caption.empty() ? "" : " ") + found;
      if (!dropped.empty()) {
        std::string d;
        for (const auto& x2 : dropped) d += (d.empty() ? "" : "; ") + x2;
        caption += fmt::format(
            " Not drawn, being zero or below on a logarithmic axis (within the "
            "run-to-run noise of the memory system): {}.",
            d);
      }
      if (!caption.empty()) pf["caption"] = caption;
      section["figures"] = json::array({pf});
    }
    const Pivot& p = pivots[e];
    section["table"]["columns"] = p.head;
    section["table"]["rows"] = p.rows;
    section["table"]["caption"] = values_name(x.table.values);
    page["sections"].push_back(section);
  }
  page["footer"] = json::array(
      {fmt::format("Written by `pkusim study {}` (pkusim {}). The same spec gives the same "
                   "files, whatever the number of workers.",
                   inputs.empty() ? "" : inputs[0], PKUSIM_VERSION),
       "How the model works and where each cost comes from: docs/model.md; what this study "
       "finds and how it compares with published measurements: docs/study.md."});
  plan["page"] = page;
  plan["page_out"] = (dir / "index.html").string();
  const std::string plan_path = (dir / "figures.json").string();
  write_output(plan_path, plan.dump(2) + "\n");

  int status = 0;
  if (!vm.count("no-plots")) {
    status = run_process({python_interpreter(),
                          (fs::path(plot_tools_dir()) / "pkusim_figures.py").string(), plan_path});
    if (status != 0) {
      std::cerr << fmt::format(
          "pkusim study: the figures and index.html were not drawn ({} {} exited with {}{}); "
          "results.csv, summary.txt and reports/ are in {}. Install Debian's python3-matplotlib "
          "(tools/setup.sh does), set PKUSIM_PYTHON to a python with matplotlib, or pass "
          "--no-plots\n",
          python_interpreter(), (fs::path(plot_tools_dir()) / "pkusim_figures.py").string(), status,
          status == 127 ? ": not found"
          : status == 3 ? ": matplotlib is missing"
                        : "",
          dir.string());
    }
  }
  if (!quiet) {
    std::cout << summary;
    std::cout << fmt::format("\n{} runs in {:.1f} s on {} worker{}. ", s.runs.size(), seconds,
                             workers, workers == 1 ? "" : "s");
    if (vm.count("no-plots") || status != 0) {
      std::cout << fmt::format("Results: {}/results.csv, {}/summary.txt, {}/reports/\n",
                               dir.string(), dir.string(), dir.string());
    } else {
      std::cout << fmt::format(
          "Open {}/index.html for the figures; all numbers are in "
          "{}/results.csv.\n",
          dir.string(), dir.string());
    }
  }
  size_t failures = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    for (const std::string& f : results[i].expect_failures) {
      std::cerr << fmt::format("pkusim study: {}: {}\n", s.runs[i].id, f);
      ++failures;
    }
  }
  if (failures) {
    std::cerr << fmt::format("pkusim study: {} assertion{} failed\n", failures,
                             failures == 1 ? "" : "s");
    return kExitCheckFailed;
  }
  return status == 0 ? kExitOk : kExitIo;
}

}  // namespace

Command study_command() {
  return {"study",
          "the mprotect-versus-WRPKRU study: use cases, variants, tables, figures and a page "
          "(the bundled one, or a spec)",
          study_main};
}

}  // namespace pkusim::app
