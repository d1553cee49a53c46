#include "sim/config/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/param.h"
#include "traces/number.h"

namespace pkusim::sim {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool is_group(std::string_view prefix) {
  const std::string p = std::string(prefix) + ".";
  for (const ParamSpec& s : param_specs()) {
    if (s.path.compare(0, p.size(), p) == 0) return true;
  }
  return false;
}

/// The parameters directly under group `prefix` ("tlb.stlb" -> entries, ways).
std::string group_members(std::string_view prefix) {
  const std::string p = std::string(prefix) + ".";
  std::vector<std::string> names;
  for (const ParamSpec& s : param_specs()) {
    if (s.path.compare(0, p.size(), p) != 0) continue;
    const std::string rest = s.path.substr(p.size());
    const std::string first = rest.substr(0, rest.find('.'));
    if (std::find(names.begin(), names.end(), first) == names.end()) names.push_back(first);
  }
  std::string out;
  for (size_t i = 0; i < names.size() && i < 8; ++i) {
    out += (i ? ", " : "") + std::string(prefix) + "." + names[i];
  }
  if (names.size() > 8) out += ", ...";
  return out;
}

/// "unknown key" with a suggestion that is not the key itself.
std::string unknown_key_message(std::string_view path) {
  if (is_group(path)) {
    return fmt::format("names a group of parameters, not a parameter: expected one of {}",
                       group_members(path));
  }
  const std::string best = closest_param(path);
  if (best.empty() || best == path) return "unknown key";
  return fmt::format("unknown key (did you mean {}?)", best);
}

std::string expected_text(const ParamSpec& s) {
  const auto range = [&] {
    return s.unit.empty() ? fmt::format("{} to {}", s.min, s.max)
                          : fmt::format("{} to {} {}", s.min, s.max, s.unit);
  };
  switch (s.type) {
    case ParamType::kInt:
      return "an integer, " + range();
    case ParamType::kFloat:
      return "a number, " + range();
    case ParamType::kBool:
      return "true or false";
    case ParamType::kChoice: {
      std::string c;
      for (const auto& x : s.choices) c += (c.empty() ? "\"" : ", \"") + x + "\"";
      return "one of " + c;
    }
  }
  return "?";
}

}  // namespace

ConfigError::ConfigError(std::string origin, std::string path, const std::string& message)
    : std::runtime_error(origin.empty() && path.empty() ? message
                         : origin.empty()               ? fmt::format("{}: {}", path, message)
                         : path.empty()                 ? fmt::format("{}: {}", origin, message)
                                        : fmt::format("{}: {}: {}", origin, path, message)),
      origin_(std::move(origin)),
      path_(std::move(path)) {}

std::string closest_param(std::string_view path) {
  // Candidates are the parameters and groups ("cache", "cache.l1d") at the
  // depth of `path`, under the longest group that `path` names correctly.
  const auto parts = split_path(path);
  std::string group;
  for (size_t k = 0; k + 1 < parts.size(); ++k) {
    const std::string next = group.empty() ? parts[k] : group + "." + parts[k];
    if (!is_group(next)) break;
    group = next;
  }
  std::string best;
  size_t best_d = ~size_t{0};
  for (const ParamSpec& s : param_specs()) {
    if (!group.empty() && s.path.compare(0, group.size() + 1, group + ".") != 0) continue;
    const auto sp = split_path(s.path);
    std::string candidate;
    for (size_t k = 0; k < std::min(sp.size(), parts.size()); ++k) {
      candidate += (k ? "." : "") + sp[k];
    }
    const size_t d = edit_distance(path, candidate);
    if (d < best_d) {
      best_d = d;
      best = candidate;
    }
  }
  return best;
}

Config Config::defaults() {
  Config c;
  c.values_ = ordered_json::object();
  for (const ParamSpec& s : param_specs()) {
    ordered_json* node = &c.values_;
    const auto parts = split_path(s.path);
    for (size_t k = 0; k + 1 < parts.size(); ++k) node = &(*node)[parts[k]];
    (*node)[parts.back()] = s.default_value;
  }
  return c;
}

