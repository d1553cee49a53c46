#pragma once
// One declaration per configuration parameter: its JSON path, type, default,
// unit, range, description and the source of the default. The same table
// validates configs, prints `pkusim config describe`, and fills the effective
// config that every report embeds.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pkusim::sim {

enum class ParamType : uint8_t { kInt, kFloat, kBool, kChoice };

struct ParamSpec {
  std::string path;  // "core.rob_entries"
  ParamType type = ParamType::kInt;
  nlohmann::json default_value;
  std::string unit;  // "cycles", "entries", "bytes", "" ...
  double min = 0;    // numeric range, inclusive
  double max = 0;
  std::vector<std::string> choices;  // kChoice
  std::string description;
  std::string source;  // where the default comes from
};

/// Every parameter pkusim knows, in a stable order.
const std::vector<ParamSpec>& param_specs();
/// The spec for `path`, or null.
const ParamSpec* find_param(std::string_view path);

}  // namespace pkusim::sim
