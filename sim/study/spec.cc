#include "sim/study/spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "sim/study/json_reader.h"
#include "sim/study/metrics.h"
#include "traces/gen/generator.h"
#include "traces/gen/workload.h"

namespace pkusim::study {

namespace {

using json = nlohmann::ordered_json;
using detail::edit_distance;
using detail::is_config_path;
using detail::list;
using detail::nested;
using detail::Reader;

const std::vector<std::string> kAllVariants = {"none", "mprotect", "pkey_mprotect", "wrpkru"};
// Columns of results.csv before the axes, and the derived metrics after them.
const std::vector<std::string> kLeadColumns = {"experiment", "id", "workload", "params", "variant"};
const std::vector<std::string> kDerivedColumns = {"overhead_pct", "slowdown", "cycles_per_switch",
                                                  "cpu_cycles_per_switch", "switches_per_sec"};

struct Axis {
  std::string key;
  std::string path;  // in the spec, for errors
  std::vector<json> values;
};

std::vector<std::string> known_columns(const std::vector<std::string>& axes) {
  std::vector<std::string> c = kLeadColumns;
  c.insert(c.end(), axes.begin(), axes.end());
  c.insert(c.end(), kDerivedColumns.begin(), kDerivedColumns.end());
  for (const auto& m : metric_columns(Metrics{})) c.push_back(m);
  return c;
}

void check_column(const Reader& r, const std::string& column, const std::string& path,
                  const std::vector<std::string>& known, bool allow_stack) {
  if (allow_stack && column == "stack") return;
  if (column.rfind("stack_", 0) == 0) return;  // a cycle-stack component
  if (std::find(known.begin(), known.end(), column) != known.end()) return;
  r.fail(path, fmt::format("unknown column '{}' (columns: {}{})", column, list(known),
                           allow_stack ? ", stack" : ", stack_COMPONENT"));
}

StudyFigure parse_figure(const Reader& r, const json& j, const std::string& path,
                         const std::vector<std::string>& columns) {
  r.keys(j, path,
         {"kind", "x", "y", "group", "facet", "logx", "logy", "normalize", "independent_y",
          "filter", "title", "xlabel", "ylabel", "caption"},
         {"x", "y"});
  StudyFigure f;
  if (j.contains("kind")) {
    f.kind = r.string(j["kind"], path + ".kind");
    if (f.kind != "line" && f.kind != "bar" && f.kind != "stacked") {
      r.fail(path + ".kind",
             fmt::format("unknown kind '{}': expected line, bar or stacked", f.kind));
    }
  }
  f.x = r.string(j["x"], path + ".x");
  check_column(r, f.x, path + ".x", columns, false);
  f.y = r.string(j["y"], path + ".y");
  check_column(r, f.y, path + ".y", columns, f.kind == "stacked");
  if (f.kind == "stacked" && f.y != "stack")
    r.fail(path + ".y", "a stacked figure shows \"stack\"");
  for (const char* k : {"group", "facet"}) {
    if (!j.contains(k)) continue;
    std::string& dst = std::string(k) == "group" ? f.group : f.facet;
    dst = r.string(j[k], path + "." + k);
    check_column(r, dst, path + "." + k, columns, false);
  }
  if (f.kind == "stacked" && !f.group.empty()) {
    r.fail(path + ".group", "a stacked figure has no group (use facet)");
  }
  if (j.contains("logx")) f.logx = r.boolean(j["logx"], path + ".logx");
  if (j.contains("logy")) f.logy = r.boolean(j["logy"], path + ".logy");
  if (j.contains("normalize")) f.normalize = r.boolean(j["normalize"], path + ".normalize");
  if (j.contains("independent_y")) {
    f.independent_y = r.boolean(j["independent_y"], path + ".independent_y");
  }
  if (f.kind != "line" && f.logx) r.fail(path + ".logx", "applies to line figures only");
  if (f.kind == "stacked" && f.logy) r.fail(path + ".logy", "does not apply to stacked figures");
  if (f.kind != "stacked" && f.normalize)
    r.fail(path + ".normalize", "applies to stacked figures only");
  if (j.contains("filter")) {
    const json& fj = j["filter"];
    if (!fj.is_object()) r.fail(path + ".filter", "expected an object {COLUMN: [VALUE, ...]}");
    for (const auto& [col, vals] : fj.items()) {
      const std::string p = path + ".filter." + col;
      check_column(r, col, p, columns, false);
      std::vector<std::string> v;
      if (!vals.is_array() || vals.empty()) r.fail(p, "expected a non-empty array of values");
      for (size_t i = 0; i < vals.size(); ++i)
        v.push_back(r.scalar(vals[i], fmt::format("{}[{}]", p, i)));
      f.filter.emplace_back(col, std::move(v));
    }
  }
  for (const char* k : {"title", "xlabel", "ylabel", "caption"}) {
    if (!j.contains(k)) continue;
    const std::string v = r.string(j[k], path + "." + k);
    const std::string key = k;
    (key == "title"    ? f.title
     : key == "xlabel" ? f.xlabel
     : key == "ylabel" ? f.ylabel
                       : f.caption) = v;
  }
  return f;
}

std::vector<Axis> parse_axes(const Reader& r, const json& j, const std::string& path) {
  if (!j.is_object()) r.fail(path, "expected an object {PARAMETER or CONFIG.PATH: [VALUE, ...]}");
  std::vector<Axis> out;
  for (const auto& [k, v] : j.items()) {
    const std::string p = path + "." + k;
    if (k == "variant") r.fail(p, "the variants are the experiment's \"variants\", not an axis");
    if (!v.is_array() || v.empty()) r.fail(p, "expected a non-empty array of values");
    Axis a{k, p, {}};
    for (size_t i = 0; i < v.size(); ++i) {
      r.scalar(v[i], fmt::format("{}[{}]", p, i));
      a.values.push_back(v[i]);
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<std::string> split_params(const std::string& params) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < params.size()) {
    const size_t comma = params.find(',', start);
    out.push_back(params.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

Study parse_study(const std::string& text, const std::string& origin, const std::string& dir,
                  const std::string& config) {
  const Reader r(origin);
  json j;
  try {
    j = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    r.fail("", fmt::format("not valid JSON: {}", e.what()));
  }
  r.keys(j, "", {"title", "intro", "config", "set", "experiments"}, {"experiments"});
  if (!config.empty()) {
    // Named from the command line: a file is relative to the current folder.
    const bool preset = !sim::preset_text(config).empty();
    j["config"] = preset ? config : std::filesystem::absolute(config).string();
  }
  Study s;
  s.origin = origin;
  s.title = j.contains("title") ? r.string(j["title"], "title") : "pkusim study";
  if (j.contains("intro")) s.intro = r.string(j["intro"], "intro");
  s.config = detail::base_config(r, j, dir, s.config_name);
  const json& ej = j["experiments"];
  if (!ej.is_array() || ej.empty())
    r.fail("experiments", "expected a non-empty array of experiments");
  std::set<std::string> names;
  for (size_t ei = 0; ei < ej.size(); ++ei) {
    const std::string ep = fmt::format("experiments[{}]", ei);
    const json& e = ej[ei];
    r.keys(e, ep, {"name", "title", "about", "workloads", "variants", "axes", "figure", "table"},
           {"name", "workloads"});
    StudyExperiment x;
    x.name = r.string(e["name"], ep + ".name");
    const bool name_ok = !x.name.empty() && std::all_of(x.name.begin(), x.name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!name_ok)
      r.fail(ep + ".name", "expected lower-case letters, digits and '-' (a folder name)");
    if (!names.insert(x.name).second)
      r.fail(ep + ".name", fmt::format("'{}' is used twice", x.name));
    x.title = e.contains("title") ? r.string(e["title"], ep + ".title") : x.name;
    if (e.contains("about")) x.about = r.string(e["about"], ep + ".about");
    x.variants = e.contains("variants") ? r.strings(e["variants"], ep + ".variants") : kAllVariants;
    for (size_t i = 0; i < x.variants.size(); ++i) {
      if (std::find(kAllVariants.begin(), kAllVariants.end(), x.variants[i]) ==
          kAllVariants.end()) {
        r.fail(fmt::format("{}.variants[{}]", ep, i),
               fmt::format("unknown variant '{}': expected {}", x.variants[i], list(kAllVariants)));
      }
    }
    const std::vector<Axis> shared =
        e.contains("axes") ? parse_axes(r, e["axes"], ep + ".axes") : std::vector<Axis>{};
    const json& wj = e["workloads"];
    if (!wj.is_array() || wj.empty())
      r.fail(ep + ".workloads", "expected a non-empty array of workloads");
    size_t index = 0;
    for (size_t wi = 0; wi < wj.size(); ++wi) {
      const std::string wp = fmt::format("{}.workloads[{}]", ep, wi);
      std::string invocation;
      std::vector<Axis> axes = shared;
      if (wj[wi].is_object()) {
        r.keys(wj[wi], wp, {"gen", "axes"}, {"gen"});
        invocation = r.string(wj[wi]["gen"], wp + ".gen");
        if (wj[wi].contains("axes")) {
          for (Axis& a : parse_axes(r, wj[wi]["axes"], wp + ".axes")) {
            for (const Axis& b : shared) {
              if (b.key == a.key) r.fail(a.path, "already an axis of the experiment");
            }
            axes.push_back(std::move(a));
          }
        }
      } else {
        invocation = r.string(wj[wi], wp);
      }
      if (invocation.rfind("gen:", 0) == 0) invocation = invocation.substr(4);
      const size_t colon = invocation.find(':');
      const std::string gname = invocation.substr(0, colon);
      const std::string params = colon == std::string::npos ? "" : invocation.substr(colon + 1);
      const traces::Generator* g = nullptr;
      try {
        g = &traces::find_generator(gname);
        traces::parse_invocation(invocation);
      } catch (const traces::GenError& err) {
        r.fail(wp, err.what());
      }
      bool has_variant = false;
      for (const auto& p : g->params()) has_variant = has_variant || p.name == "variant";
      if (!has_variant) {
        r.fail(wp, fmt::format("{} is not a use case with protection variants (use-case "
                               "generators: crypto-key, kv-store, pmem, watchpoint, gigabytes)",
                               gname));
      }
      const std::vector<std::string> fixed = split_params(params);
      for (const auto& kv : fixed) {
        if (kv.rfind("variant=", 0) == 0)
          r.fail(wp, "the variants are the experiment's \"variants\"");
      }
      // Each axis: a parameter of the generator or a config path; every value valid.
      for (const Axis& a : axes) {
        if (std::find(x.axis_keys.begin(), x.axis_keys.end(), a.key) == x.axis_keys.end()) {
          x.axis_keys.push_back(a.key);
        }
        if (std::find(s.axis_columns.begin(), s.axis_columns.end(), a.key) ==
            s.axis_columns.end()) {
          s.axis_columns.push_back(a.key);
        }
        for (size_t vi = 0; vi < a.values.size(); ++vi) {
          const std::string vp = fmt::format("{}[{}]", a.path, vi);
          if (is_config_path(a.key)) {
            sim::Config c = s.config;
            try {
              c.overlay_text(nested(a.key, a.values[vi]), "");
              c.validate();
            } catch (const sim::ConfigError& err) {
              r.fail(vp, err.what());
            }
          } else {
            bool known = false;
            for (const auto& p : g->params()) known = known || p.name == a.key;
            if (!known) {
              std::vector<std::string> ps;
              for (const auto& p : g->params()) {
                if (p.name != "variant") ps.push_back(p.name);
              }
              r.fail(a.path, fmt::format("'{}' is not a parameter of {} (parameters: {}) nor a "
                                         "config path (those have a dot)",
                                         a.key, gname, list(ps)));
            }
            try {
              g->args({a.key + "=" + r.scalar(a.values[vi], vp)});
            } catch (const traces::GenError& err) {
              r.fail(vp, err.what());
            }
          }
        }
      }
      // The points: every combination of the axes' values, the first axis slowest.
      std::vector<size_t> at(axes.size(), 0);
      for (bool more = true; more;) {
        std::vector<std::string> assignments = fixed;
        sim::Config cfg = s.config;
        std::vector<std::pair<std::string, json>> point;
        for (size_t k = 0; k < axes.size(); ++k) {
          const json& v = axes[k].values[at[k]];
          point.emplace_back(axes[k].key, v);
          if (is_config_path(axes[k].key)) {
            cfg.overlay_text(nested(axes[k].key, v), "");
          } else {
            assignments.push_back(axes[k].key + "=" + r.scalar(v, axes[k].path));
          }
        }
        try {
          cfg.validate();
        } catch (const sim::ConfigError& err) {
          r.fail(ep + ".axes", err.what());
        }
        std::optional<size_t> none_run;
        for (const std::string& variant : x.variants) {
          std::vector<std::string> as = assignments;
          as.push_back("variant=" + variant);
          traces::GenArgs args;
          try {
            args = g->args(as);
          } catch (const traces::GenError& err) {
            r.fail(wp, err.what());
          }
          StudyRun run;
          run.experiment = s.experiments.size();
          run.id = fmt::format("{}/{:03}-{}-{}", x.name, index++, gname, variant);
          run.generator = gname;
          run.params = params;
          run.invocation = "gen:" + args.canonical();
          run.variant = variant;
          for (const auto& [key, v] : point) {
            run.axes.emplace_back(key, is_config_path(key)
                                           ? (v.is_string() ? v.get<std::string>() : v.dump())
                                           : detail::param_value(*g, args, key));
          }
          run.config = cfg;
          if (variant == "none") none_run = s.runs.size();
          s.runs.push_back(std::move(run));
        }
        if (none_run) {
          for (size_t i = s.runs.size() - x.variants.size(); i < s.runs.size(); ++i) {
            s.runs[i].baseline = *none_run;
          }
        }
        more = false;
        for (size_t k = axes.size(); k-- > 0;) {
          if (++at[k] < axes[k].values.size()) {
            more = true;
            break;
          }
          at[k] = 0;
        }
      }
    }
    const std::vector<std::string> columns = known_columns(x.axis_keys);
    if (e.contains("figure")) x.figure = parse_figure(r, e["figure"], ep + ".figure", columns);
    x.table.rows = {"workload"};
    for (const auto& k : x.axis_keys) x.table.rows.push_back(k);
    if (e.contains("table")) {
      const json& t = e["table"];
      r.keys(t, ep + ".table", {"rows", "value"});
      if (t.contains("rows")) {
        x.table.rows = r.strings(t["rows"], ep + ".table.rows");
        for (size_t i = 0; i < x.table.rows.size(); ++i) {
          check_column(r, x.table.rows[i], fmt::format("{}.table.rows[{}]", ep, i), columns, false);
        }
      }
      if (t.contains("value")) {
        const std::string vp = ep + ".table.value";
        x.table.values = t["value"].is_array() ? r.strings(t["value"], vp)
                                               : std::vector<std::string>{r.string(t["value"], vp)};
        for (size_t i = 0; i < x.table.values.size(); ++i) {
          check_column(r, x.table.values[i],
                       t["value"].is_array() ? fmt::format("{}[{}]", vp, i) : vp, columns, false);
        }
      }
    }
    s.experiments.push_back(std::move(x));
  }
  return s;
}

Study load_study(const std::string& path, const std::string& config) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw sim::ConfigError(path, "", "is a directory (expected a study spec, a JSON file)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sim::ConfigError(path, "", "cannot open the study spec");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::filesystem::path p(path);
  return parse_study(ss.str(), path, p.has_parent_path() ? p.parent_path().string() : ".", config);
}

}  // namespace pkusim::study