Config Config::preset(std::string_view name) {
  const std::string_view text = preset_text(name);
  if (text.empty()) {
    std::string names;
    for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw ConfigError(
        "", "", fmt::format("unknown preset '{}': expected a JSON file or one of {}", name, names));
  }
  const std::string origin = fmt::format("preset {}", name);
  json j;
  try {
    j = json::parse(text.begin(), text.end(), nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    throw ConfigError(origin, "", fmt::format("not valid JSON: {}", e.what()));
  }
  Config c = defaults();
  if (j.is_object() && j.contains("base")) {
    const std::string base = j["base"].get<std::string>();
    if (base == name) throw ConfigError(origin, "base", "a preset cannot be its own base");
    c = preset(base);
    j.erase("base");
  }
  c.overlay(j, "", origin);
  return c;
}

Config Config::load(const std::string& path_or_preset) {
  if (!preset_text(path_or_preset).empty()) return preset(path_or_preset);
  std::error_code ec;
  if (std::filesystem::is_directory(path_or_preset, ec)) {
    throw ConfigError(path_or_preset, "", "is a directory (expected a JSON file or a preset name)");
  }
  std::ifstream in(path_or_preset, std::ios::binary);
  if (!in) {
    throw ConfigError(path_or_preset, "",
                      "cannot open (not a file, and not a preset name: try pkusim config list)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  json j;
  try {
    j = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    throw ConfigError(path_or_preset, "", fmt::format("not valid JSON: {}", e.what()));
  }
  std::string base = kDefaultPreset;
  if (j.is_object() && j.contains("base")) {
    if (!j["base"].is_string()) throw ConfigError(path_or_preset, "base", "expected a preset name");
    base = j["base"].get<std::string>();
    j.erase("base");
  }
  Config c = preset(base);
  c.overlay(j, "", path_or_preset);
  return c;
}

void Config::overlay_text(std::string_view text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text.begin(), text.end(), nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    throw ConfigError(origin, "", fmt::format("not valid JSON: {}", e.what()));
  }
  if (j.is_object()) j.erase("base");
  overlay(j, "", origin);
}

void Config::overlay(const json& j, const std::string& prefix, const std::string& origin) {
  if (!j.is_object()) {
    throw ConfigError(origin, prefix.empty() ? "(top level)" : prefix,
                      fmt::format("expected an object of parameters, got {}", j.dump()));
  }
  for (const auto& [key, value] : j.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (path == "sources") {
      read_sources(value, origin);
    } else if (find_param(path)) {
      assign(path, value, origin);
    } else if (is_group(path)) {
      overlay(value, path, origin);
    } else {
      throw ConfigError(origin, path, unknown_key_message(path));
    }
  }
}

void Config::read_sources(const json& j, const std::string& origin) {
  if (!j.is_object()) {
    throw ConfigError(
        origin, "sources",
        fmt::format("expected an object of parameter path: source text, got {}", j.dump()));
  }
  for (const auto& [path, text] : j.items()) {
    if (!find_param(path)) throw ConfigError(origin, "sources." + path, unknown_key_message(path));
    if (!text.is_string() || text.get<std::string>().empty()) {
      throw ConfigError(
          origin, "sources." + path,
          fmt::format("expected the source of the value as text, got {}", text.dump()));
    }
    sources_[path] = text.get<std::string>();
  }
}

const std::string* Config::source_of(std::string_view path) const {
  const auto it = sources_.find(path);
  return it == sources_.end() ? nullptr : &it->second;
}

void Config::assign(const std::string& path, const json& v, const std::string& origin) {
  const ParamSpec& s = *find_param(path);
  const auto bad = [&](const std::string& why) {
    throw ConfigError(origin, path, fmt::format("{}: expected {}", why, expected_text(s)));
  };
  json value = v;
  switch (s.type) {
    case ParamType::kInt: {
      if (!v.is_number_integer() &&
          !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>())) {
        bad(fmt::format("wrong type {}", v.dump()));
      }
      const double d = v.get<double>();
      if (d < s.min || d > s.max) bad(fmt::format("{} is out of range", v.dump()));
      value = v.get<int64_t>();
      break;
    }
    case ParamType::kFloat: {
      if (!v.is_number()) bad(fmt::format("wrong type {}", v.dump()));
      const double d = v.get<double>();
      if (!(d >= s.min && d <= s.max)) bad(fmt::format("{} is out of range", v.dump()));
      break;
    }
    case ParamType::kBool:
      if (!v.is_boolean()) bad(fmt::format("wrong type {}", v.dump()));
      break;
    case ParamType::kChoice:
      if (!v.is_string()) bad(fmt::format("wrong type {}", v.dump()));
      if (std::find(s.choices.begin(), s.choices.end(), v.get<std::string>()) == s.choices.end()) {
        bad(fmt::format("unknown value {}", v.dump()));
      }
      break;
  }
  ordered_json* node = &values_;
  const auto parts = split_path(path);
  for (size_t k = 0; k + 1 < parts.size(); ++k) node = &(*node)[parts[k]];
  (*node)[parts.back()] = value;
}

void Config::set(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set", assignment, "expected PATH=VALUE, e.g. core.rob_entries=128");
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  const ParamSpec* spec = find_param(path);
  if (!spec) throw ConfigError("--set", path, unknown_key_message(path));
  json value;
  // Integers as traces write them (0x hex; K, M, G, T for sizes in bytes),
  // else JSON, else a bare word such as lru or none.
  const traces::ParsedNumber n =
      traces::parse_number(text, spec->type == ParamType::kInt && spec->unit == "bytes");
  if (spec->type == ParamType::kInt && n.error == traces::NumberError::kNone) {
    value = n.value;
  } else {
    try {
      value = json::parse(text);
    } catch (const json::exception&) {
      value = text;
    }
  }
  assign(path, value, "--set");
}

const ordered_json& Config::at(std::string_view path) const {
  const ordered_json* node = &values_;
  for (const auto& part : split_path(path)) node = &node->at(part);
  return *node;
}

int64_t Config::get_int(std::string_view path) const { return at(path).get<int64_t>(); }
double Config::get_float(std::string_view path) const { return at(path).get<double>(); }
bool Config::get_bool(std::string_view path) const { return at(path).get<bool>(); }
std::string Config::get_string(std::string_view path) const { return at(path).get<std::string>(); }

namespace {
void print_commented(const ordered_json& j, const std::string& prefix, unsigned indent,
                     std::string& out) {
  out += "{\n";
  size_t i = 0;
  for (const auto& [key, v] : j.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    out += std::string(indent + 2, ' ') + "\"" + key + "\": ";
    if (v.is_object()) {
      print_commented(v, path, indent + 2, out);
    } else {
      out += v.dump();
    }
    if (++i < j.size()) out += ",";
    if (const ParamSpec* s = find_param(path)) {
      out += "  // " + s->description + (s->unit.empty() ? "" : " [" + s->unit + "]");
    }
    out += "\n";
  }
  out += std::string(indent, ' ') + "}";
}
}  // namespace

std::string Config::to_commented_json() const {
  std::string out = "// pkusim effective configuration (pkusim config describe: ranges, sources)\n";
  print_commented(values_, "", 0, out);
  return out + "\n";
}

void Config::validate() const {
  const int64_t line = get_int("cache.line_bytes");
  for (const char* level : {"l1i", "l1d", "l2", "llc"}) {
    const std::string base = std::string("cache.") + level;
    const int64_t size = get_int(base + ".size_bytes");
    const int64_t ways = get_int(base + ".ways");
    if (size % (ways * line) != 0) {
      throw ConfigError("", base + ".size_bytes",
                        fmt::format("{} bytes is not a whole number of sets of {} ways x {} bytes",
                                    size, ways, line));
    }
    const uint64_t sets = uint64_t(size / (ways * line));
    constexpr uint64_t kMaxSets = uint64_t{1} << 24;
    if (sets > kMaxSets) {
      throw ConfigError(
          "", base + ".size_bytes",
          fmt::format("{} bytes / ({} ways x {} bytes) = {} sets: at most {} sets are "
                      "supported",
                      size, ways, line, sets, kMaxSets));
    }
    if (!std::has_single_bit(sets)) {
      throw ConfigError("", base + ".size_bytes",
                        fmt::format("{} bytes / ({} ways x {} bytes) = {} sets: the set count must "
                                    "be a power of two",
                                    size, ways, line, sets));
    }
  }
  for (const char* t : {"l1d_4k", "l1d_2m", "l1d_1g", "l1i_4k", "l1i_2m", "stlb", "stlb_1g"}) {
    const std::string base = std::string("tlb.") + t;
    const int64_t entries = get_int(base + ".entries");
    const int64_t ways = get_int(base + ".ways");
    if (entries == 0) continue;
    if (entries % ways != 0 || !std::has_single_bit(uint64_t(entries / ways))) {
      throw ConfigError(
          "", base + ".entries",
          fmt::format("{} entries / {} ways: the set count must be a whole power of two", entries,
                      ways));
    }
  }
}

}  // namespace pkusim::sim
