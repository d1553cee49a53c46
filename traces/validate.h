#pragma once
// The rules every record must follow, whatever format it came from (the
// text reader's grammar, applied to decoded records): a reader of a binary
// or foreign format calls this so that bad input is an error, not a crash.
#include <string>

#include "isa/instr.h"

namespace pkusim::traces {

/// What is wrong with `r` ("" when it is valid).
std::string record_problem(const isa::Instr& r);

/// A quick check that accepts the common valid records (accesses, compute)
/// without building a message; record_problem() decides the rest.
inline bool obviously_valid(const isa::Instr& r) {
  if (r.has_ip && r.ip_size == 0) return false;
  switch (r.op) {
    case isa::Op::kLoad:
    case isa::Op::kStore:
    case isa::Op::kRmw:
      return r.size >= 1 && r.size <= 64;
    case isa::Op::kCompute:
      return r.value != 0;
    default:
      return false;
  }
}

}  // namespace pkusim::traces
