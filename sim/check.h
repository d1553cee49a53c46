#pragma once
// Matching `expect` assertions against what a record did.
#include <string>

#include "isa/instr.h"
#include "sim/machine.h"

namespace pkusim::sim {

/// True when `outcome` satisfies the assertion `expect`.
bool expectation_holds(const isa::Instr& expect, const Outcome& outcome);
/// "fault pkuerr 1", "errno EINVAL", "ret 0x1" ...: what was asserted.
std::string describe_expectation(const isa::Instr& expect);
/// The same vocabulary for what happened.
std::string describe_outcome(const Outcome& outcome);

}  // namespace pkusim::sim
