#pragma once
// Short constructors for isa::Instr records in tests.
#include <cstdint>

#include "isa/instr.h"

namespace pkusim::test {

inline isa::Instr mem_op(isa::Op op, uint64_t addr, uint8_t size = 8) {
  isa::Instr i;
  i.op = op;
  i.addr = addr;
  i.size = size;
  return i;
}
inline isa::Instr load(uint64_t a, uint8_t s = 8) { return mem_op(isa::Op::kLoad, a, s); }
inline isa::Instr store(uint64_t a, uint8_t s = 8) { return mem_op(isa::Op::kStore, a, s); }
inline isa::Instr mmap(uint64_t a, uint64_t len, uint8_t prot, uint8_t flags = 0) {
  isa::Instr i;
  i.op = isa::Op::kMmap;
  i.addr = a;
  i.len = len;
  i.prot = prot;
  i.flags = flags;
  return i;
}
inline isa::Instr munmap(uint64_t a, uint64_t len) {
  isa::Instr i;
  i.op = isa::Op::kMunmap;
  i.addr = a;
  i.len = len;
  return i;
}
inline isa::Instr mprotect(uint64_t a, uint64_t len, uint8_t prot) {
  isa::Instr i;
  i.op = isa::Op::kMprotect;
  i.addr = a;
  i.len = len;
  i.prot = prot;
  return i;
}
inline isa::Instr pkey_mprotect(uint64_t a, uint64_t len, uint8_t prot, int64_t key) {
  isa::Instr i = mprotect(a, len, prot);
  i.op = isa::Op::kPkeyMprotect;
  i.key = key;
  return i;
}
inline isa::Instr pkey_alloc(uint32_t rights = 0) {
  isa::Instr i;
  i.op = isa::Op::kPkeyAlloc;
  i.value = rights;
  return i;
}
inline isa::Instr wrpkru(uint32_t v) {
  isa::Instr i;
  i.op = isa::Op::kWrpkru;
  i.value = v;
  return i;
}
inline isa::Instr thread(unsigned t) {
  isa::Instr i;
  i.op = isa::Op::kThread;
  i.value = t;
  return i;
}

inline constexpr uint8_t kR = isa::kProtRead;
inline constexpr uint8_t kRW = isa::kProtRead | isa::kProtWrite;
inline constexpr uint8_t kX = isa::kProtExec;

}  // namespace pkusim::test
