#include "sim/check.h"

#include <fmt/format.h>

#include "isa/linux_abi.h"

namespace pkusim::sim {

bool expectation_holds(const isa::Instr& e, const Outcome& o) {
  switch (e.expect) {
    case isa::ExpectKind::kOk:
      return !o.fault && o.err == 0;
    case isa::ExpectKind::kMaperr:
      return o.fault && o.si_code == abi::kSegvMaperr;
    case isa::ExpectKind::kAccerr:
      return o.fault && o.si_code == abi::kSegvAccerr;
    case isa::ExpectKind::kPkuerr:
      return o.fault && o.si_code == abi::kSegvPkuerr && o.pkey == static_cast<int>(e.value);
    case isa::ExpectKind::kErrno:
      return o.syscall && o.err == static_cast<int>(e.value);
    case isa::ExpectKind::kRet:
      return o.has_ret && o.ret == e.value;
  }
  return false;
}

std::string describe_expectation(const isa::Instr& e) {
  switch (e.expect) {
    case isa::ExpectKind::kOk:
      return "ok";
    case isa::ExpectKind::kMaperr:
      return "fault maperr";
    case isa::ExpectKind::kAccerr:
      return "fault accerr";
    case isa::ExpectKind::kPkuerr:
      return fmt::format("fault pkuerr {}", e.value);
    case isa::ExpectKind::kErrno:
      return fmt::format("errno {}", abi::errno_name(static_cast<int>(e.value)));
    case isa::ExpectKind::kRet:
      return fmt::format("ret {:#x}", e.value);
  }
  return "?";
}

std::string describe_outcome(const Outcome& o) {
  if (o.fault) {
    const char* kind = access_kind_name(o.fault_kind);
    switch (o.si_code) {
      case abi::kSegvMaperr:
        return fmt::format("fault maperr ({} at {:#x})", kind, o.fault_addr);
      case abi::kSegvAccerr:
        return fmt::format("fault accerr ({} at {:#x})", kind, o.fault_addr);
      case abi::kSegvPkuerr:
        return fmt::format("fault pkuerr {} ({} at {:#x})", o.pkey, kind, o.fault_addr);
      default:
        return fmt::format("fault SI_KERNEL (#GP: non-canonical address, {})", kind);
    }
  }
  if (o.syscall && o.err) {
    const std::string_view name = abi::errno_name(o.err);
    return name.empty() ? fmt::format("errno {}", o.err) : fmt::format("errno {}", name);
  }
  if (o.has_ret) return fmt::format("ok, ret {:#x}", o.ret);
  return "ok";
}

}  // namespace pkusim::sim
