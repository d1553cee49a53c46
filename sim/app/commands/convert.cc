// pkusim convert: a trace of any format into the text or binary format.
#include <fmt/format.h>

#include <iostream>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "traces/open_trace.h"

namespace pkusim::app {

namespace {

int convert_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()(
      "to", po::value<std::string>()->default_value(""),
      "output format: text or binary (default: binary for OUT ending in .pkb, else text)")(
      "input", po::value<std::vector<std::string>>(), "IN and OUT ('-' for stdin / stdout)");
  add_format_option(opts);
  const po::variables_map vm = parse("convert", opts, args);
  if (help(vm, opts, "pkusim convert IN OUT [--to text|binary]: convert a trace")) return kExitOk;
  const auto files =
      vm.count("input") ? vm["input"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2) throw UsageError("pkusim convert: expected IN and OUT");
  const std::string to = output_format(files[1], vm["to"].as<std::string>());
  check_output(files[1]);
  traces::OpenedTrace in = traces::open_trace(files[0], format_option(vm));
  std::vector<std::string> notes;
  const uint64_t records = write_records(*in.source, files[1], to, notes);
  std::cerr << fmt::format("pkusim convert: {} records, {} ({}{}) -> {}\n", records, files[0],
                           in.format->name, in.compression == "none" ? "" : ", " + in.compression,
                           to);
  for (const std::string& n : notes) std::cerr << "pkusim convert: note: " << n << "\n";
  const std::string& out = files[1];
  if (vm["to"].as<std::string>().empty() && to == "text" && out != "-" &&
      !out.ends_with(".trace") && !out.ends_with(".txt")) {
    std::cerr << fmt::format(
        "pkusim convert: note: {} is text: the format follows the name (.pkb for binary) or "
        "--to binary\n",
        out);
  }
  return kExitOk;
}

}  // namespace

Command convert_command() {
  return {"convert", "convert a trace (any format) to the text or binary format", convert_main};
}

}  // namespace pkusim::app
