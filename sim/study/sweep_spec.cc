// The sweep spec: parsing, validation and expansion into runs (sweep.h).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "sim/report.h"
#include "sim/simulation.h"
#include "sim/study/json_reader.h"
#include "sim/study/sweep.h"
#include "sim/util/atomic_file.h"
#include "traces/formats/format.h"
#include "traces/gen/generator.h"

namespace pkusim::study {

namespace {

namespace fs = std::filesystem;
using detail::is_config_path;
using detail::json;
using detail::list;
using detail::nested;
using detail::Reader;

// FNV-1a, 64 bits: a stable, platform-independent hash for run ids.
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// A dotted statistic path with every all-digit segment written N.
std::string normalized(const std::string& path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string::npos) dot = path.size();
    const std::string seg = path.substr(start, dot - start);
    const bool digits = !seg.empty() && std::all_of(seg.begin(), seg.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
    out += (out.empty() ? "" : ".") + (digits ? std::string("N") : seg);
    start = dot + 1;
  }
  return out;
}

std::string value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

struct Axis {
  std::vector<std::string> keys;
  std::vector<std::vector<json>> values;  // values[point][key]
  std::string path;
};

}  // namespace

const std::vector<std::string>& named_metrics() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = metric_columns(Metrics{});
    return n;
  }();
  return names;
}

bool known_statistic(const std::string& path) {
  static const std::set<std::string> known = [] {
    // A small run that creates every kind of group: two threads, system
    // calls, a fault (as `pkusim stats` does).
    sim::Simulation s(sim::Config::preset(sim::kDefaultPreset), sim::Mode::kTiming);
    s.add_text("sample",
               "mmap 0x7f0000000000 64K rw populate\npkey_alloc\n"
               "pkey_mprotect 0x7f0000000000 4K rw 1\nthread 1\nload 0x7f0000000000 8\n"
               "thread 0\nmprotect 0x7f0000000000 64K r\n");
    s.run();
    std::set<std::string> k;
    const stats::Snapshot snap = s.stats();
    for (const stats::Entry& e : snap.entries()) k.insert(normalized(e.path));
    return k;
  }();
  const std::string p = path.rfind("whole.", 0) == 0 ? path.substr(6) : path;
  return known.count(normalized(p)) > 0;
}

