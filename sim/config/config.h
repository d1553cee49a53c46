#pragma once
// Machine configuration: JSON (with // comments) validated against the
// parameter table (param.h). A config starts from a preset (skylake-sp by
// default, embedded in the binary), is overlaid by a user file (which may
// name another preset as its "base") and by --set overrides, and is then
// checked as a whole. Every error names the JSON path and what was
// expected; unknown keys are errors that suggest the closest valid one.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pkusim::sim {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string origin, std::string path, const std::string& message);
  const std::string& origin() const { return origin_; }
  const std::string& path() const { return path_; }

 private:
  std::string origin_;
  std::string path_;
};

inline constexpr const char* kDefaultPreset = "skylake-sp";

/// Names of the presets built into the binary (configs/*.json).
std::vector<std::string> preset_names();
/// A preset's JSON text, or empty if there is no such preset.
std::string_view preset_text(std::string_view name);

class Config {
 public:
  /// The declared defaults of every parameter.
  static Config defaults();
  /// A built-in preset (throws ConfigError listing the valid names).
  static Config preset(std::string_view name);
  /// Loads `path`: a preset name or a JSON file (a "base" key picks the preset under it).
  static Config load(const std::string& path_or_preset);

  /// Overlays JSON text; `origin` names it in errors.
  void overlay_text(std::string_view text, const std::string& origin);
  /// Applies "path=value" (value as JSON, or a bare string).
  void set(const std::string& assignment);
  /// Cross-parameter checks (power-of-two set counts ...). Throws ConfigError.
  void validate() const;

  const nlohmann::ordered_json& values() const { return values_; }
  /// The values as JSON with a `//` comment per parameter (its meaning and
  /// unit); pkusim reads it back as a config file.
  std::string to_commented_json() const;
  int64_t get_int(std::string_view path) const;
  double get_float(std::string_view path) const;
  /// Where the value of `path` comes from, when the file that set it says
  /// (a top-level "sources" object of path: text, as `pkusim calibrate`
  /// writes); null when the parameter's declared source applies.
  const std::string* source_of(std::string_view path) const;
  bool get_bool(std::string_view path) const;
  std::string get_string(std::string_view path) const;

 private:
  void overlay(const nlohmann::json& j, const std::string& prefix, const std::string& origin);
  void assign(const std::string& path, const nlohmann::json& value, const std::string& origin);
  const nlohmann::ordered_json& at(std::string_view path) const;

  void read_sources(const nlohmann::json& j, const std::string& origin);

  nlohmann::ordered_json values_;
  std::map<std::string, std::string, std::less<>> sources_;
};

/// The closest known parameter path to `path` (for "did you mean").
std::string closest_param(std::string_view path);

}  // namespace pkusim::sim
