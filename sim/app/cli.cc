#include "sim/app/cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sim/cachesim/cachegrind_model.h"
#include "sim/config/config.h"
#include "sim/config/param.h"
#include "sim/machine.h"
#include "sim/replay.h"
#include "sim/report.h"
#include "sim/timing/params.h"
#include "sim/timing/system.h"
#include "sim/util/atomic_file.h"
#include "traces/binary_format.h"
#include "traces/open_trace.h"
#include "traces/text_writer.h"
#include "traces/trace_error.h"
#include "traces/workload_a.h"

namespace pkusim::app {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: pkusim COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  run TRACE...        simulate traces on the timed machine and report cycles\n"
    "  check TRACE...      replay traces functionally and verify their `expect` lines\n"
    "  bench               measure simulation speed (workload A, or --trace FILE)\n"
    "  cachesim TRACE      Cachegrind's cache counters, exactly (--I1= --D1= --LL=)\n"
    "  convert IN OUT      convert a trace (any format) to the text or binary format\n"
    "  config show         print the effective configuration (JSON)\n"
    "  config describe     list every parameter: default, unit, range, source\n"
    "  config list         list the built-in presets\n"
    "\n"
    "pkusim COMMAND --help shows a command's options.\n"
    "exit codes: 0 ok, 1 an assertion failed, 2 trace error, 3 config error,\n"
    "            4 usage error, 5 output error, 70 internal error\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void add_format_option(po::options_description& opts) {
  opts.add_options()(
      "format", po::value<std::string>()->default_value(""),
      "trace format: text, binary, lackey or champsim (default: recognized from the content)");
}

void add_config_options(po::options_description& opts) {
  opts.add_options()("config,c", po::value<std::string>(),
                     "configuration: a JSON file or a preset name (default: skylake-sp)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override one parameter, e.g. --set core.rob_entries=128 (repeatable)");
}

po::variables_map parse(const std::string& cmd, po::options_description& opts,
                        std::vector<std::string> args, bool positional = true) {
  po::positional_options_description pos;
  if (positional) pos.add("trace", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(fmt::format("pkusim {}: {}", cmd, e.what()));
  }
  return vm;
}

sim::Config load_config(const po::variables_map& vm) {
  sim::Config cfg = vm.count("config") ? sim::Config::load(vm["config"].as<std::string>())
                                       : sim::Config::preset(sim::kDefaultPreset);
  if (vm.count("set")) {
    for (const std::string& s : vm["set"].as<std::vector<std::string>>()) cfg.set(s);
  }
  cfg.validate();
  return cfg;
}

int cmd_check(const std::vector<std::string>& args) {
  po::options_description opts("pkusim check TRACE... : replay and verify `expect` lines");
  opts.add_options()("help,h", "show this help")("quiet,q", "print failures only")(
      "trace", po::value<std::vector<std::string>>(), "trace files ('-' for stdin)");
  add_config_options(opts);
  add_format_option(opts);
  const po::variables_map vm = parse("check", opts, args);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  if (!vm.count("trace")) throw UsageError("pkusim check: no trace given");
  const sim::TimingParams params = sim::timing_params(load_config(vm));
  const bool quiet = vm.count("quiet") > 0;
  uint64_t total = 0, failed = 0;
  for (const std::string& path : vm["trace"].as<std::vector<std::string>>()) {
    sim::Machine machine{params.machine};
    const sim::ReplayResult r = sim::replay_file(path, machine, vm["format"].as<std::string>());
    total += r.expectations;
    failed += r.failures.size();
    for (const sim::ExpectFailure& f : r.failures) {
      std::cout << fmt::format("{}:{}: expected {}, got {}\n", path, f.line, f.expected, f.actual);
    }
    if (!quiet) {
      std::cout << fmt::format("{}: {} of {} assertions hold\n", path,
                               r.expectations - r.failures.size(), r.expectations);
    }
  }
  std::cout << fmt::format("{} passed, {} failed\n", total - failed, failed);
  return failed ? kExitCheckFailed : kExitOk;
}

