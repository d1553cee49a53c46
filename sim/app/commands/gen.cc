// pkusim gen: write a generator's records as a trace.
#include <fmt/format.h>

#include <iostream>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "traces/gen/generator.h"

namespace pkusim::app {

namespace {

constexpr const char* kUsage =
    "pkusim gen NAME [--param KEY=VALUE]... -o FILE [--to text|binary]\n"
    "       pkusim gen --list\n"
    "       pkusim gen NAME --describe";

std::string type_name(const traces::GenParam& p) {
  switch (p.type) {
    case traces::GenParamType::kInt:
      return fmt::format("integer, {} to {}", p.min, p.max);
    case traces::GenParamType::kBytes:
      return fmt::format("bytes (K/M/G/T suffixes), {} to {}", p.min, p.max);
    case traces::GenParamType::kFloat:
      return fmt::format("number, {} to {}", p.min, p.max);
    case traces::GenParamType::kChoice: {
      std::string c;
      for (const auto& x : p.choices) c += (c.empty() ? "" : "|") + x;
      return "{" + c + "}";
    }
  }
  return "?";
}

int gen_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("param,p", po::value<std::vector<std::string>>()->composing(),
                     "set a parameter, KEY=VALUE (repeatable)")(
      "output,o", po::value<std::string>(), "the trace to write ('-' for stdout)")(
      "to", po::value<std::string>()->default_value(""),
      "output format: text or binary (default: binary for FILE ending in .pkb, else text)")(
      "list", "list the generators")("describe", "list NAME's parameters")(
      "input", po::value<std::vector<std::string>>(), "the generator");
  const po::variables_map vm = parse("gen", opts, args);
  if (help(vm, opts, kUsage)) return kExitOk;
  if (vm.count("list")) {
    for (const traces::Generator* g : traces::generators()) {
      std::cout << fmt::format("{:<14}  {}\n", g->name(), g->summary());
    }
    return kExitOk;
  }
  const auto names =
      vm.count("input") ? vm["input"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (names.size() != 1)
    throw UsageError("pkusim gen: expected one generator NAME (pkusim gen --list)");
  const traces::Generator& g = traces::find_generator(names[0]);
  if (vm.count("describe")) {
    std::cout << fmt::format("{}: {}\n", g.name(), g.summary());
    for (const traces::GenParam& p : g.params()) {
      std::cout << fmt::format("  {} = {}  [{}]\n      {}\n", p.name, p.default_value, type_name(p),
                               p.description);
    }
    return kExitOk;
  }
  if (!vm.count("output")) throw UsageError("pkusim gen: no output given (-o FILE)");
  const std::string out = vm["output"].as<std::string>();
  const std::string to = output_format(out, vm["to"].as<std::string>());
  const traces::GenArgs a = g.args(vm.count("param") ? vm["param"].as<std::vector<std::string>>()
                                                     : std::vector<std::string>{});
  std::unique_ptr<traces::RecordSource> src = g.make(a);
  std::vector<std::string> notes;
  const uint64_t records = write_records(*src, out, to, notes);
  std::cerr << fmt::format("pkusim gen: {} records of {} -> {} ({})\n", records, a.canonical(), out,
                           to);
  for (const std::string& n : notes) std::cerr << "pkusim gen: note: " << n << "\n";
  return kExitOk;
}

}  // namespace

Command gen_command() {
  return {"gen", "write a generated workload (pkusim gen --list) as a trace", gen_main};
}

}  // namespace pkusim::app
