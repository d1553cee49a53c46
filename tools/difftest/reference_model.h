#pragma once
// A deliberately simple second implementation of what one pkusim record does,
// for differential testing against sim::Machine. It knows nothing of page
// tables, TLBs, VMAs or demand paging: the address space is a map from 4 KiB
// page number to {prot, key}, every thread has a PKRU value, and the process
// has a 16-bit key allocation map (key 0 preallocated) and an execute-only
// key (-1 until first used). The rules are Linux 6.x on x86-64 with PKU as
// the Intel SDM (Vol. 3A 2.7 and 4.6.2, PKRU) and mm/mprotect.c,
// arch/x86/mm/pkeys.c, arch/x86/include/asm/pkeys.h, mm/mmap.c,
// arch/x86/mm/fault.c and arch/x86/kernel/process.c define them (sources per
// rule in docs/semantics.md); each rule is spelt out next to its code in
// reference_model.cc.
//
// Deliberately independent of sim/: it uses only isa::Instr (the shared
// input record) and its own constants.
#include <cstdint>
#include <map>

#include "isa/instr.h"

namespace pkusim::difftest {

// si_code values (uapi asm-generic/siginfo.h) and errno values (x86-64).
inline constexpr int kMaperr = 1;
inline constexpr int kAccerr = 2;
inline constexpr int kPkuerr = 4;
inline constexpr int kErrEperm = 1;
inline constexpr int kErrEnomem = 12;
inline constexpr int kErrEinval = 22;
inline constexpr int kErrEnospc = 28;

inline constexpr uint64_t kPageSize = 4096;
inline constexpr unsigned kPageShift = 12;
/// TASK_SIZE_MAX on x86-64 with 4-level paging: (1 << 47) - PAGE_SIZE.
inline constexpr uint64_t kTaskSize = 0x7ffffffff000;
/// vm.mmap_min_addr default on x86.
inline constexpr uint64_t kMinAddr = 0x10000;
inline constexpr uint32_t kDefaultPkru = 0x55555554;
inline constexpr int kKeys = 16;

/// The kind of access a fault was taken on (mirrors sim::AccessKind order).
enum class Access : uint8_t { kLoad, kStore, kRmw, kFetch };

/// What one record did, in the vocabulary of the trace format's `expect`.
struct Result {
  bool fault = false;
  int si_code = 0;
  int pkey = -1;  // meaningful for SEGV_PKUERR only
  uint64_t fault_addr = 0;
  Access fault_kind = Access::kLoad;
  bool syscall = false;
  int err = 0;
  bool has_ret = false;
  uint64_t ret = 0;
};

struct PageState {
  uint8_t prot = 0;  // isa::kProt* bits
  int key = 0;
};

/// Deliberate defects, for testing that the differential harness notices a
/// wrong model and minimizes the evidence (never used for real runs).
enum class Flaw : uint8_t {
  kNone,
  kRmwIsRead,         // rmw checked as a read
  kStraddleOnePage,   // only the first page of an access is checked
  kMprotectKeepsKey,  // mprotect(x) never takes the execute-only key
};

class ReferenceModel {
 public:
  explicit ReferenceModel(Flaw flaw = Flaw::kNone);

  /// Executes one record; `thread` switches (creating the thread on first use)
  /// and `expect` does nothing.
  Result execute(const isa::Instr& in);

  // Read-only view for the generator and for tests.
  unsigned current_thread() const { return current_; }
  uint32_t pkru() const { return pkru_.at(current_); }
  uint32_t pkru_of(unsigned tid) const { return pkru_.at(tid); }
  bool thread_exists(unsigned tid) const { return pkru_.count(tid) != 0; }
  size_t thread_count() const { return pkru_.size(); }
  uint16_t allocation_map() const { return key_map_; }
  int exec_only_key() const { return exec_only_key_; }
  /// pkey_free / pkey_mprotect accept this key (mm_pkey_is_allocated).
  bool user_key_allocated(int64_t key) const;
  const std::map<uint64_t, PageState>& pages() const { return pages_; }
  /// Page number -> state, or null when unmapped.
  const PageState* page(uint64_t page_number) const;

 private:
  Result access(uint64_t addr, unsigned size, Access kind);
  bool check_page(uint64_t page_number, uint64_t fault_addr, Access kind, Result& out) const;
  bool fetch(uint64_t ip, Result& out) const;

  int64_t sys_mmap(uint64_t addr, uint64_t len, uint8_t prot, int& err);
  int64_t sys_munmap(uint64_t addr, uint64_t len, int& err);
  int64_t sys_mprotect(uint64_t addr, uint64_t len, uint8_t prot, int64_t key, int& err);
  int64_t sys_pkey_alloc(uint32_t rights, int& err);
  int64_t sys_pkey_free(int64_t key, int& err);

  int alloc_key();                            // mm_pkey_alloc: lowest free key or -1
  int execute_only_pkey();                    // __execute_only_pkey
  void set_rights(int key, uint32_t rights);  // arch_set_user_pkey_access

  Flaw flaw_;
  std::map<uint64_t, PageState> pages_;
  std::map<unsigned, uint32_t> pkru_;
  unsigned current_ = 0;
  uint16_t key_map_ = 1;  // key 0 allocated at mm creation
  int exec_only_key_ = -1;
};

}  // namespace pkusim::difftest