int write_report(const po::variables_map& vm, const nlohmann::ordered_json& report) {
  if (vm.count("json")) {
    try {
      sim::write_file_atomic(vm["json"].as<std::string>(), report.dump(2) + "\n");
    } catch (const std::runtime_error& e) {
      std::cerr << "pkusim run: " << e.what() << "\n";
      return kExitIo;
    }
  }
  if (!vm.count("quiet") && !(vm.count("json") && vm["json"].as<std::string>() == "-")) {
    std::cout << sim::render_text(report);
  }
  return kExitOk;
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description opts("pkusim run TRACE... : simulate and report");
  opts.add_options()("help,h", "show this help")("json", po::value<std::string>(),
                                                 "write the JSON report to FILE ('-' for stdout)")(
      "quiet,q", "no text report, no progress")(
      "functional", "replay functionally only (no timing): outcomes and event counts")(
      "trace", po::value<std::vector<std::string>>(), "trace files ('-' for stdin)");
  add_config_options(opts);
  add_format_option(opts);
  const po::variables_map vm = parse("run", opts, args);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  if (!vm.count("trace")) throw UsageError("pkusim run: no trace given");
  const sim::Config cfg = load_config(vm);
  const sim::TimingParams params = sim::timing_params(cfg);
  const auto traces = vm["trace"].as<std::vector<std::string>>();
  if (vm.count("functional")) {
    std::vector<std::unique_ptr<sim::Machine>> machines;
    std::vector<sim::TraceRun> runs;
    for (const std::string& path : traces) {
      machines.push_back(std::make_unique<sim::Machine>(params.machine));
      const sim::ReplayResult r =
          sim::replay_file(path, *machines.back(), vm["format"].as<std::string>());
      nlohmann::ordered_json input = {{"format", r.format}, {"compression", r.compression}};
      for (const auto& [k, v] : r.input_counters) input[k] = v;
      runs.push_back({path, machines.back().get(), input});
    }
    nlohmann::ordered_json report = sim::report_json(runs);
    report["config"] = cfg.values();
    return write_report(vm, report);
  }
  sim::System system(params, cfg.values());
  for (const std::string& path : traces) system.add_trace(path, vm["format"].as<std::string>());
  sim::RunOptions ro;
  ro.heartbeat = !vm.count("quiet") && ::isatty(STDERR_FILENO);
  system.run(ro);
  return write_report(vm, system.report());
}

