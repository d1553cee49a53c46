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
#include "sim/app/study_tables.h"
#include "sim/study/metrics.h"
#include "sim/study/runner.h"
#include "sim/study/spec.h"

namespace pkusim::app {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace study_tables;

constexpr const char* kUsage =
    "pkusim study [SPEC] [-o DIR] [-j N] [--no-plots] [-q]\n"
    "  SPEC: a study spec (JSON); without one, the bundled study (configs/study/default.json)\n"
    "  Writes DIR/index.html, DIR/results.csv, DIR/summary.txt, DIR/fig-*.png|svg, "
    "DIR/reports/";

// ------------------------------------------------------------ the command

int study_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("output,o", po::value<std::string>()->default_value("pkusim-study"),
                     "the folder to write into (created; files in it are replaced)")(
      "jobs,j", po::value<unsigned>()->default_value(0),
      "runs at a time (0: one per hardware thread)")(
      "no-plots", "write results and reports but draw no figures (no matplotlib needed)")(
      "plan", "list the runs the spec expands into, and run nothing")(
      "config,c", po::value<std::string>(),
      "run on this configuration instead of the spec's: a preset, or a file such as the "
      "overlay of pkusim calibrate")("quiet,q", "print nothing but errors")(
      "input", po::value<std::vector<std::string>>(), "the study spec");
  const po::variables_map vm = parse("study", opts, args);
  if (help(vm, opts, kUsage)) return kExitOk;
  const auto inputs =
      vm.count("input") ? vm["input"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (inputs.size() > 1) throw UsageError("pkusim study: expected at most one SPEC");
  const std::string config = vm.count("config") ? vm["config"].as<std::string>() : "";
  const study::Study s = inputs.empty()
                             ? study::parse_study(std::string(study::bundled_spec_text()),
                                                  study::kBundledSpecName, ".", config)
                             : study::load_study(inputs[0], config);
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
