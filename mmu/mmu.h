#pragma once
// One core's MMU: control registers, TLBs, the walker and the permission
// check, composed as hardware does (SDM 4.10):
//  - a TLB hit is checked against the cached rights and key and the CURRENT
//    PKRU; a PTE changed in memory without invalidation keeps its old rights
//    until INVLPG or a flush removes the entry;
//  - a write through a cached entry whose D flag is clear re-walks to set D;
//  - a page fault invalidates the TLB entries for the faulting address
//    (SDM 4.10.4.1), so the retry after the handler walks again;
//  - a non-canonical address raises #GP without a lookup or walk.
// Invalidation: INVLPG (one page, current PCID, globals too), a flush of the
// current PCID's non-global entries (MOV CR3), and a global flush; each also
// empties the paging-structure caches of the PCID (SDM 4.10.4.1).
#include <cstdint>

#include "isa/control_regs.h"
#include "isa/fault.h"
#include "isa/pkru.h"
#include "mmu/phys_mem.h"
#include "mmu/psc.h"
#include "mmu/tlb.h"
#include "mmu/walker.h"

namespace pkusim::mmu {

/// A core's MMU geometry. No defaults here: sim/ fills it from the
/// parameter table (sim/machine_params.cc).
struct MmuConfig {
  TlbConfig tlb;
  unsigned maxphyaddr;
  unsigned psc_pml4_entries;
  unsigned psc_pdpt_entries;
  unsigned psc_pde_entries;
};

struct TranslateResult {
  isa::Exception exception = isa::Exception::kNone;
  isa::PfErrorCode error{};
  uint64_t pa = 0;
  unsigned tlb_level = 0;  // 1, 2 on a hit (also when the hit faulted); 0 if it walked
  bool walked = false;
};

struct MmuStats {
  uint64_t translations = 0;
  uint64_t walks = 0;                               // walks started (misses and D-bit assists)
  uint64_t dirty_assists = 0;                       // walks only to set D on a cached clean entry
  uint64_t walk_entry_reads = 0;                    // paging-structure entries read by walks
  uint64_t walks_by_size[isa::kNumPageSizes] = {};  // completed walks, by leaf size
  uint64_t page_faults = 0;
  uint64_t general_protection = 0;
  uint64_t invlpg = 0;
  uint64_t flush_pcid = 0;    // non-global flushes of one PCID (MOV CR3)
  uint64_t flush_global = 0;  // everything, globals included
  /// TLB hits that allowed an access the page tables (and PKRU) forbid: the
  /// security price of skipping invalidations. Counted only with a verify port.
  uint64_t stale_permission_hits = 0;
};

/// Whether the operating system refuses an access (delivers a signal for
/// it) given its mappings; used only to judge stale TLB hits.
class AccessJudge {
 public:
  virtual ~AccessJudge() = default;
  virtual bool refuses(uint64_t la, AccessType type, isa::Pkru pkru) const = 0;
};

class Mmu {
 public:
  Mmu(const MmuConfig& cfg, MemoryPort& port);

  /// With a port, every TLB hit that allows an access is checked against the
  /// page tables in memory (a walk without side effects) to count stale hits:
  /// those the page tables refuse and, with a judge, that the OS would have
  /// refused too (not a fault it resolves, such as a pending write upgrade).
  void set_verify_port(MemoryPort* port, const AccessJudge* judge = nullptr) {
    verify_port_ = port;
    judge_ = judge;
  }

  isa::ControlRegs& regs() { return regs_; }
  const isa::ControlRegs& regs() const { return regs_; }

  /// Translates and checks one access of at most one page.
  TranslateResult translate(uint64_t la, AccessType type, bool user_mode, isa::Pkru pkru);

  void invlpg(uint64_t la);
  void flush_current_pcid();
  void flush_global();

  /// Bumped by every invalidation and every fault (which drops the faulting
  /// address's entries): a translation known before still holds while the
  /// generation is the same.
  uint64_t generation() const { return generation_; }

  const Tlbs& tlbs() const { return tlbs_; }
  const Psc& psc() const { return psc_; }
  const MmuStats& stats() const { return stats_; }

 private:
  TranslateResult fault(uint64_t la, uint32_t error, unsigned tlb_level = 0);

  isa::ControlRegs regs_;
  Tlbs tlbs_;
  Psc psc_;
  unsigned maxphyaddr_;
  MemoryPort& port_;
  MemoryPort* verify_port_ = nullptr;
  const AccessJudge* judge_ = nullptr;
  MmuStats stats_;
  uint64_t generation_ = 0;
};

}  // namespace pkusim::mmu
