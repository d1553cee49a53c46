// pkusim compare: run several inputs on one configuration, side by side.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <set>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/study/metrics.h"
#include "sim/study/runner.h"
#include "traces/gen/generator.h"
#include "traces/gen/workload.h"

namespace pkusim::app {

namespace {

constexpr const char* kUsage =
    "pkusim compare INPUT... [--variants LIST] [-c CONFIG] [--set PATH=VALUE]... [-j N]\n"
    "               [--baseline N] [--json FILE] [--csv FILE] [-q]\n"
    "  INPUT: a trace file, or a generator gen:NAME[:KEY=VALUE,...]; each runs alone.\n"
    "  Example: pkusim compare gen:kv-store:writes=0.2 --variants all";

struct Input {
  std::string input;
  std::string label;
  bool baseline_variant = false;  // a generator with variant=none
};

// "gen:NAME:k=v,..." with variant=V set (replaced if given).
std::string with_variant(const std::string& input, const std::string& v) {
  std::string out = input.substr(0, input.find(':', 4));
  std::string params;
  if (out.size() < input.size()) params = input.substr(out.size() + 1);
  std::string kept;
  size_t start = 0;
  while (start <= params.size() && !params.empty()) {
    const size_t comma = params.find(',', start);
    const std::string kv = params.substr(start, comma == std::string::npos ? comma : comma - start);
    if (kv.rfind("variant=", 0) != 0 && !kv.empty()) kept += (kept.empty() ? "" : ",") + kv;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out + ":" + (kept.empty() ? "" : kept + ",") + "variant=" + v;
}

// Labels: for generator invocations the parameters that differ between
// them (all of them if there is one), else the input as given.
std::vector<std::string> labels_of(const std::vector<std::string>& inputs) {
  std::vector<std::vector<std::string>> params(inputs.size());
  std::vector<std::string> names(inputs.size());
  bool all_gen = true;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].rfind("gen:", 0) != 0) {
      all_gen = false;
      continue;
    }
    const auto [g, a] = traces::parse_invocation(inputs[i].substr(4));
    names[i] = g->name();
    const std::string& c = a.canonical();
    size_t start = c.find(':');
    while (start != std::string::npos) {
      const size_t comma = c.find(',', start + 1);
      params[i].push_back(
          c.substr(start + 1, comma == std::string::npos ? comma : comma - start - 1));
      start = comma;
    }
  }
  std::vector<std::string> out(inputs);
  if (!all_gen || inputs.size() < 2) return out;
  const bool same_generator = std::set<std::string>(names.begin(), names.end()).size() == 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string label = same_generator ? "" : names[i];
    for (size_t k = 0; k < params[i].size(); ++k) {
      bool differs = false;
      for (size_t j = 0; j < inputs.size(); ++j) {
        differs = differs || names[j] != names[i] || params[j].size() != params[i].size() ||
                  params[j][k] != params[i][k];
      }
      if (differs && (same_generator || params[i][k].rfind("variant=", 0) == 0)) {
        label += (label.empty() ? "" : " ") + params[i][k];
      }
    }
    out[i] = label.empty() ? names[i] : label;
  }
  return out;
}

