#include "traces/validate.h"

#include <fmt/format.h>

#include "isa/linux_abi.h"
#include "isa/paging.h"
#include "isa/pkru.h"

namespace pkusim::traces {

std::string record_problem(const isa::Instr& r) {
  const uint8_t prot_bits = isa::kProtRead | isa::kProtWrite | isa::kProtExec;
  const uint8_t map_bits = isa::kMapPopulate | isa::kMapHuge2M | isa::kMapHuge1G;
  if (r.has_ip && r.ip_size == 0) return "instruction length 0";
  switch (r.op) {
    case isa::Op::kLoad:
    case isa::Op::kStore:
    case isa::Op::kRmw:
      if (r.size < 1 || r.size > 64)
        return fmt::format("access size {} (expected 1 to 64)", r.size);
      break;
    case isa::Op::kCompute:
      if (r.value == 0) return "compute count 0";
      break;
    case isa::Op::kWrpkru:
      if (r.value > 0xFFFFFFFFull) return "PKRU value wider than 32 bits";
      break;
    case isa::Op::kRdpkru:
      break;
    case isa::Op::kMmap: {
      if (r.prot & ~prot_bits) return fmt::format("unknown PROT bits {:#x}", r.prot);
      if (r.flags & ~map_bits) return fmt::format("unknown mmap flags {:#x}", r.flags);
      if ((r.flags & isa::kMapHuge2M) && (r.flags & isa::kMapHuge1G)) {
        return "huge2m and huge1g together";
      }
      const uint64_t align = (r.flags & isa::kMapHuge1G)   ? isa::kPageBytes1G
                             : (r.flags & isa::kMapHuge2M) ? isa::kPageBytes2M
                                                           : isa::kPageBytes4K;
      if (r.addr % align || r.len % align) {
        return fmt::format("mmap {:#x} {:#x} not aligned to {} bytes", r.addr, r.len, align);
      }
      break;
    }
    case isa::Op::kMunmap:
      break;
    case isa::Op::kMprotect:
    case isa::Op::kPkeyMprotect:
      if (r.prot & ~prot_bits) return fmt::format("unknown PROT bits {:#x}", r.prot);
      if (r.op == isa::Op::kPkeyMprotect && (r.key < -1 || r.key > 0x7FFFFFFF)) {
        return fmt::format("key {} out of range", r.key);
      }
      break;
    case isa::Op::kPkeyAlloc:
      if (r.value > (isa::kPkeyDisableAccess | isa::kPkeyDisableWrite)) {
        return fmt::format("pkey_alloc rights {:#x}", r.value);
      }
      break;
    case isa::Op::kPkeyFree:
      if (r.key < -1 || r.key > 0x7FFFFFFF) return fmt::format("key {} out of range", r.key);
      break;
    case isa::Op::kThread:
      if (r.value >= abi::kMaxThreads)
        return fmt::format("thread id {} (expected 0 to {})", r.value, abi::kMaxThreads - 1);
      break;
    case isa::Op::kSleep:
    case isa::Op::kExit:
    case isa::Op::kSyscall:
      break;
    case isa::Op::kRoi:
      if (r.value > isa::kRoiEnd) return fmt::format("roi marker {}", r.value);
      if (r.has_ip) return "roi marker with an instruction address";
      break;
    case isa::Op::kExpect:
      if (r.expect > isa::ExpectKind::kRet) return "unknown assertion kind";
      if (r.expect == isa::ExpectKind::kPkuerr && r.value >= isa::kNumPkeys)
        return "pkuerr key out of range";
      break;
  }
  return "";
}

}  // namespace pkusim::traces
