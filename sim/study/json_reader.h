#pragma once
// What the spec readers of sim/study share (study and sweep specs): JSON read
// with errors that name the file, the JSON path and what was expected, as
// configs are read (sim::ConfigError).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config/config.h"
#include "traces/gen/generator.h"

namespace pkusim::study::detail {

using json = nlohmann::ordered_json;

inline size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

inline std::string list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    throw sim::ConfigError(origin_, path, message);
  }
  void keys(const json& j, const std::string& path, const std::vector<std::string>& allowed,
            const std::vector<std::string>& required = {}) const {
    if (!j.is_object())
      fail(path.empty() ? "(top level)" : path, "expected an object, got " + kind(j));
    for (const auto& [k, v] : j.items()) {
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      std::string best;
      size_t dist = 4;
      for (const auto& a : allowed) {
        const size_t d = edit_distance(k, a);
        if (d < dist) dist = d, best = a;
      }
      fail(join(path, k), fmt::format("unknown key{} (keys here: {})",
                                      best.empty() ? "" : fmt::format(": did you mean '{}'?", best),
                                      list(allowed)));
    }
    for (const auto& r : required) {
      if (!j.contains(r)) fail(join(path, r), "required, missing");
    }
  }
  std::string string(const json& j, const std::string& path) const {
    if (!j.is_string()) fail(path, "expected a string, got " + kind(j));
    return j.get<std::string>();
  }
  bool boolean(const json& j, const std::string& path) const {
    if (!j.is_boolean()) fail(path, "expected true or false, got " + kind(j));
    return j.get<bool>();
  }
  std::vector<std::string> strings(const json& j, const std::string& path) const {
    if (!j.is_array() || j.empty())
      fail(path, "expected a non-empty array of strings, got " + kind(j));
    std::vector<std::string> out;
    for (size_t i = 0; i < j.size(); ++i)
      out.push_back(string(j[i], fmt::format("{}[{}]", path, i)));
    return out;
  }
  /// An axis value: a string, number or boolean, as text.
  std::string scalar(const json& j, const std::string& path) const {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
    if (j.is_number()) return j.dump();
    fail(path, "expected a string, number or boolean, got " + kind(j));
  }
  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string kind(const json& j) {
    switch (j.type()) {
      case json::value_t::object:
        return "an object";
      case json::value_t::array:
        return "an array";
      case json::value_t::string:
        return "a string";
      case json::value_t::boolean:
        return "a boolean";
      case json::value_t::null:
        return "null";
      default:
        return "a number (" + j.dump() + ")";
    }
  }

 private:
  std::string origin_;
};

// {"a.b.c": v} as nested JSON text for Config::overlay_text.
inline std::string nested(const std::string& path, const json& value) {
  json j = value;
  std::string rest = path;
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = rest.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(rest.substr(start, dot - start));
  }
  parts.push_back(rest.substr(start));
  for (size_t i = parts.size(); i-- > 0;) j = json{{parts[i], j}};
  return j.dump();
}

inline bool is_config_path(const std::string& key) { return key.find('.') != std::string::npos; }

// The value of a generator parameter as results.csv writes it: numbers as
// numbers (sizes in bytes), choices as given.
inline std::string param_value(const traces::Generator& g, const traces::GenArgs& a,
                               const std::string& key) {
  for (const auto& p : g.params()) {
    if (p.name != key) continue;
    switch (p.type) {
      case traces::GenParamType::kInt:
      case traces::GenParamType::kBytes:
        return std::to_string(a.uint(key));
      case traces::GenParamType::kFloat:
        return fmt::format("{}", a.real(key));
      case traces::GenParamType::kChoice:
        return a.choice(key);
    }
  }
  return "";
}

/// A spec's "config" (a preset, or a file relative to `dir`) with its "set"
/// overrides applied, validated; `name` gets the config as named.
inline sim::Config base_config(const Reader& r, const json& j, const std::string& dir,
                               std::string& name) {
  name = j.contains("config") ? r.string(j["config"], "config") : sim::kDefaultPreset;
  std::string where = name;
  if (sim::preset_text(where).empty() && !std::filesystem::path(where).is_absolute() &&
      !dir.empty() && dir != ".") {
    where = (std::filesystem::path(dir) / where).string();
  }
  sim::Config c;
  try {
    c = sim::Config::load(where);
  } catch (const sim::ConfigError& e) {
    r.fail("config", e.what());
  }
  if (j.contains("set")) {
    if (!j["set"].is_object()) r.fail("set", "expected an object {CONFIG.PATH: VALUE}");
    for (const auto& [k, v] : j["set"].items()) {
      try {
        c.overlay_text(nested(k, v), "");
      } catch (const sim::ConfigError& e) {
        r.fail("set." + k, e.what());
      }
    }
  }
  try {
    c.validate();
  } catch (const sim::ConfigError& e) {
    r.fail("set", e.what());
  }
  return c;
}

}  // namespace pkusim::study::detail
