#include "sim/simulation.h"

#include <fmt/format.h>

#include <sstream>

#include "traces/formats/text_reader.h"
#include "traces/gen/generator.h"
#include "traces/open_trace.h"
#include "traces/prefetch.h"
#include "traces/trace_error.h"

namespace pkusim::sim {

Simulation::Simulation(Config cfg, Mode mode)
    : cfg_(std::move(cfg)),
      params_(timing_params(cfg_)),
      system_(std::make_unique<System>(params_, mode)) {}

void Simulation::add_input(const std::string& input, const std::string& format) {
  if (input.rfind("gen:", 0) == 0) {
    auto [gen, args] = traces::parse_invocation(std::string_view(input).substr(4));
    add_source("gen:" + args.canonical(), gen->make(args), "generated");
    return;
  }
  if (input == "-" && (stdin_used_ || inputs_ > 0)) {
    throw traces::TraceError(input, 0, 0, "standard input can be used only as the one trace");
  }
  if (stdin_used_) {
    throw traces::TraceError(input, 0, 0, "standard input can be used only as the one trace");
  }
  stdin_used_ = input == "-";
  traces::OpenedTrace t = traces::open_trace(input, format);
  ++inputs_;
  std::unique_ptr<traces::RecordSource> source = std::move(t.source);
  std::unique_ptr<std::istream> stream = std::move(t.stream);
  if (traces::PrefetchSource::worthwhile()) {
    // Parsing and decompression on a second core, a few blocks ahead.
    source = std::make_unique<traces::PrefetchSource>(std::move(source), std::move(stream));
  }
  system_->add_process(input, std::move(source), std::move(stream), std::string(t.format->name),
                       t.compression, t.size_bytes);
}

void Simulation::add_text(std::string name, std::string text) {
  auto stream = std::make_unique<std::istringstream>(std::move(text));
  auto reader = std::make_unique<traces::TextReader>(*stream, name);
  ++inputs_;
  system_->add_process(std::move(name), std::move(reader), std::move(stream), "text", "none", 0);
}

void Simulation::add_source(std::string name, std::unique_ptr<traces::RecordSource> source,
                            std::string format) {
  ++inputs_;
  system_->add_process(std::move(name), std::move(source), nullptr, std::move(format), "none", 0);
}

void Simulation::run() {
  system_->run(observer_, interval_);
  const uint64_t measure_at = limits_.skip + limits_.warmup;
  if (measure_at > 0 && !system_->measure_start()) {
    const auto in = system_->inputs();
    throw traces::TraceError(
        in.empty() ? "" : in[0].name, 0, 0,
        fmt::format("the input{} ended after {} instructions, before --skip and --warmup ({}) "
                    "were done: nothing was measured",
                    in.size() == 1 ? "" : "s", system_->instructions(), measure_at));
  }
}

stats::Snapshot Simulation::stats() const {
  const stats::Snapshot end = system_->stats().snapshot();
  const auto& start = system_->measure_start();
  return start ? end.minus(*start) : end;
}

std::optional<stats::Snapshot> Simulation::roi_stats() const {
  const auto& start = system_->roi_start();
  const auto& end = system_->roi_end();
  if (!start || !end) return std::nullopt;
  // The region counts only measured instructions: it starts no earlier than
  // the measurement.
  const auto& measure = system_->measure_start();
  if (measure && system_->roi().begin_instruction < system_->measured().begin_instruction) {
    return end->minus(*measure);
  }
  return end->minus(*start);
}

}  // namespace pkusim::sim
