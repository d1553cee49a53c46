// pkusim cachesim: Cachegrind's nine cache counters for a trace, exactly.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "sim/app/cli.h"
#include "sim/app/command.h"
#include "sim/app/options.h"
#include "sim/cachesim/cachegrind_model.h"
#include "sim/stats/writers.h"
#include "traces/open_trace.h"

namespace pkusim::app {

namespace {

std::string pct(uint64_t a, uint64_t b) {
  return fmt::format("{:.1f}%", b ? 100.0 * double(a) / double(b) : 0.0);
}

int cachesim_main(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("I1", po::value<std::string>()->default_value("32768,8,64"),
                     "I1 cache: size,assoc,line")(
      "D1", po::value<std::string>()->default_value("32768,8,64"), "D1 cache: size,assoc,line")(
      "LL", po::value<std::string>()->default_value("11534336,11,64"), "LL cache: size,assoc,line")(
      "json", po::value<std::string>(), "also write the counters as JSON to FILE ('-': stdout)")(
      "input", po::value<std::vector<std::string>>(), "the trace ('-' for stdin)");
  add_format_option(opts);
  const po::variables_map vm = parse("cachesim", opts, args);
  if (help(vm, opts,
           "pkusim cachesim TRACE [--I1=S,A,L] [--D1=S,A,L] [--LL=S,A,L]: Cachegrind's counters "
           "(docs/cachesim.md)")) {
    return kExitOk;
  }
  if (!vm.count("input") || vm["input"].as<std::vector<std::string>>().size() != 1) {
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
  if (vm.count("json")) check_output(vm["json"].as<std::string>());
  sim::CgSim cg(g[0], g[1], g[2]);
  const std::string path = vm["input"].as<std::vector<std::string>>()[0];
  traces::OpenedTrace t = traces::open_trace(path, format_option(vm));
  while (const isa::Instr* next = t.source->pull()) {
    const isa::Instr& rec = *next;
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
    write_output(vm["json"].as<std::string>(), json_out().dump(2) + "\n");
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
      stats::with_commas(c.Ir), stats::with_commas(c.I1mr), stats::with_commas(c.ILmr),
      pct(c.I1mr, c.Ir), pct(c.ILmr, c.Ir));
  std::cout << fmt::format(
      "D   refs:      {}  ({} rd + {} wr)\nD1  misses:    {}  ({} rd + {} wr)\n"
      "LLd misses:    {}  ({} rd + {} wr)\nD1  miss rate: {}  ({} + {})\nLLd miss rate: {}  ({} + "
      "{})\n\n",
      stats::with_commas(dref), stats::with_commas(c.Dr), stats::with_commas(c.Dw),
      stats::with_commas(d1m), stats::with_commas(c.D1mr), stats::with_commas(c.D1mw),
      stats::with_commas(dlm), stats::with_commas(c.DLmr), stats::with_commas(c.DLmw),
      pct(d1m, dref), pct(c.D1mr, c.Dr), pct(c.D1mw, c.Dw), pct(dlm, dref), pct(c.DLmr, c.Dr),
      pct(c.DLmw, c.Dw));
  std::cout << fmt::format(
      "LL refs:       {}  ({} rd + {} wr)\nLL misses:     {}  ({} rd + {} wr)\n"
      "LL miss rate:  {}  ({} + {})\n\n",
      stats::with_commas(llr + llw), stats::with_commas(llr), stats::with_commas(llw),
      stats::with_commas(llmr + c.DLmw), stats::with_commas(llmr), stats::with_commas(c.DLmw),
      pct(llmr + c.DLmw, c.Ir + dref), pct(llmr, c.Ir + c.Dr), pct(c.DLmw, c.Dw));
  std::cout << "events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw\n";
  std::cout << fmt::format("summary: {} {} {} {} {} {} {} {} {}\n", c.Ir, c.I1mr, c.ILmr, c.Dr,
                           c.D1mr, c.DLmr, c.Dw, c.D1mw, c.DLmw);
  return kExitOk;
}

}  // namespace

Command cachesim_command() {
  return {"cachesim", "Cachegrind's cache counters for a trace, exactly (--I1= --D1= --LL=)",
          cachesim_main};
}

}  // namespace pkusim::app
