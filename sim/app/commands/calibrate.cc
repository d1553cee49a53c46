// pkusim calibrate: measure this host with pkusim-hostbench (or read a saved
// measurement), fit the model's kernel and memory costs to it, write a config
// overlay, and print every measured point beside the calibrated prediction.
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/calibrate/fit.h"
#include "sim/study/metrics.h"

#ifndef PKUSIM_HOSTBENCH
#define PKUSIM_HOSTBENCH ""
#endif

namespace pkusim::app {

namespace {

constexpr const char* kUsage =
    "pkusim calibrate [-o OVERLAY.json] [--from HOSTBENCH.json | --save HOSTBENCH.json [--quick]]\n"
    "                 [-c PRESET] [--csv FILE] [--plot PREFIX] [-j N] [-q]\n"
    "  Measures this host with pkusim-hostbench (about a minute), or reads a saved\n"
    "  measurement (--from), fits the kernel and memory costs, and writes an overlay\n"
    "  that loads with -c. Example: pkusim calibrate -o host.json && pkusim study -c host.json";

std::string percent(double rel) { return fmt::format("{:+.0f}%", 100 * rel); }

void print_table(const calibrate::Calibration& c, const calibrate::Measurements& m) {
  const calibrate::Host& h = m.host;
  std::cout << fmt::format(
      "Calibration of the {} preset to {} ({} family {} model {}), Linux {}{}\n", c.preset, h.cpu,
      h.vendor, h.family, h.model, h.kernel,
      h.hypervisor_vendor.empty() ? "" : ", " + h.hypervisor_vendor + " guest");
  std::cout << fmt::format("measured {} by pkusim-hostbench ({})\n\n", h.date, m.origin);
  std::cout << "Parameters set (preset -> calibrated):\n";
  size_t w = 0;
  for (const auto& s : c.settings) w = std::max(w, s.path.size());
  for (const auto& s : c.settings) {
    std::cout << fmt::format("  {:<{}}  {:>9} -> {}\n", s.path, w, s.before, s.value);
  }
  std::string group;
  std::cout << fmt::format("\n{:<40} {:>11} {:>11} {:>7} {:>11} {:>7}\n", "measured point", "host",
                           "calibrated", "error", "preset", "error");
  size_t within = 0, total = 0;
  const calibrate::Compared* worst = nullptr;
  for (const auto& p : c.points) {
    if (p.group != group) {
      group = p.group;
      std::cout << group << "\n";
    }
    const double preset_rel = p.measured_ns > 0 ? (p.preset_ns - p.measured_ns) / p.measured_ns : 0;
    std::cout << fmt::format("  {:<38}{} {:>11} {:>11} {:>7} {:>11} {:>7}\n", p.label,
                             p.fitted           ? "*"
                             : !p.doubt.empty() ? "!"
                                                : " ",
                             time_text(p.measured_ns), time_text(p.predicted_ns),
                             percent(p.rel_error()), time_text(p.preset_ns), percent(preset_rel));
    if (!p.doubt.empty()) continue;
    ++total;
    within += std::abs(p.rel_error()) <= 0.25;
    if (!worst || std::abs(p.rel_error()) > std::abs(worst->rel_error())) worst = &p;
  }
  std::cout << "  (* used by the fit; the others are predictions of points it did not see)\n";
  size_t doubtful = 0;
  for (const auto& p : c.points) doubtful += !p.doubt.empty();
  if (doubtful) {
    std::cout << fmt::format("  (! {} points left out of the fit and the count: ", doubtful);
    for (const auto& p : c.points)
      if (!p.doubt.empty()) {
        std::cout << p.doubt << ")\n";
        break;
      }
  }
  for (const auto& n : c.notes) std::cout << "note: " << n << "\n";
  if (worst) {
    std::cout << fmt::format(
        "\n{} of {} measured points within 25% of the host; the farthest: {} {} ({}).\n", within,
        total, worst->group, worst->label, percent(worst->rel_error()));
  }
}

std::string table_csv(const calibrate::Calibration& c) {
  std::string out = "group,point,params,fitted,doubt,host_ns,calibrated_ns,error,preset_ns\n";
  for (const auto& p : c.points) {
    out += fmt::format("{},{},{},{},{},{},{},{},{}\n", study::csv_field(p.group),
                       study::csv_field(p.label), study::csv_field(p.params), p.fitted ? 1 : 0,
                       study::csv_field(p.doubt), p.measured_ns, p.predicted_ns, p.rel_error(),
                       p.preset_ns);
  }
  return out;
}

int calibrate_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("output,o", po::value<std::string>(), "write the config overlay here")(
      "from", po::value<std::string>(),
      "fit to a saved pkusim-hostbench report instead of measuring")(
      "save", po::value<std::string>(), "keep the measurement (pkusim-hostbench JSON) here")(
      "quick", "a quick measurement (pkusim-hostbench --quick): a smoke test, not a calibration")(
      "config,c", po::value<std::string>(), "the preset to calibrate (default: the nearest)")(
      "csv", po::value<std::string>(), "the table of measured and predicted points as CSV")(
      "plot", po::value<std::string>(), "draw the figure: PREFIX.png and PREFIX.svg (matplotlib)")(
      "jobs,j", po::value<unsigned>()->default_value(0), "simulations at once (0: one per CPU)")(
      "quiet,q", "no progress lines");
  const po::variables_map vm = parse("calibrate", opts, args, "");
  if (help(vm, opts, kUsage)) return kExitOk;
  if (vm.count("from") && (vm.count("save") || vm.count("quick")))
    throw UsageError("pkusim calibrate: --from reads a measurement; --save and --quick take one");
  for (const char* out : {"output", "csv", "save", "plot"})
    if (vm.count(out)) check_output(vm[out].as<std::string>());
  const bool quiet = vm.count("quiet") > 0;
  const auto progress = [quiet](const std::string& s) {
    if (!quiet) std::cerr << "[calibrate] " << s << "\n";
  };

