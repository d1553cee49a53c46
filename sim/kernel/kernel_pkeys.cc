// Protection keys: pkey_alloc and pkey_free (mm/mprotect.c,
// arch/x86/include/asm/pkeys.h mm_pkey_*), and the execute-only key
// (arch/x86/mm/pkeys.c __execute_only_pkey).
#include <algorithm>
#include <bit>
#include <stdexcept>

#include "sim/kernel/kernel.h"
#include "sim/kernel/kernel_internal.h"

namespace pkusim::sim {

using namespace kernel_detail;

int Kernel::execute_only_key(unsigned tid) {
  bool need_to_set = false;
  int key = exec_only_pkey_;
  if (key == -1) {
    if (pkey_map_ == 0xFFFF) return -1;
    key = std::countr_one(pkey_map_);
    pkey_map_ |= uint16_t(1u << key);
    need_to_set = true;
  }
  Thread& t = threads_[tid];
  if (!need_to_set && !t.pkru.allows_read(unsigned(key))) return key;
  t.pkru = t.pkru.with_rights(unsigned(key), isa::kPkruAdBit);
  exec_only_pkey_ = key;
  return key;
}

SyscallResult Kernel::pkey_alloc(unsigned tid, uint32_t rights) {
  if (rights & ~(isa::kPkeyDisableAccess | isa::kPkeyDisableWrite))
    return {-abi::kEinval, abi::kEinval};
  lock_mm(0, 0);  // mmap_write_lock (mm/mprotect.c SYSCALL pkey_alloc); no range
  if (pkey_map_ == 0xFFFF) return {-abi::kEnospc, abi::kEnospc};
  const int key = std::countr_one(pkey_map_);
  pkey_map_ |= uint16_t(1u << key);
  // arch_set_user_pkey_access: only the calling thread's PKRU changes.
  uint32_t bits = 0;
  if (rights & isa::kPkeyDisableAccess) bits |= isa::kPkruAdBit;
  if (rights & isa::kPkeyDisableWrite) bits |= isa::kPkruWdBit;
  threads_[tid].pkru = threads_[tid].pkru.with_rights(unsigned(key), bits);
  return {key, 0};
}

SyscallResult Kernel::pkey_free(unsigned /*tid*/, int64_t pkey) {
  lock_mm(0, 0);  // mmap_write_lock, then mm_pkey_free
  // mm_pkey_is_allocated: in range, not the execute-only key, and allocated.
  if (pkey < 0 || pkey >= int64_t{isa::kNumPkeys} || pkey == exec_only_pkey_ ||
      !((pkey_map_ >> pkey) & 1)) {
    return {-abi::kEinval, abi::kEinval};
  }
  pkey_map_ &= uint16_t(~(1u << pkey));
  return {0, 0};
}

}  // namespace pkusim::sim
