#pragma once
// The Linux 6.x x86-64 model of one process: VMAs, page tables in PhysMem,
// protection keys, demand paging, fault classification, and the TLB flush
// policy. Behaviour and sources (docs/semantics.md, "Linux"):
//  - mmap (MAP_FIXED|MAP_ANONYMOUS|MAP_PRIVATE, optional MAP_POPULATE and
//    hugetlb), munmap, mprotect and pkey_mprotect (mm/mprotect.c
//    do_mprotect_pkey: EINVAL/ENOMEM order, changes made before a hole are
//    kept), pkey_alloc/pkey_free (asm/pkeys.h mm_pkey_*), the execute-only
//    key (arch/x86/mm/pkeys.c);
//  - PTE contents as x86 Linux builds them: private writable mappings are
//    read-only until a write fault (PAGE_COPY), a read fault maps the shared
//    zero page (_PAGE_SPECIAL), PROT_NONE is P=0 with _PAGE_PROTNONE, mprotect
//    upgrades exclusive anonymous pages to writable (can_change_pte_writable);
//  - faults classified as arch/x86/mm/fault.c does: no VMA -> SEGV_MAPERR; a
//    PK error code or a VMA key the thread's PKRU denies -> SEGV_PKUERR with
//    the VMA's key (before any page is populated); a VMA without the right ->
//    SEGV_ACCERR; otherwise the fault is resolved (demand paging, COW);
//  - after every PTE change, flush_tlb_mm_range: INVLPG per stride up to the
//    ceiling (33), else a full flush, on the local core and by IPI on every
//    other core running a thread of the process.
// Out of scope: file mappings, fork, signals' handler execution, THP,
// page-table freeing on munmap, NUMA hinting, userfaultfd, soft-dirty.
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "isa/fault.h"
#include "isa/instr.h"
#include "isa/linux_abi.h"
#include "isa/pkru.h"
#include "mmu/mmu.h"
#include "mmu/phys_mem.h"
#include "sim/kernel/vma.h"

