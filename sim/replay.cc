#include "sim/replay.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "sim/check.h"
#include "traces/text_reader.h"
#include "traces/trace_error.h"

namespace pkusim::sim {

namespace {

ReplayResult replay_stream(std::istream& in, const std::string& name, Machine& machine) {
  traces::TextReader reader(in, name);
  ReplayResult result;
  isa::Instr rec;
  Outcome last;
  while (reader.next(rec)) {
    ++result.records;
    if (rec.op == isa::Op::kExpect) {
      ++result.expectations;
      if (!expectation_holds(rec, last)) {
        result.failures.push_back(
            {reader.line(), describe_expectation(rec), describe_outcome(last)});
      }
      continue;
    }
    last = machine.execute(rec);
  }
  return result;
}

}  // namespace

ReplayResult replay_file(const std::string& path, Machine& machine) {
  if (path == "-") return replay_stream(std::cin, "<stdin>", machine);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw traces::TraceError(path, 0, 0, std::string("cannot open: ") + std::strerror(errno));
  }
  return replay_stream(in, path, machine);
}

}  // namespace pkusim::sim
