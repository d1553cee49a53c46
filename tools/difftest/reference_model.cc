#include "reference_model.h"

namespace pkusim::difftest {
namespace {

constexpr uint8_t kProtMask = isa::kProtRead | isa::kProtWrite | isa::kProtExec;

constexpr bool pkru_ad(uint32_t pkru, int key) { return (pkru >> (2 * key)) & 1; }
constexpr bool pkru_wd(uint32_t pkru, int key) { return (pkru >> (2 * key + 1)) & 1; }

/// PAGE_ALIGN(len), wrapping modulo 2^64 as the kernel's unsigned long does.
constexpr uint64_t page_align(uint64_t len) { return (len + kPageSize - 1) & ~(kPageSize - 1); }

}  // namespace

ReferenceModel::ReferenceModel(Flaw flaw) : flaw_(flaw) { pkru_[0] = kDefaultPkru; }

const PageState* ReferenceModel::page(uint64_t page_number) const {
  const auto it = pages_.find(page_number);
  return it == pages_.end() ? nullptr : &it->second;
}

bool ReferenceModel::user_key_allocated(int64_t key) const {
  // mm_pkey_is_allocated: in range, not the exec-only key, bit set in the map.
  if (key < 0 || key >= kKeys) return false;
  if (key == exec_only_key_) return false;
  return (key_map_ >> key) & 1;
}

// ---------------------------------------------------------------------------
// Accesses

// One page of a data access. Linux (arch/x86/mm/fault.c): no VMA -> MAPERR;
// the VMA's key denied by the thread's PKRU -> PKUERR (checked in software on
// every fault, present page or not, before anything else); a write to a VMA
// without VM_WRITE -> ACCERR; a read of a VMA with none of r/w/x -> ACCERR.
// x86 cannot express write-only or execute-only PTEs without a key, so `w`
// and `x` pages are readable; AD denies reads and writes, WD denies writes
// (rmw is a write).
bool ReferenceModel::check_page(uint64_t page_number, uint64_t fault_addr, Access kind,
                                Result& out) const {
  const PageState* p = page(page_number);
  const bool write = kind == Access::kStore || (kind == Access::kRmw && flaw_ != Flaw::kRmwIsRead);
  int code = 0;
  if (!p) {
    code = kMaperr;
  } else {
    const uint32_t pkru = pkru_.at(current_);
    if (pkru_ad(pkru, p->key) || (write && pkru_wd(pkru, p->key))) {
      code = kPkuerr;
    } else if (write ? !(p->prot & isa::kProtWrite) : (p->prot & kProtMask) == 0) {
      code = kAccerr;
    }
  }
  if (code == 0) return true;
  out.fault = true;
  out.si_code = code;
  out.pkey = code == kPkuerr ? p->key : -1;
  out.fault_addr = fault_addr;
  out.fault_kind = kind;
  return false;
}

// Lower page first; the first page that fails decides. The fault address of
// the second page is where the access enters it (its first byte).
Result ReferenceModel::access(uint64_t addr, unsigned size, Access kind) {
  Result out;
  const uint64_t first = addr >> kPageShift;
  const uint64_t last = (addr + size - 1) >> kPageShift;
  if (!check_page(first, addr, kind, out)) return out;
  if (last != first && flaw_ != Flaw::kStraddleOnePage)
    check_page(last, last << kPageShift, kind, out);
  return out;
}

// An instruction fetch (`@ADDR`): protection keys never apply to fetches;
// no VMA -> MAPERR; a VMA without PROT_EXEC -> ACCERR (NX, or not present
// and not accessible for PROT_NONE).
bool ReferenceModel::fetch(uint64_t ip, Result& out) const {
  const PageState* p = page(ip >> kPageShift);
  int code = 0;
  if (!p)
    code = kMaperr;
  else if (!(p->prot & isa::kProtExec))
    code = kAccerr;
  if (code == 0) return true;
  out.fault = true;
  out.si_code = code;
  out.pkey = -1;
  out.fault_addr = ip;
  out.fault_kind = Access::kFetch;
  return false;
}

// ---------------------------------------------------------------------------
// Keys

// mm_pkey_alloc: the lowest clear bit of the 16-bit map, or -1 when full.
int ReferenceModel::alloc_key() {
  for (int k = 0; k < kKeys; ++k) {
    if (!((key_map_ >> k) & 1)) {
      key_map_ = static_cast<uint16_t>(key_map_ | (1u << k));
      return k;
    }
  }
  return -1;
}

// arch_set_user_pkey_access: the key's two PKRU bits of the calling thread
// become exactly `rights` (AD = 1, WD = 2).
void ReferenceModel::set_rights(int key, uint32_t rights) {
  uint32_t& pkru = pkru_.at(current_);
  pkru = (pkru & ~(3u << (2 * key))) | ((rights & 3u) << (2 * key));
}

// __execute_only_pkey (arch/x86/mm/pkeys.c): allocate the key on first use
// (-1 if no key is free); if it already existed and the caller's PKRU denies
// reading it, leave PKRU alone; otherwise make the caller's rights for it
// exactly "access disabled".
int ReferenceModel::execute_only_pkey() {
  bool fresh = false;
  int key = exec_only_key_;
  if (key == -1) {
    key = alloc_key();
    if (key < 0) return -1;
    fresh = true;
  }
  if (!fresh && pkru_ad(pkru_.at(current_), key)) return key;
  set_rights(key, isa::kPkeyDisableAccess);
  exec_only_key_ = key;
  return key;
}

// ---------------------------------------------------------------------------
// System calls

// mmap(ADDR, LEN, PROT, MAP_FIXED|MAP_ANONYMOUS|MAP_PRIVATE [|MAP_POPULATE]).
// do_mmap: LEN 0 -> EINVAL; PAGE_ALIGN(LEN) wrapping to 0 -> ENOMEM;
// get_unmapped_area (MAP_FIXED): LEN > TASK_SIZE or ADDR > TASK_SIZE - LEN ->
// ENOMEM, ADDR unaligned -> EINVAL, ADDR < mmap_min_addr -> EPERM
// (cap_mmap_addr). Then PROT_EXEC alone takes the execute-only key (0 if none
// can be had); anything else key 0. The old pages in the range are replaced.
int64_t ReferenceModel::sys_mmap(uint64_t addr, uint64_t len, uint8_t prot, int& err) {
  if (len == 0) return err = kErrEinval, -1;
  len = page_align(len);
  if (len == 0) return err = kErrEnomem, -1;
  if (len > kTaskSize || addr > kTaskSize - len) return err = kErrEnomem, -1;
  if (addr & (kPageSize - 1)) return err = kErrEinval, -1;
  if (addr < kMinAddr) return err = kErrEperm, -1;
  int key = 0;
  if ((prot & kProtMask) == isa::kProtExec) {
    key = execute_only_pkey();
    if (key < 0) key = 0;
  }
  const uint64_t first = addr >> kPageShift;
  const uint64_t end = (addr + len) >> kPageShift;
  for (uint64_t p = first; p < end; ++p)
    pages_[p] = PageState{static_cast<uint8_t>(prot & kProtMask), key};
  return static_cast<int64_t>(addr);
}

// munmap (do_vmi_munmap): ADDR unaligned, ADDR > TASK_SIZE or
// LEN > TASK_SIZE - ADDR -> EINVAL; PAGE_ALIGN(LEN) == 0 -> EINVAL.
// Unmapping nothing is fine.
int64_t ReferenceModel::sys_munmap(uint64_t addr, uint64_t len, int& err) {
  if ((addr & (kPageSize - 1)) || addr > kTaskSize || len > kTaskSize - addr) {
    return err = kErrEinval, -1;
  }
  const uint64_t end = addr + page_align(len);
  if (end == addr) return err = kErrEinval, -1;
  pages_.erase(pages_.lower_bound(addr >> kPageShift), pages_.lower_bound(end >> kPageShift));
  return 0;
}

// do_mprotect_pkey (mm/mprotect.c), KEY == -1 for plain mprotect:
//   ADDR unaligned -> EINVAL; LEN 0 -> 0; end = ADDR + PAGE_ALIGN(LEN),
//   end <= ADDR (wrap) -> ENOMEM; KEY != -1 and not allocated -> EINVAL;
//   the first page unmapped -> ENOMEM with nothing changed; then the range is
//   changed in address order and the first hole stops it with ENOMEM, keeping
//   what was changed before it.
// Linux works per VMA; per page is the same for outcomes because the key
// choice (__arch_override_mprotect_pkey) depends only on the page's own prot
// and key, and execute_only_pkey is idempotent once it has run.
int64_t ReferenceModel::sys_mprotect(uint64_t addr, uint64_t len, uint8_t prot, int64_t key_arg,
                                     int& err) {
  if (addr & (kPageSize - 1)) return err = kErrEinval, -1;
  if (len == 0) return 0;
  const uint64_t end = addr + page_align(len);
  if (end <= addr) return err = kErrEnomem, -1;
  // The syscall's pkey is an int.
  const int key = static_cast<int>(key_arg);
  if (key != -1 && !user_key_allocated(key)) return err = kErrEinval, -1;
  prot &= kProtMask;
  const uint64_t end_page = end >> kPageShift;
  for (uint64_t p = addr >> kPageShift; p < end_page; ++p) {
    // Every iteration either finds a mapped page (finitely many) or stops.
    auto it = pages_.find(p);
    if (it == pages_.end()) return err = kErrEnomem, -1;
    PageState& page = it->second;
    int new_key;
    if (key != -1) {
      new_key = key;  // pkey_mprotect: never overridden
    } else if (prot == isa::kProtExec) {
      // Go for the execute-only key; "if (pkey > 0) return pkey", else fall
      // through and keep the page's key (no key free, or the exec-only key
      // happens to be 0 after key 0 was freed).
      const int x = execute_only_pkey();
      new_key = x > 0 && flaw_ != Flaw::kMprotectKeepsKey ? x : page.key;
    } else if (page.prot == isa::kProtExec && page.key == exec_only_key_) {
      new_key = 0;  // leaving execute-only: back to the default key
    } else {
      new_key = page.key;
    }
    page.prot = prot;
    page.key = new_key;
  }
  return 0;
}

// pkey_alloc(0, RIGHTS): RIGHTS beyond AD|WD -> EINVAL; no free key ->
// ENOSPC; else the lowest free key, with the caller's PKRU bits for it set to
// exactly RIGHTS.
int64_t ReferenceModel::sys_pkey_alloc(uint32_t rights, int& err) {
  if (rights & ~3u) return err = kErrEinval, -1;
  const int key = alloc_key();
  if (key < 0) return err = kErrEnospc, -1;
  set_rights(key, rights);
  return key;
}

// pkey_free: EINVAL unless allocated and not the exec-only key (key 0 may be
// freed: mainline mm_pkey_free has no special case). Memory keeps the key.
int64_t ReferenceModel::sys_pkey_free(int64_t key_arg, int& err) {
  const int64_t key = static_cast<int>(key_arg);
  if (!user_key_allocated(key)) return err = kErrEinval, -1;
  key_map_ = static_cast<uint16_t>(key_map_ & ~(1u << key));
  return 0;
}

// ---------------------------------------------------------------------------

Result ReferenceModel::execute(const isa::Instr& in) {
  Result out;
  switch (in.op) {
    case isa::Op::kThread: {
      const unsigned tid = static_cast<unsigned>(in.value);
      // clone(): the new thread starts with its creator's PKRU.
      if (!pkru_.count(tid)) pkru_[tid] = pkru_.at(current_);
      current_ = tid;
      return out;
    }
    case isa::Op::kExpect:
    case isa::Op::kRoi:
      return out;
    default:
      break;
  }
  if (in.has_ip && !fetch(in.ip, out)) return out;

  int err = 0;
  int64_t ret = 0;
  switch (in.op) {
    case isa::Op::kLoad:
      return access(in.addr, in.size, Access::kLoad);
    case isa::Op::kStore:
      return access(in.addr, in.size, Access::kStore);
    case isa::Op::kRmw:
      return access(in.addr, in.size, Access::kRmw);
    case isa::Op::kCompute:
      return out;
    case isa::Op::kWrpkru:
      pkru_.at(current_) = static_cast<uint32_t>(in.value);
      return out;
    case isa::Op::kRdpkru:
      out.has_ret = true;
      out.ret = pkru_.at(current_);
      return out;
    case isa::Op::kMmap:
      ret = sys_mmap(in.addr, in.len, in.prot, err);
      break;
    case isa::Op::kMunmap:
      ret = sys_munmap(in.addr, in.len, err);
      break;
    case isa::Op::kMprotect:
      ret = sys_mprotect(in.addr, in.len, in.prot, -1, err);
      break;
    case isa::Op::kPkeyMprotect:
      ret = sys_mprotect(in.addr, in.len, in.prot, in.key, err);
      break;
    case isa::Op::kPkeyAlloc:
      ret = sys_pkey_alloc(static_cast<uint32_t>(in.value), err);
      break;
    case isa::Op::kPkeyFree:
      ret = sys_pkey_free(in.key, err);
      break;
    case isa::Op::kSleep:
    case isa::Op::kSyscall:
    case isa::Op::kExit:
      break;  // no effect on what any access may do
    case isa::Op::kThread:
    case isa::Op::kExpect:
    case isa::Op::kRoi:
      return out;
  }
  out.syscall = true;
  out.err = err;
  if (!err) {
    out.has_ret = true;
    out.ret = static_cast<uint64_t>(ret);
  }
  return out;
}

}  // namespace pkusim::difftest