namespace pkusim::sim {

/// Linux vm.mmap_min_addr default (mm/Kconfig DEFAULT_MMAP_MIN_ADDR on x86).
inline constexpr uint64_t kMmapMinAddr = 0x10000;
/// tlb_single_page_flush_ceiling (arch/x86/mm/tlb.c; Hansen 2014).
inline constexpr unsigned kLinuxFlushCeiling = 33;

/// What the kernel does after changing PTEs (kernel.flush_policy).
enum class FlushPolicy : uint8_t {
  kLinux,         // flush_tlb_mm_range as Linux does it
  kSkipUpgrades,  // no flush for PTE changes that only grant rights (safe: a
                  // stale, stricter entry faults, and the #PF invalidates it)
  kNone,          // rewrite PTEs but skip every invalidation (an unsafe ablation)
};
/// The policies by their config names, in `pkusim config describe` order.
inline constexpr std::pair<std::string_view, FlushPolicy> kFlushPolicies[] = {
    {"linux", FlushPolicy::kLinux},
    {"skip-upgrades", FlushPolicy::kSkipUpgrades},
    {"none", FlushPolicy::kNone}};

/// The kernel's policy parameters; filled from the config (machine_params.cc).
struct KernelConfig {
  unsigned flush_ceiling;
  FlushPolicy flush_policy;
  uint16_t pcid;  // the process's PCID on every core (set by whoever runs it)
  bool flushes() const { return flush_policy != FlushPolicy::kNone; }
};

/// What a timing model needs to know of the kernel's work: stores to page
/// tables, VMAs touched, and every invalidation, local or by IPI (a thread
/// that wakes after a change flushes locally). Calls come in program order
/// during the system call, fault or wake-up that causes them.
/// VMA work of a memory system call (mm/mprotect.c mprotect_fixup,
/// mm/mmap.c __split_vma, vma_merge, mmap_region).
enum class VmaOp : uint8_t {
  kChanged,  // one VMA's flags changed (vm_flags_reset, vma_set_page_prot)
  kSplit,    // a VMA split in two (vm_area_dup, maple-tree store)
  kMerged,   // two VMAs merged into one
  kCreated,  // a new VMA (mmap)
  kRemoved,  // a VMA unmapped
};

class KernelObserver {
 public:
  virtual ~KernelObserver() = default;
  /// The system call takes mmap_lock for writing for the rest of the call;
  /// it changes [start, end) (for per-VMA locking).
  virtual void mmap_lock(uint64_t start, uint64_t end) = 0;
  virtual void pte_written(uint64_t pa) = 0;
  /// mprotect made a PTE writable (can_change_pte_writable checked it).
  virtual void pte_made_writable() = 0;
  /// mprotect rewrote a huge-page entry (a PMD or PUD leaf), after its pte_written.
  virtual void huge_leaf_changed() = 0;
  virtual void vma_op(VmaOp op) = 0;
  /// One flush_tlb_mm_range, in Linux's order (native_flush_tlb_multi,
  /// kernel/smp.c smp_call_function_many_cond): the IPIs to the other cores
  /// are sent first (remote_flush, one per target), then the caller flushes
  /// its own TLB while they are in flight (local_flush), then it waits for
  /// the acknowledgements (shootdown_done). A woken thread's flush is a
  /// local_flush alone.
  virtual void remote_flush(unsigned tid, unsigned target, uint64_t invlpgs, bool full) = 0;
  /// A flush on the caller's core: `invlpgs` INVLPGs, or a full flush.
  virtual void local_flush(unsigned tid, uint64_t invlpgs, bool full) = 0;
  virtual void shootdown_done(unsigned tid, unsigned targets) = 0;
};

/// The result of a system call: ret >= 0, or err (a positive errno).
struct SyscallResult {
  int64_t ret = 0;
  int err = 0;
};

/// Outcome of the kernel's page-fault handler.
struct FaultOutcome {
  bool resolved = false;   // retry the access
  int si_code = 0;         // SIGSEGV si_code when not resolved
  int pkey = -1;           // si_pkey for SEGV_PKUERR
  bool zero_page = false;  // a read fault served by the shared zero page
};

struct KernelStats {
  uint64_t minor_faults = 0;     // faults resolved by populating a page
  uint64_t zero_page_maps = 0;   // read faults served by the zero page
  uint64_t cow_faults = 0;       // write faults that replaced the zero page
  uint64_t write_upgrades = 0;   // write faults that made an exclusive page writable
  uint64_t spurious_faults = 0;  // faults whose PTE already allowed the access
  uint64_t populated_pages = 0;  // by MAP_POPULATE
  uint64_t ptes_changed = 0;     // present PTEs rewritten by mprotect
  uint64_t ptes_zapped = 0;      // PTEs cleared by munmap / mmap over a mapping
  uint64_t flush_ranges = 0;     // flush_tlb_mm_range calls
  uint64_t local_invlpg = 0;
  uint64_t local_full_flushes = 0;
  uint64_t shootdowns = 0;  // flushes that sent IPIs
  uint64_t ipis = 0;        // IPIs sent (one per target core)
  uint64_t remote_invlpg = 0;
  uint64_t remote_full_flushes = 0;
  uint64_t skipped_flushes = 0;   // flushes not done (flush policy `none`)
  uint64_t unflushed_grants = 0;  // PTE changes granting rights, not flushed (`skip-upgrades`)
  uint64_t lazy_skipped = 0;      // threads asleep or exited that got no IPI
  uint64_t wake_flushes = 0;      // full flushes of threads that woke after a change
  uint64_t mmap_lock_writes = 0;  // system calls that took mmap_lock for writing
  uint64_t vma_splits = 0;
  uint64_t vma_merges = 0;
  uint64_t ptes_made_writable = 0;  // by mprotect (R -> RW of exclusive pages)
};

class Kernel {
 public:
  Kernel(const KernelConfig& cfg, mmu::PhysMem& mem, KernelObserver* observer = nullptr);

  /// The CR3 value (table base and PCID) of the process.
  isa::Cr3 cr3() const { return isa::Cr3::make(root_, cfg_.pcid); }

  /// Registers thread `tid`'s core MMU; the kernel flushes it on shootdowns.
  void attach_mmu(unsigned tid, mmu::Mmu* m);
  /// Creates thread `tid` with `pkru` (clone semantics: the creator's PKRU).
  void create_thread(unsigned tid, isa::Pkru pkru);
  bool thread_exists(unsigned tid) const { return tid < threads_.size() && threads_[tid].exists; }

  /// What a thread is doing: running (on its CPU), asleep (blocked in a
  /// system call: its CPU is idle in lazy-TLB mode), or exited.
  enum class ThreadState : uint8_t { kRunning, kAsleep, kExited };
  ThreadState thread_state(unsigned tid) const { return threads_[tid].state; }
  /// The thread blocks (a `sleep` record).
  void sleep(unsigned tid) { threads_[tid].state = ThreadState::kAsleep; }
  /// The thread runs again. If the process's page tables changed while it
  /// slept, its TLB is flushed first (switch_mm_irqs_off compares the mm's
  /// tlb_gen with the one this CPU has seen, arch/x86/mm/tlb.c). True if it was.
  bool wake(unsigned tid);
  /// The thread exits; its CPU gets no more flushes.
  void exit_thread(unsigned tid) { threads_[tid].state = ThreadState::kExited; }
  isa::Pkru pkru(unsigned tid) const { return threads_[tid].pkru; }
  void set_pkru(unsigned tid, isa::Pkru v) { threads_[tid].pkru = v; }

