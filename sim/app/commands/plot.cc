// pkusim plot: figures from a results table (a sweep's or a study's
// results.csv, or any CSV with a header row), as PNG and SVG, drawn by the
// plotting code the study uses (tools/plot/pkusim_plot.py, matplotlib).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"

namespace pkusim::app {

namespace {

int plot_main(const std::vector<std::string>& args) {
  const std::string script = (std::filesystem::path(plot_tools_dir()) / "pkusim_plot.py").string();
  if (args.empty()) {
    throw UsageError(
        "usage: pkusim plot CSV --x COL --y COL[,COL...] [--group COL] [--facet COL]\n"
        "                   [--kind line|bar|stacked] [--logx] [--logy] [--normalize]\n"
        "                   [--independent-y] [--filter COL=VALUE]... [--title T] -o PREFIX\n"
        "(pkusim plot --help for every option)");
  }
  std::vector<std::string> argv = {python_interpreter(), script};
  argv.insert(argv.end(), args.begin(), args.end());
  const int rc = run_process(argv);
  if (rc == 127) {
    std::cerr << fmt::format(
        "pkusim plot: cannot run {} {} (set PKUSIM_PYTHON to a python with "
        "matplotlib, or PKUSIM_PLOT_DIR to tools/plot)\n",
        argv[0], script);
    return kExitIo;
  }
  // The script's codes: 0 ok, 2 bad input or output, 3 no matplotlib, 70 internal.
  return rc == 0 ? kExitOk : rc == 2 ? kExitUsage : rc == 3 ? kExitIo : kExitInternal;
}

}  // namespace

Command plot_command() {
  return {"plot", "draw PNG and SVG figures from a results.csv (matplotlib)", plot_main};
}

}  // namespace pkusim::app
