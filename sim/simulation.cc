#include "sim/simulation.h"

#include <sstream>

#include "traces/formats/text_reader.h"
#include "traces/gen/generator.h"
#include "traces/open_trace.h"
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
  system_->add_process(input, std::move(t.source), std::move(t.stream), std::string(t.format->name),
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

void Simulation::run() { system_->run(observer_, interval_); }

}  // namespace pkusim::sim
