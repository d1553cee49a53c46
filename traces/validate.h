#pragma once
// The rules every record must follow, whatever format it came from (the
// text reader's grammar, applied to decoded records): a reader of a binary
// or foreign format calls this so that bad input is an error, not a crash.
#include <string>

#include "isa/instr.h"

namespace pkusim::traces {

/// What is wrong with `r` ("" when it is valid).
std::string record_problem(const isa::Instr& r);

}  // namespace pkusim::traces