int cmd_bench(const std::vector<std::string>& args) {
  po::options_description opts("pkusim bench : simulated MIPS in timing mode");
  opts.add_options()("help,h", "show this help")(
      "instructions", po::value<uint64_t>()->default_value(20'000'000),
      "workload A loop instructions (bench-workloads.md: 20 M)")(
      "runs", po::value<unsigned>()->default_value(3), "runs; the median is reported")(
      "trace", po::value<std::string>(), "bench a trace file instead of workload A")(
      "json", po::value<std::string>(), "write the last run's report to FILE")(
      "decode-only", "with --trace: only read the records (reader speed, records/s)");
  add_config_options(opts);
  add_format_option(opts);
  const po::variables_map vm = parse("bench", opts, args, false);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  if (vm.count("decode-only")) {
    if (!vm.count("trace")) throw UsageError("pkusim bench: --decode-only needs --trace FILE");
    std::vector<double> rates;
    const unsigned runs = std::max(1u, vm["runs"].as<unsigned>());
    for (unsigned r = 0; r < runs; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      traces::OpenedTrace t =
          traces::open_trace(vm["trace"].as<std::string>(), vm["format"].as<std::string>());
      isa::Instr rec;
      uint64_t n = 0, sum = 0;
      while (t.source->next(rec)) {
        ++n;
        sum += rec.addr;  // keep the decode from being optimized away
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      rates.push_back(double(n) / s / 1e6);
      std::cout << fmt::format("run {}: {} ({}): {} records in {:.2f} s, {:.1f} M records/s{}\n",
                               r + 1, vm["trace"].as<std::string>(), t.format, n, s, rates.back(),
                               sum == 42 ? " " : "");
    }
    std::sort(rates.begin(), rates.end());
    std::cout << fmt::format("median: {:.1f} M records/s over {} runs\n", rates[rates.size() / 2],
                             runs);
    return kExitOk;
  }
  const sim::Config cfg = load_config(vm);
  const sim::TimingParams params = sim::timing_params(cfg);
  const unsigned runs = std::max(1u, vm["runs"].as<unsigned>());
  std::vector<double> mips;
  for (unsigned r = 0; r < runs; ++r) {
    sim::System system(params, cfg.values());
    std::string what;
    if (vm.count("trace")) {
      what = vm["trace"].as<std::string>();
      system.add_trace(what, vm["format"].as<std::string>());
    } else {
      what = "workload A";
      system.add_source("workload-a",
                        std::make_unique<traces::WorkloadA>(vm["instructions"].as<uint64_t>()));
    }
    system.run();
    const auto rep = system.report();
    const double m = rep["host"]["simulated_mips"].get<double>();
    mips.push_back(m);
    std::cout << fmt::format("run {}: {}: {} instructions, IPC {:.3f}, {:.2f} s, {:.2f} MIPS\n",
                             r + 1, what, rep["total"]["instructions"].get<uint64_t>(),
                             rep["total"]["ipc"].get<double>(),
                             rep["host"]["wall_seconds"].get<double>(), m);
    if (r + 1 == runs && vm.count("json")) {
      sim::write_file_atomic(vm["json"].as<std::string>(), rep.dump(2) + "\n");
    }
  }
  std::sort(mips.begin(), mips.end());
  std::cout << fmt::format("median: {:.2f} MIPS over {} run{}\n", mips[mips.size() / 2], runs,
                           runs == 1 ? "" : "s");
  return kExitOk;
}

std::string with_commas(uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string pct(uint64_t a, uint64_t b) {
  return fmt::format("{:.1f}%", b ? 100.0 * double(a) / double(b) : 0.0);
}

int cmd_cachesim(const std::vector<std::string>& args) {
  po::options_description opts(
      "pkusim cachesim TRACE : Cachegrind's I1/D1/LL counters for a trace (docs/cachesim.md)");
  opts.add_options()("help,h", "show this help")(
      "I1", po::value<std::string>()->default_value("32768,8,64"), "I1 cache: size,assoc,line")(
      "D1", po::value<std::string>()->default_value("32768,8,64"), "D1 cache: size,assoc,line")(
      "LL", po::value<std::string>()->default_value("11534336,11,64"), "LL cache: size,assoc,line")(
      "json", po::value<std::string>(), "also write the counters as JSON to FILE ('-': stdout)")(
      "trace", po::value<std::vector<std::string>>(), "the trace ('-' for stdin)");
  add_format_option(opts);
  const po::variables_map vm = parse("cachesim", opts, args);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  if (!vm.count("trace") || vm["trace"].as<std::vector<std::string>>().size() != 1) {
    throw UsageError("pkusim cachesim: give exactly one trace");
  }
  sim::CgGeometry g[3];
  const char* names[3] = {"I1", "D1", "LL"};
  for (int k = 0; k < 3; ++k) {
    try {
      g[k] = sim::CgGeometry::parse(std::string("--") + names[k], vm[names[k]].as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("pkusim cachesim: ") + e.what());
    }
  }
  sim::CgSim cg(g[0], g[1], g[2]);
  const std::string path = vm["trace"].as<std::vector<std::string>>()[0];
  traces::OpenedTrace t = traces::open_trace(path, vm["format"].as<std::string>());
  isa::Instr rec;
  while (t.source->next(rec)) {
    if (rec.has_ip && !rec.continuation) cg.instruction(rec.ip, rec.ip_size);
    switch (rec.op) {
      case isa::Op::kLoad:
      case isa::Op::kRmw:
        cg.read(rec.addr, rec.size);
        break;  // a modify counts as a read
      case isa::Op::kStore:
        cg.write(rec.addr, rec.size);
        break;
      default:
        break;
    }
  }
  const sim::CgCounters& c = cg.counters();
  const auto json_out = [&] {
    nlohmann::ordered_json j;
    j["Ir"] = c.Ir;
    j["I1mr"] = c.I1mr;
    j["ILmr"] = c.ILmr;
    j["Dr"] = c.Dr;
    j["D1mr"] = c.D1mr;
    j["DLmr"] = c.DLmr;
    j["Dw"] = c.Dw;
    j["D1mw"] = c.D1mw;
    j["DLmw"] = c.DLmw;
    return j;
  };
  if (vm.count("json")) {
    try {
      sim::write_file_atomic(vm["json"].as<std::string>(), json_out().dump(2) + "\n");
    } catch (const std::runtime_error& e) {
      std::cerr << "pkusim cachesim: " << e.what() << "\n";
      return kExitIo;
    }
    if (vm["json"].as<std::string>() == "-") return kExitOk;
  }
  for (int k = 0; k < 3; ++k) {
    std::cout << fmt::format("desc: {} cache:         {} B, {} B, {}-way associative\n", names[k],
                             g[k].size_bytes, g[k].line_bytes, g[k].assoc);
  }
  const uint64_t dref = c.Dr + c.Dw, d1m = c.D1mr + c.D1mw, dlm = c.DLmr + c.DLmw;
  const uint64_t llr = c.I1mr + c.D1mr, llw = c.D1mw, llmr = c.ILmr + c.DLmr;
  std::cout << fmt::format(
      "\nI   refs:      {}\nI1  misses:    {}\nLLi misses:    {}\nI1  miss rate: {}\n"
      "LLi miss rate: {}\n\n",
      with_commas(c.Ir), with_commas(c.I1mr), with_commas(c.ILmr), pct(c.I1mr, c.Ir),
      pct(c.ILmr, c.Ir));
  std::cout << fmt::format(
      "D   refs:      {}  ({} rd + {} wr)\nD1  misses:    {}  ({} rd + {} wr)\n"
      "LLd misses:    {}  ({} rd + {} wr)\nD1  miss rate: {}  ({} + {})\nLLd miss rate: {}  ({} + "
      "{})\n\n",
      with_commas(dref), with_commas(c.Dr), with_commas(c.Dw), with_commas(d1m),
      with_commas(c.D1mr), with_commas(c.D1mw), with_commas(dlm), with_commas(c.DLmr),
      with_commas(c.DLmw), pct(d1m, dref), pct(c.D1mr, c.Dr), pct(c.D1mw, c.Dw), pct(dlm, dref),
      pct(c.DLmr, c.Dr), pct(c.DLmw, c.Dw));
  std::cout << fmt::format(
      "LL refs:       {}  ({} rd + {} wr)\nLL misses:     {}  ({} rd + {} wr)\n"
      "LL miss rate:  {}  ({} + {})\n\n",
      with_commas(llr + llw), with_commas(llr), with_commas(llw), with_commas(llmr + c.DLmw),
      with_commas(llmr), with_commas(c.DLmw), pct(llmr + c.DLmw, c.Ir + dref),
      pct(llmr, c.Ir + c.Dr), pct(c.DLmw, c.Dw));
  std::cout << "events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw\n";
  std::cout << fmt::format("summary: {} {} {} {} {} {} {} {} {}\n", c.Ir, c.I1mr, c.ILmr, c.Dr,
                           c.D1mr, c.DLmr, c.Dw, c.D1mw, c.DLmw);
  return kExitOk;
}

int cmd_convert(const std::vector<std::string>& args) {
  po::options_description opts("pkusim convert IN OUT : convert a trace");
  opts.add_options()("help,h", "show this help")(
      "to", po::value<std::string>()->default_value(""),
      "output format: text or binary (default: binary for OUT ending in .pkb, else text)")(
      "trace", po::value<std::vector<std::string>>(), "IN and OUT ('-' for stdin / stdout)");
  add_format_option(opts);
  const po::variables_map vm = parse("convert", opts, args);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  const auto files =
      vm.count("trace") ? vm["trace"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2) throw UsageError("pkusim convert: expected IN and OUT");
  const std::string& out_path = files[1];
  std::string to = vm["to"].as<std::string>();
  if (to.empty()) to = out_path.size() > 4 && out_path.ends_with(".pkb") ? "binary" : "text";
  if (to != "text" && to != "binary") {
    throw UsageError("pkusim convert: --to " + to + ": expected text or binary");
  }
  traces::OpenedTrace in = traces::open_trace(files[0], vm["format"].as<std::string>());
  // Written to a temporary file renamed at the end: never a partial OUT.
  const std::string tmp = out_path == "-" ? "" : out_path + ".tmp." + std::to_string(::getpid());
  std::ofstream file;
  if (!tmp.empty()) {
    file.open(tmp, std::ios::binary);
    if (!file) {
      std::cerr << "pkusim convert: cannot write " << out_path << "\n";
      return kExitIo;
    }
  }
  std::ostream& out = tmp.empty() ? std::cout : file;
  uint64_t records = 0;
  traces::TextWriterStats text_stats;
  try {
    isa::Instr rec;
    if (to == "binary") {
      traces::BinaryWriter w(out);
      while (in.source->next(rec)) {
        w.write(rec);
        ++records;
      }
      w.close();
    } else {
      traces::TextWriter w(out);
      while (in.source->next(rec)) {
        w.write(rec);
        ++records;
      }
      text_stats = w.stats();
    }
    out.flush();
    if (!out) throw std::runtime_error("write failed");
  } catch (...) {
    if (!tmp.empty()) std::remove(tmp.c_str());
    throw;
  }
  if (!tmp.empty()) {
    file.close();
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
      std::remove(tmp.c_str());
      std::cerr << "pkusim convert: cannot write " << out_path << "\n";
      return kExitIo;
    }
  }
  std::cerr << fmt::format("pkusim convert: {} records, {} ({}{}) -> {}\n", records, files[0],
                           in.format, in.compression == "none" ? "" : ", " + in.compression, to);
  if (text_stats.continuations) {
    std::cerr << fmt::format(
        "pkusim convert: note: {} extra data accesses of multi-access instructions became "
        "instructions of their own (the text format has one access per instruction)\n",
        text_stats.continuations);
  }
  if (text_stats.fetch_sizes) {
    std::cerr << fmt::format(
        "pkusim convert: note: {} instruction lengths were dropped (text `@ADDR` fetches 1 byte)\n",
        text_stats.fetch_sizes);
  }
  return kExitOk;
}

int cmd_config(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "usage: pkusim config show [-c CONFIG] [--set PATH=VALUE]... [--plain]\n"
                 "       pkusim config describe\n"
                 "       pkusim config list\n";
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string what = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (what == "list") {
    for (const auto& n : sim::preset_names()) {
      std::cout << n << (n == sim::kDefaultPreset ? "  (default)" : "") << "\n";
    }
    return kExitOk;
  }
  if (what == "describe") {
    for (const sim::ParamSpec& s : sim::param_specs()) {
      std::string range;
      if (s.type == sim::ParamType::kInt || s.type == sim::ParamType::kFloat) {
        range = fmt::format(" [{} .. {}]{}", s.min, s.max, s.unit.empty() ? "" : " " + s.unit);
      } else if (s.type == sim::ParamType::kChoice) {
        std::string c;
        for (const auto& x : s.choices) c += (c.empty() ? "" : "|") + x;
        range = " {" + c + "}";
      }
      std::cout << fmt::format("{} = {}{}\n    {}\n    source: {}\n", s.path,
                               s.default_value.dump(), range, s.description, s.source);
    }
    return kExitOk;
  }
  if (what == "show") {
    po::options_description opts("pkusim config show");
    opts.add_options()("help,h", "show this help")("plain", "plain JSON, without comments");
    add_config_options(opts);
    const po::variables_map vm = parse("config show", opts, rest, false);
    if (vm.count("help")) {
      std::cout << opts << "\n";
      return kExitOk;
    }
    const sim::Config cfg = load_config(vm);
    std::cout << (vm.count("plain") ? cfg.values().dump(2) + "\n" : cfg.to_commented_json());
    return kExitOk;
  }
  throw UsageError(
      fmt::format("pkusim config: unknown subcommand '{}' (show, describe, list)", what));
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << kUsage;
      return args.empty() ? kExitUsage : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "pkusim " << PKUSIM_VERSION << "\n";
      return kExitOk;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "check") return cmd_check(args);
    if (cmd == "run") return cmd_run(args);
    if (cmd == "config") return cmd_config(args);
    if (cmd == "bench") return cmd_bench(args);
    if (cmd == "cachesim") return cmd_cachesim(args);
    if (cmd == "convert") return cmd_convert(args);
    throw UsageError(fmt::format("pkusim: unknown command '{}' (try pkusim --help)", cmd));
  } catch (const UsageError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  } catch (const traces::TraceError& e) {
    std::cerr << "pkusim: " << e.what() << "\n";
    return kExitTrace;
  } catch (const sim::ConfigError& e) {
    std::cerr << "pkusim: config error: " << e.what() << "\n";
    return kExitConfig;
  } catch (const std::exception& e) {
    std::cerr << "pkusim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace pkusim::app
