#pragma once
// The page-table walker for IA-32e paging (4-level; 5-level when CR4.LA57).
//
// Follows Intel SDM Vol. 3A 4.5 and the check order of Bochs
// (bochs/cpu/paging.cc: "page not present, reserved bits, protection") and
// QEMU (target/i386/tcg/system/excp_helper.c mmu_translate): canonical check
// (#GP, no walk) -> per level, top down: not present (#PF, P=0) -> reserved
// bits (#PF, RSVD|P) -> set A -> leaf at a PS=1 PDPTE (1 GiB) or PDE
// (2 MiB), or the PTE. It combines R/W, U/S (AND) and XD (OR) across levels
// and takes the key from the leaf only. The permission check is separate
// (permission.h); D is set by the MMU once the access is known to be
// allowed. Not modeled: PAT/memory types, SMM, EPT.
#include <cstdint>

#include "isa/control_regs.h"
#include "isa/fault.h"
#include "mmu/phys_mem.h"
#include "mmu/psc.h"
#include "mmu/translation.h"

namespace pkusim::mmu {

struct WalkResult {
  isa::Exception exception = isa::Exception::kNone;
  isa::PfErrorCode error{};  // valid when exception == kPageFault
  Translation translation{};
  uint64_t leaf_pa = 0;       // physical address of the leaf entry
  unsigned entries_read = 0;  // paging-structure reads this walk made
};

/// Fault error-code bits that describe the access itself (W/R, U/S, I/D).
uint32_t access_error_bits(AccessType type, bool user_mode, const isa::ControlRegs& regs);

/// Walks the tables rooted at regs.cr3, starting below the deepest hit of
/// `psc` (if given) and filling it. Sets A bits in the entries it uses unless
/// `update_ad` is false (a side-effect-free walk, for checks).
WalkResult walk(uint64_t la, AccessType type, bool user_mode, const isa::ControlRegs& regs,
                unsigned maxphyaddr, MemoryPort& port, Psc* psc = nullptr, bool update_ad = true);

}  // namespace pkusim::mmu