int compare_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("variants", po::value<std::string>(),
                     "run each generator input in these protection variants: a comma-separated "
                     "list of none, mprotect, pkey_mprotect, wrpkru, or all")(
      "baseline", po::value<unsigned>(),
      "the run (1 = the first) the others are compared with (default: the first variant=none "
      "generator, else the first input)")("jobs,j", po::value<unsigned>()->default_value(0),
                                          "runs at a time (0: one per hardware thread)")(
      "json", po::value<std::string>(), "write the comparison as JSON to FILE ('-': stdout)")(
      "csv", po::value<std::string>(), "write the comparison as CSV to FILE ('-': stdout)")(
      "quiet,q", "no table, no progress")("input", po::value<std::vector<std::string>>(),
                                          "traces or generator invocations");
  add_config_options(opts);
  const po::variables_map vm = parse("compare", opts, args);
  if (help(vm, opts, kUsage)) return kExitOk;
  if (!vm.count("input"))
    throw UsageError("pkusim compare: no input given (pkusim compare --help)");
  const sim::Config cfg = load_config(vm);
  for (const char* out : {"json", "csv"}) {
    if (vm.count(out)) check_output(vm[out].as<std::string>());
  }
  std::vector<std::string> inputs;
  for (const std::string& in : vm["input"].as<std::vector<std::string>>()) {
    if (!vm.count("variants")) {
      inputs.push_back(in);
      continue;
    }
    if (in.rfind("gen:", 0) != 0) {
      throw UsageError(fmt::format(
          "pkusim compare: --variants applies to generator inputs (gen:NAME...), not '{}'", in));
    }
    std::string list = vm["variants"].as<std::string>();
    if (list == "all") list = "none,mprotect,pkey_mprotect,wrpkru";
    size_t start = 0;
    for (;;) {
      const size_t comma = list.find(',', start);
      const std::string v = list.substr(start, comma == std::string::npos ? comma : comma - start);
      bool known = false;
      for (const auto name : traces::kVariantNames) known = known || name == v;
      if (!known) {
        throw UsageError(fmt::format(
            "pkusim compare: --variants: unknown variant '{}' (none, mprotect, pkey_mprotect, "
            "wrpkru or all)",
            v));
      }
      inputs.push_back(with_variant(in, v));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  // Bad generator parameters are errors before anything runs.
  size_t baseline = 0;
  bool found = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].rfind("gen:", 0) != 0) continue;
    const auto [g, a] = traces::parse_invocation(inputs[i].substr(4));
    bool has_variant = false;
    for (const auto& p : g->params()) has_variant = has_variant || p.name == "variant";
    if (!found && has_variant && a.choice("variant") == "none") {
      baseline = i;
      found = true;
    }
  }
  if (vm.count("baseline")) {
    const unsigned b = vm["baseline"].as<unsigned>();
    if (b < 1 || b > inputs.size()) {
      throw UsageError(
          fmt::format("pkusim compare: --baseline {}: expected 1 to {}", b, inputs.size()));
    }
    baseline = b - 1;
  }
  const std::vector<std::string> labels = labels_of(inputs);
  std::vector<study::RunRequest> requests;
  for (const std::string& in : inputs) requests.push_back({cfg, {in}, {}});
  const bool quiet = vm.count("quiet") > 0;
  const bool progress = !quiet && isatty(2);
  const auto results =
      study::run_all(requests, vm["jobs"].as<unsigned>(), [&](size_t done, size_t total, size_t) {
        if (progress) std::cerr << fmt::format("\r[pkusim compare] {}/{} runs", done, total);
      });
  if (progress) std::cerr << "\r\033[K";
  std::vector<study::Compared> rows;
  std::exception_ptr first_error;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok) {
      std::cerr << fmt::format("pkusim compare: {}: {}\n", inputs[i], results[i].error);
      if (!first_error) first_error = results[i].exception;
      continue;
    }
    rows.push_back({labels[i], inputs[i], results[i].metrics});
  }
  if (first_error) return exit_code_of(first_error);
  const study::Comparison c(std::move(rows), baseline);
  if (vm.count("json")) {
    nlohmann::ordered_json j;
    j["schema"] = "pkusim.compare";
    j["version"] = 1;
    j["config"] = cfg.values();
    const nlohmann::ordered_json body = c.json();
    for (const auto& [k, v] : body.items()) j[k] = v;
    write_output(vm["json"].as<std::string>(), j.dump(2) + "\n");
  }
  if (vm.count("csv")) write_output(vm["csv"].as<std::string>(), c.csv());
  const bool stdout_taken = (vm.count("json") && vm["json"].as<std::string>() == "-") ||
                            (vm.count("csv") && vm["csv"].as<std::string>() == "-");
  if (!quiet && !stdout_taken) std::cout << c.text();
  size_t failures = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    for (const std::string& f : results[i].expect_failures) {
      std::cerr << fmt::format("pkusim compare: {}: {}\n", labels[i], f);
      ++failures;
    }
  }
  if (failures) {
    std::cerr << fmt::format("pkusim compare: {} assertion{} failed\n", failures,
                             failures == 1 ? "" : "s");
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

Command compare_command() {
  return {"compare",
          "run traces or generated workloads side by side on one config: cycles, overhead, "
          "cost per protection switch and why",
          compare_main};
}

}  // namespace pkusim::app
