#pragma once
// The instruction record every trace reader produces and the simulator
// consumes. One record is one user instruction (compute N stands for N), plus
// the two non-instruction records of a trace: a thread switch and an
// expectation on the previous record's outcome. Plain data, no allocation.
#include <cstdint>
#include <string_view>

namespace pkusim::isa {

enum class Op : uint8_t {
  kLoad,
  kStore,
  kRmw,
  kCompute,
  kWrpkru,
  kRdpkru,
  kMmap,
  kMunmap,
  kMprotect,
  kPkeyAlloc,
  kPkeyFree,
  kPkeyMprotect,
  kThread,   // not an instruction: later records belong to thread `value`
  kExpect,   // not an instruction: an assertion on the previous record
  kSleep,    // the thread blocks in a system call for `value` nanoseconds
  kExit,     // the thread exits
  kSyscall,  // a system call with no work of its own (entry and exit only)
  kRoi,      // not an instruction: the region of interest begins (value 0) or ends (1)
};
inline constexpr unsigned kNumOps = 18;
inline constexpr uint64_t kRoiBegin = 0;
inline constexpr uint64_t kRoiEnd = 1;

std::string_view op_name(Op op);

constexpr bool is_memory_op(Op op) { return op == Op::kLoad || op == Op::kStore || op == Op::kRmw; }
constexpr bool is_syscall(Op op) {
  return op == Op::kMmap || op == Op::kMunmap || op == Op::kMprotect || op == Op::kPkeyAlloc ||
         op == Op::kPkeyFree || op == Op::kPkeyMprotect || op == Op::kSleep || op == Op::kExit ||
         op == Op::kSyscall;
}
constexpr bool is_instruction(Op op) {
  return op != Op::kThread && op != Op::kExpect && op != Op::kRoi;
}

/// PROT_* bits as Linux defines them (uapi asm-generic/mman-common.h).
inline constexpr uint8_t kProtRead = 0x1;
inline constexpr uint8_t kProtWrite = 0x2;
inline constexpr uint8_t kProtExec = 0x4;

/// mmap flags the trace format can express.
inline constexpr uint8_t kMapPopulate = 0x1;
inline constexpr uint8_t kMapHuge2M = 0x2;
inline constexpr uint8_t kMapHuge1G = 0x4;

/// pkey_alloc access rights (Linux PKEY_DISABLE_ACCESS / PKEY_DISABLE_WRITE).
inline constexpr uint32_t kPkeyDisableAccess = 0x1;
inline constexpr uint32_t kPkeyDisableWrite = 0x2;

/// What an `expect` line asserts about the previous record.
enum class ExpectKind : uint8_t { kOk, kMaperr, kAccerr, kPkuerr, kErrno, kRet };

/// Field use by op:
///   load/store/rmw: addr, size           compute: value = count
///   wrpkru: value                        rdpkru: -
///   mmap: addr, len, prot, flags         munmap: addr, len
///   mprotect: addr, len, prot            pkey_mprotect: addr, len, prot, key
///   pkey_alloc: value = rights           pkey_free: key
///   thread: value = thread id            expect: expect, value (key, errno or ret)
///   sleep: value = nanoseconds           exit, syscall: -
///   roi: value = kRoiBegin or kRoiEnd
/// `ip` is the instruction's address when `has_ip` (its fetch is simulated).
struct Instr {
  Op op = Op::kCompute;
  uint8_t size = 0;
  uint8_t prot = 0;
  uint8_t flags = 0;
  ExpectKind expect = ExpectKind::kOk;
  bool has_ip = false;
  /// Another data access of the previous instruction (a lackey `I` line with
  /// several accesses): no instruction count, no fetch.
  bool continuation = false;
  uint8_t ip_size = 1;  // bytes fetched at `ip` (the instruction length, if known)
  int64_t key = 0;
  uint64_t addr = 0;
  uint64_t len = 0;
  uint64_t value = 0;
  uint64_t ip = 0;
};

}  // namespace pkusim::isa
