#include "isa/instr.h"

namespace pkusim::isa {

std::string_view op_name(Op op) {
  switch (op) {
    case Op::kLoad:
      return "load";
    case Op::kStore:
      return "store";
    case Op::kRmw:
      return "rmw";
    case Op::kCompute:
      return "compute";
    case Op::kWrpkru:
      return "wrpkru";
    case Op::kRdpkru:
      return "rdpkru";
    case Op::kMmap:
      return "mmap";
    case Op::kMunmap:
      return "munmap";
    case Op::kMprotect:
      return "mprotect";
    case Op::kPkeyAlloc:
      return "pkey_alloc";
    case Op::kPkeyFree:
      return "pkey_free";
    case Op::kPkeyMprotect:
      return "pkey_mprotect";
    case Op::kThread:
      return "thread";
    case Op::kExpect:
      return "expect";
    case Op::kSleep:
      return "sleep";
    case Op::kExit:
      return "exit";
    case Op::kSyscall:
      return "syscall";
    case Op::kRoi:
      return "roi";
  }
  return "?";
}

}  // namespace pkusim::isa