  calibrate::Measurements m;
  if (vm.count("from")) {
    m = calibrate::read_hostbench(vm["from"].as<std::string>());
  } else {
    const std::string dir = std::filesystem::temp_directory_path().string();
    const std::string raw = vm.count("save")
                                ? vm["save"].as<std::string>()
                                : fmt::format("{}/pkusim-hostbench.{}.json", dir, ::getpid());
    std::vector<std::string> argv = {
        tool_path("PKUSIM_HOSTBENCH", PKUSIM_HOSTBENCH, "pkusim-hostbench"), "-o", raw};
    if (vm.count("quick")) argv.push_back("--quick");
    progress(fmt::format("measuring the host: {}{} (its table follows)", argv[0],
                         vm.count("quick") ? " --quick" : ""));
    const int rc = run_process(argv);
    if (rc == 127) {
      std::cerr << fmt::format(
          "pkusim calibrate: cannot run {} (build it: cmake --build --preset release, or set "
          "PKUSIM_HOSTBENCH; or pass --from a saved report)\n",
          argv[0]);
      return kExitIo;
    }
    if (rc != 0) {
      std::cerr << fmt::format("pkusim calibrate: {} failed (exit {}); nothing was fitted\n",
                               argv[0], rc);
      return rc == 3 ? kExitConfig : kExitIo;
    }
    m = calibrate::read_hostbench(raw);
    if (!vm.count("save")) std::filesystem::remove(raw);
  }

  std::string preset =
      vm.count("config") ? vm["config"].as<std::string>() : calibrate::nearest_preset(m.host);
  if (sim::preset_text(preset).empty()) {
    std::string names;
    for (const auto& n : sim::preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw UsageError(
        fmt::format("pkusim calibrate: -c takes a preset name ({}), got '{}'", names, preset));
  }
  unsigned jobs = vm["jobs"].as<unsigned>();
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  progress(fmt::format("fitting the {} preset{} to {} measured points", preset,
                       vm.count("config") ? "" : " (the nearest to the host)", m.rows.size()));
  const calibrate::Calibration c = calibrate::calibrate(m, preset, jobs, progress);

  if (vm.count("output")) {
    const std::string path = vm["output"].as<std::string>();
    const std::string text = calibrate::overlay_text(c, m);
    sim::Config check = sim::Config::preset(preset);
    check.overlay_text(text, path);  // the overlay must load as written
    check.validate();
    write_output(path, text);
  }
  if (vm.count("csv")) write_output(vm["csv"].as<std::string>(), table_csv(c));
  print_table(c, m);
  if (vm.count("plot")) {
    const std::string prefix = vm["plot"].as<std::string>();
    const std::string csv = vm.count("csv") ? vm["csv"].as<std::string>() : prefix + ".csv";
    if (!vm.count("csv")) write_output(csv, table_csv(c));
    const std::string script =
        (std::filesystem::path(plot_tools_dir()) / "calibration_figure.py").string();
    std::cout.flush();
    const int rc = run_process({python_interpreter(), script, csv, prefix, "--title",
                                fmt::format("pkusim calibrate: {} preset fitted to {}, Linux {}",
                                            c.preset, m.host.cpu, m.host.kernel)});
    if (rc != 0) {
      std::cerr << fmt::format(
          "pkusim calibrate: the figure was not drawn ({} {} exited {}; set PKUSIM_PYTHON to a "
          "python with matplotlib)\n",
          python_interpreter(), script, rc);
      return kExitIo;
    }
    std::cout << fmt::format("figure: {}.png, {}.svg\n", prefix, prefix);
  }
  if (vm.count("output"))
    std::cout << fmt::format("overlay written to {} (use: pkusim run -c {} ...)\n",
                             vm["output"].as<std::string>(), vm["output"].as<std::string>());
  else
    std::cout << "no overlay written (-o FILE writes one)\n";
  return kExitOk;
}

}  // namespace

Command calibrate_command() {
  return {"calibrate",
          "fit the kernel and memory costs to this host (pkusim-hostbench) and write a config "
          "overlay",
          calibrate_main};
}

}  // namespace pkusim::app
