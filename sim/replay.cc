#include "sim/replay.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "sim/check.h"
#include "traces/open_trace.h"
#include "traces/text_reader.h"
#include "traces/trace_error.h"

namespace pkusim::sim {

ReplayResult replay_file(const std::string& path, Machine& machine, const std::string& format) {
  traces::OpenedTrace t = traces::open_trace(path, format);
  if (t.auto_map) machine.set_auto_map(true);
  ReplayResult result;
  isa::Instr rec;
  Outcome last;
  while (t.source->next(rec)) {
    ++result.records;
    if (rec.op == isa::Op::kExpect) {
      ++result.expectations;
      if (!expectation_holds(rec, last)) {
        const auto* text = dynamic_cast<const traces::TextReader*>(t.source.get());
        result.failures.push_back({text ? text->line() : result.records, describe_expectation(rec),
                                   describe_outcome(last)});
      }
      continue;
    }
    last = machine.execute(rec);
  }
  result.format = t.format;
  result.compression = t.compression;
  result.input_counters = t.source->counters();
  return result;
}

}  // namespace pkusim::sim
