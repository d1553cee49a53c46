// pkusim config list|show|describe: the presets, the effective
// configuration, and every parameter with its default and source.
#include <fmt/format.h>

#include <iostream>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/config/param.h"

namespace pkusim::app {

namespace {

constexpr const char* kUsage =
    "pkusim config list\n"
    "       pkusim config show [-c CONFIG] [--set PATH=VALUE]... [--plain]\n"
    "       pkusim config describe [-c CONFIG] [--set PATH=VALUE]... [--markdown]";

std::string range_text(const sim::ParamSpec& s, bool markdown) {
  if (s.type == sim::ParamType::kInt || s.type == sim::ParamType::kFloat) {
    return fmt::format("{}{} .. {}{}", markdown ? "" : "[", s.min, s.max,
                       (s.unit.empty() ? "" : " " + s.unit) + (markdown ? "" : "]"));
  }
  if (s.type == sim::ParamType::kChoice) {
    std::string c;
    for (const auto& x : s.choices) c += (c.empty() ? "" : markdown ? " / " : "|") + x;
    return markdown ? c : "{" + c + "}";
  }
  return "";
}

/// The value of `path` in `cfg` as JSON text.
std::string value_of(const sim::Config& cfg, const std::string& path) {
  const nlohmann::ordered_json* node = &cfg.values();
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    node = &node->at(path.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node->dump();
}

int describe(const sim::Config& cfg, bool markdown) {
  if (markdown) {
    std::cout << "| parameter | default | range / choices | meaning | source of the default |\n"
                 "| --- | --- | --- | --- | --- |\n";
  }
  for (const sim::ParamSpec& s : sim::param_specs()) {
    const std::string value = value_of(cfg, s.path);
    const std::string def = s.default_value.dump();
    if (markdown) {
      std::cout << fmt::format("| `{}` | {} | {} | {} | {} |\n", s.path, def, range_text(s, true),
                               s.description, s.source);
      continue;
    }
    const std::string note = value == def ? "" : fmt::format("  (default {})", def);
    const std::string range = range_text(s, false);
    std::cout << fmt::format("{} = {}{}{}\n    {}\n    source of the default: {}\n", s.path, value,
                             note, range.empty() ? "" : " " + range, s.description, s.source);
    if (const std::string* src = cfg.source_of(s.path))
      std::cout << fmt::format("    source of this value: {}\n", *src);
  }
  return kExitOk;
}

int config_main(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError(std::string("usage: ") + kUsage);
  const std::string what = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  po::options_description opts("options");
  if (what == "show") opts.add_options()("plain", "plain JSON, without comments");
  if (what == "describe") opts.add_options()("markdown", "as a Markdown table (docs/config.md)");
  if (what == "show" || what == "describe") add_config_options(opts);
  if (what == "--help" || what == "-h") {
    std::cout << "usage: " << kUsage << "\n";
    return kExitOk;
  }
  if (what != "list" && what != "show" && what != "describe") {
    throw UsageError(
        fmt::format("pkusim config: unknown subcommand '{}' (list, show, describe)", what));
  }
  const po::variables_map vm = parse("config " + what, opts, rest, "");
  if (help(vm, opts, kUsage)) return kExitOk;
  if (what == "list") {
    for (const auto& n : sim::preset_names()) {
      std::cout << n << (n == sim::kDefaultPreset ? "  (default)" : "") << "\n";
    }
    return kExitOk;
  }
  const sim::Config cfg = load_config(vm);
  if (what == "describe") return describe(cfg, vm.count("markdown") > 0);
  std::cout << (vm.count("plain") ? cfg.values().dump(2) + "\n" : cfg.to_commented_json());
  return kExitOk;
}

}  // namespace

Command config_command() {
  return {"config",
          "the presets (list), the effective configuration (show), every parameter "
          "(describe)",
          config_main};
}

}  // namespace pkusim::app