Sweep parse_sweep(const std::string& text, const std::string& origin, const std::string& dir) {
  const Reader r(origin);
  json j;
  try {
    j = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    r.fail("", fmt::format("not valid JSON: {}", e.what()));
  }
  r.keys(j, "", {"title", "config", "set", "workloads", "axes", "zip", "seeds", "metrics"},
         {"workloads"});
  Sweep s;
  s.origin = origin;
  const auto resolve = [&](const std::string& p) {
    if (p.empty() || fs::path(p).is_absolute() || dir.empty() || dir == ".") return p;
    return (fs::path(dir) / p).string();
  };
  const sim::Config base = detail::base_config(r, j, dir, s.config_name);

  // Workloads.
  struct Workload {
    std::string name, input, format;
    const traces::Generator* gen = nullptr;
    std::vector<std::string> fixed;  // its own parameters
  };
  std::vector<Workload> workloads;
  const json& wj = j["workloads"];
  if (!wj.is_array() || wj.empty()) r.fail("workloads", "expected a non-empty array of workloads");
  for (size_t i = 0; i < wj.size(); ++i) {
    const std::string p = fmt::format("workloads[{}]", i);
    Workload w;
    if (wj[i].is_object()) {
      r.keys(wj[i], p, {"name", "input", "format"}, {"input"});
      w.input = r.string(wj[i]["input"], p + ".input");
      if (wj[i].contains("name")) w.name = r.string(wj[i]["name"], p + ".name");
      if (wj[i].contains("format")) w.format = r.string(wj[i]["format"], p + ".format");
    } else {
      w.input = r.string(wj[i], p);
    }
    if (!w.format.empty() && !traces::find_format(w.format)) {
      r.fail(p + ".format",
             fmt::format("unknown format '{}': expected {}", w.format, traces::format_names()));
    }
    if (!w.format.empty() && w.input.rfind("gen:", 0) == 0) {
      r.fail(p + ".format", "a generator has no format (format is for trace files)");
    }
    if (w.input.rfind("gen:", 0) == 0) {
      try {
        const auto [g, a] = traces::parse_invocation(w.input.substr(4));
        w.gen = g;
      } catch (const traces::GenError& e) {
        r.fail(p, e.what());
      }
      const std::string rest = w.input.substr(4);
      const size_t colon = rest.find(':');
      if (colon != std::string::npos) {
        std::string params = rest.substr(colon + 1);
        for (size_t a = 0; a <= params.size();) {
          const size_t comma = std::min(params.find(',', a), params.size());
          if (comma > a) w.fixed.push_back(params.substr(a, comma - a));
          a = comma + 1;
        }
      }
      if (w.name.empty()) w.name = w.gen->name();
    } else {
      w.input = resolve(w.input);
      std::error_code ec;
      if (!fs::is_regular_file(w.input, ec))
        r.fail(p, fmt::format("{}: no such trace file", w.input));
      if (w.name.empty()) w.name = fs::path(w.input).stem().string();
    }
    for (size_t k = 0; k < workloads.size(); ++k) {
      if (workloads[k].name == w.name) {
        r.fail(p, fmt::format("the name '{}' is also workloads[{}]'s: give each workload a "
                              "\"name\" ({{\"name\": ..., \"input\": ...}})",
                              w.name, k));
      }
    }
    workloads.push_back(std::move(w));
  }

  // Axes: each key alone, or a zipped group.
  std::vector<Axis> axes;
  const auto check_key = [&](const std::string& key, const std::string& p) {
    if (is_config_path(key)) return;
    if (key == "seed") r.fail(p, "seeds are the spec's \"seeds\", not an axis");
    for (const Workload& w : workloads) {
      bool has = false;
      if (w.gen) {
        for (const auto& gp : w.gen->params()) has = has || gp.name == key;
      }
      if (!has) {
        r.fail(p, fmt::format("'{}' is not a config path (those have a dot) nor a parameter of "
                              "workload '{}'{}",
                              key, w.name, w.gen ? "" : " (a trace file has none)"));
      }
    }
  };
  const auto check_value = [&](const std::string& key, const json& v, const std::string& p) {
    r.scalar(v, p);
    if (is_config_path(key)) {
      sim::Config c = base;
      try {
        c.overlay_text(nested(key, v), "");
        c.validate();
      } catch (const sim::ConfigError& e) {
        r.fail(p, e.what());
      }
      return;
    }
    for (const Workload& w : workloads) {
      try {
        w.gen->args({key + "=" + value_text(v)});
      } catch (const traces::GenError& e) {
        r.fail(p, e.what());
      }
    }
  };
  std::set<std::string> seen_keys;
  const auto add_key = [&](const std::string& key, const std::string& p) {
    if (!seen_keys.insert(key).second) r.fail(p, fmt::format("'{}' is already an axis", key));
    s.axis_columns.push_back(key);
  };
  if (j.contains("axes")) {
    const json& aj = j["axes"];
    if (!aj.is_object())
      r.fail("axes", "expected an object {CONFIG.PATH or PARAMETER: [VALUE, ...]}");
    for (const auto& [k, v] : aj.items()) {
      const std::string p = "axes." + k;
      check_key(k, p);
      add_key(k, p);
      if (!v.is_array() || v.empty()) r.fail(p, "expected a non-empty array of values");
      Axis a{{k}, {}, p};
      for (size_t i = 0; i < v.size(); ++i) {
        check_value(k, v[i], fmt::format("{}[{}]", p, i));
        a.values.push_back({v[i]});
      }
      axes.push_back(std::move(a));
    }
  }
  if (j.contains("zip")) {
    const json& zj = j["zip"];
    if (!zj.is_array()) r.fail("zip", "expected an array of groups {KEY: [VALUE, ...], ...}");
    for (size_t g = 0; g < zj.size(); ++g) {
      const std::string gp = fmt::format("zip[{}]", g);
      if (!zj[g].is_object() || zj[g].size() < 2) {
        r.fail(gp, "expected an object of at least two axes whose values move together");
      }
      Axis a{{}, {}, gp};
      size_t n = 0;
      for (const auto& [k, v] : zj[g].items()) {
        const std::string p = gp + "." + k;
        check_key(k, p);
        add_key(k, p);
        if (!v.is_array() || v.empty()) r.fail(p, "expected a non-empty array of values");
        if (a.keys.empty()) {
          n = v.size();
          a.values.resize(n);
        } else if (v.size() != n) {
          r.fail(p, fmt::format("{} values, but {} has {}: zipped axes move together", v.size(),
                                a.keys[0], n));
        }
        for (size_t i = 0; i < v.size(); ++i) {
          // Config values are checked together, point by point, below.
          if (!is_config_path(k)) check_value(k, v[i], fmt::format("{}[{}]", p, i));
          r.scalar(v[i], fmt::format("{}[{}]", p, i));
          a.values[i].push_back(v[i]);
        }
        a.keys.push_back(k);
      }
      for (size_t i = 0; i < a.values.size(); ++i) {
        sim::Config c = base;
        try {
          for (size_t k = 0; k < a.keys.size(); ++k) {
            if (is_config_path(a.keys[k])) c.overlay_text(nested(a.keys[k], a.values[i][k]), "");
          }
          c.validate();
        } catch (const sim::ConfigError& e) {
          r.fail(fmt::format("{} (values [{}])", gp, i), e.what());
        }
      }
      axes.push_back(std::move(a));
    }
  }
  std::vector<std::optional<uint64_t>> seeds = {std::nullopt};
  if (j.contains("seeds")) {
    const json& sj = j["seeds"];
    if (!sj.is_array() || sj.empty()) r.fail("seeds", "expected a non-empty array of integers");
    seeds.clear();
    for (size_t i = 0; i < sj.size(); ++i) {
      if (!sj[i].is_number_unsigned()) {
        r.fail(fmt::format("seeds[{}]", i),
               "expected a non-negative integer, got " + Reader::kind(sj[i]));
      }
      seeds.emplace_back(sj[i].get<uint64_t>());
    }
    for (const Workload& w : workloads) {
      if (!w.gen)
        r.fail("seeds", fmt::format("workload '{}' is a trace file: it has no seed", w.name));
    }
  }
  s.metrics = named_metrics();
  if (j.contains("metrics")) {
    s.metrics = r.strings(j["metrics"], "metrics");
    std::set<std::string> dup;
    for (size_t i = 0; i < s.metrics.size(); ++i) {
      const std::string& m = s.metrics[i];
      const std::string p = fmt::format("metrics[{}]", i);
      if (!dup.insert(m).second) r.fail(p, fmt::format("'{}' is listed twice", m));
      const auto& names = named_metrics();
      if (std::find(names.begin(), names.end(), m) != names.end()) continue;
      if (m.rfind("stack_", 0) == 0) continue;
      if (m.find('.') == std::string::npos || !known_statistic(m)) {
        r.fail(p, fmt::format("unknown metric '{}': expected one of {}, stack_COMPONENT, or a "
                              "statistic path such as processes.0.page_faults.minor (pkusim stats "
                              "lists them; whole.PATH for the whole run when there is a region of "
                              "interest)",
                              m, list(names)));
      }
    }
  }

  // Expand: workloads, then the axes (the first slowest), then the seeds.
  std::map<std::string, size_t> ids;
  for (const Workload& w : workloads) {
    std::vector<size_t> at(axes.size(), 0);
    for (bool more = true; more;) {
      for (const auto& seed : seeds) {
        SweepRun run;
        run.index = s.runs.size();
        run.workload = w.name;
        run.format = w.format;
        run.seed = w.gen ? seed : std::nullopt;
        sim::Config cfg = base;
        std::vector<std::string> assignments = w.fixed;
        for (size_t a = 0; a < axes.size(); ++a) {
          for (size_t k = 0; k < axes[a].keys.size(); ++k) {
            const std::string& key = axes[a].keys[k];
            const json& v = axes[a].values[at[a]][k];
            run.axes.emplace_back(key, value_text(v));
            if (is_config_path(key)) {
              cfg.overlay_text(nested(key, v), "");
            } else {
              assignments.push_back(key + "=" + value_text(v));
            }
          }
        }
        try {
          cfg.validate();
        } catch (const sim::ConfigError& e) {
          r.fail("axes", e.what());
        }
        run.config = cfg;
        if (w.gen) {
          // Later assignments of a key replace earlier ones.
          std::map<std::string, std::string> last;
          std::vector<std::string> order;
          for (const auto& kv : assignments) {
            const std::string key = kv.substr(0, kv.find('='));
            if (!last.count(key)) order.push_back(key);
            last[key] = kv;
          }
          if (seed) {
            if (!last.count("seed")) order.push_back("seed");
            last["seed"] = fmt::format("seed={}", *seed);
          }
          std::vector<std::string> final_assignments;
          for (const auto& k : order) final_assignments.push_back(last[k]);
          try {
            const traces::GenArgs args = w.gen->args(final_assignments);
            run.input = "gen:" + args.canonical();
            // Parameters as numbers (sizes in bytes), as the study writes them.
            for (auto& [key, value] : run.axes) {
              if (!is_config_path(key)) value = detail::param_value(*w.gen, args, key);
            }
          } catch (const traces::GenError& e) {
            r.fail("axes", e.what());
          }
        } else {
          run.input = w.input;
        }
        const std::string identity = run.config.values().dump() + "\n" + run.input + "\n" +
                                     run.format + "\n" +
                                     (run.seed ? std::to_string(*run.seed) : std::string());
        run.id = fmt::format("{:016x}", fnv1a(identity));
        if (const auto it = ids.find(run.id); it != ids.end()) {
          r.fail("workloads", fmt::format("runs {} and {} are the same run (the same config, "
                                          "input and seed)",
                                          it->second, run.index));
        }
        ids[run.id] = run.index;
        s.runs.push_back(std::move(run));
      }
      more = false;
      for (size_t a = axes.size(); a-- > 0;) {
        if (++at[a] < axes[a].values.size()) {
          more = true;
          break;
        }
        at[a] = 0;
      }
    }
  }
  if (j.contains("seeds")) s.axis_columns.insert(s.axis_columns.begin(), "seed");
  return s;
}

Sweep load_sweep(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw sim::ConfigError(path, "", "is a directory (expected a sweep spec, a JSON file)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sim::ConfigError(path, "", "cannot open the sweep spec");
  std::stringstream ss;
  ss << in.rdbuf();
  const fs::path p(path);
  return parse_sweep(ss.str(), path, p.has_parent_path() ? p.parent_path().string() : ".");
}

}  // namespace pkusim::study