  SyscallResult mmap(unsigned tid, uint64_t addr, uint64_t len, uint8_t prot, uint8_t flags);
  SyscallResult munmap(unsigned tid, uint64_t addr, uint64_t len);
  SyscallResult mprotect(unsigned tid, uint64_t addr, uint64_t len, uint8_t prot, int64_t pkey);
  SyscallResult pkey_alloc(unsigned tid, uint32_t rights);
  SyscallResult pkey_free(unsigned tid, int64_t pkey);

  /// Whether a user access at `la` with `pkru` is one the kernel refuses
  /// (a signal) by the mappings alone: no VMA, a key the PKRU denies, or a
  /// VMA without the right (the checks of page_fault, without its effects).
  bool refuses(uint64_t la, mmu::AccessType type, isa::Pkru pkru) const;

  /// The #PF (or #GP) handler for a user access by `tid`.
  FaultOutcome page_fault(unsigned tid, uint64_t la, mmu::AccessType type, isa::Exception exc,
                          isa::PfErrorCode error);

  const VmaTree& vmas() const { return vmas_; }
  int execute_only_pkey() const { return exec_only_pkey_; }
  uint16_t allocated_pkeys() const { return pkey_map_; }
  const KernelStats& stats() const { return stats_; }

  /// The leaf entry mapping `la` (0 if none) and its level, for tests and tools.
  uint64_t leaf_entry(uint64_t la, isa::PageSize* size = nullptr) const;

 private:
  struct Thread {
    isa::Pkru pkru{};
    bool exists = false;
    ThreadState state = ThreadState::kRunning;
    uint64_t tlb_gen = 0;  // the mm's tlb_gen this thread's TLB has caught up with
    mmu::Mmu* mmu = nullptr;
  };

  // Page tables.
  void write_pte(uint64_t slot, uint64_t value);
  uint64_t leaf_slot(uint64_t la, isa::PageSize size, bool allocate);
  uint64_t make_leaf(uint64_t frame, const Vma& v, bool writable, bool dirty, bool special) const;
  void install_page(unsigned tid, Vma& v, uint64_t la, bool write);

  // VMA operations.
  bool range_splits_hugetlb(uint64_t start, uint64_t end);
  /// The range a call's page-table changes must flush, gathered over all its
  /// VMAs and flushed once at the end (x86 selects MMU_GATHER_MERGE_VMAS:
  /// tlb_end_vma does not flush; tlb_finish_mmu does, include/asm-generic/tlb.h).
  struct Gather {
    uint64_t lo = ~uint64_t{0}, hi = 0;
    unsigned stride_shift = 0;
  };
  void gather(unsigned tid, Gather& g, uint64_t lo, uint64_t hi, unsigned stride_shift);
  void finish_gather(unsigned tid, Gather& g);
  /// mmap_lock taken for writing, for a call that changes [start, end).
  void lock_mm(uint64_t start, uint64_t end);
  void split_vma_at(uint64_t addr);
  void merge_vmas(uint64_t lo, uint64_t hi);

  void unmap_range(unsigned tid, uint64_t start, uint64_t end, Gather& g);
  int change_protection(unsigned tid, Vma& v, uint8_t prot, uint8_t pkey, Gather& g);
  void populate(unsigned tid, uint64_t start, uint64_t end);
  int execute_only_key(unsigned tid);

  // TLB flush policy (flush_tlb_mm_range).
  void flush_tlb_range(unsigned tid, uint64_t start, uint64_t end, unsigned stride_shift,
                       bool freed_tables = false);

  KernelConfig cfg_;
  mmu::PhysMem& mem_;
  KernelObserver* observer_;
  uint64_t root_ = 0;
  uint64_t zero_page_ = 0;
  VmaTree vmas_;
  std::vector<Thread> threads_;
  uint16_t pkey_map_ = 1;  // key 0 allocated at mm creation
  int exec_only_pkey_ = -1;
  uint32_t next_anon_id_ = 1;
  uint64_t tlb_gen_ = 0;  // mm->context.tlb_gen: bumped by every flush
  KernelStats stats_;
};

}  // namespace pkusim::sim
