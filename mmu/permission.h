#pragma once
// The access-rights check of Intel SDM Vol. 3A 4.6 and 4.6.2, in the order of
// QEMU (target/i386/tcg/system/excp_helper.c mmu_translate) and Bochs
// (bochs/cpu/paging.cc handle_pkeys), applied to a translation from the TLB
// or a fresh walk:
//  1. a user-mode access to a supervisor-mode address faults (no PK);
//  2. instruction fetches: XD and SMEP only; protection keys never apply;
//  3. data accesses to user-mode addresses with CR4.PKE: AD of the key denies
//     every access, WD denies user writes, and supervisor writes iff CR0.WP;
//  4. R/W: user writes need R/W = 1; supervisor writes only if CR0.WP;
//  5. SMAP: supervisor data access to a user-mode address.
// A violation yields the #PF error code: P | access bits [| PK].
#include <cstdint>

#include "isa/control_regs.h"
#include "isa/pkru.h"
#include "mmu/translation.h"

namespace pkusim::mmu {

/// 0 when the access is allowed, otherwise the page-fault error code.
uint32_t check_access(const Translation& t, AccessType type, bool user_mode,
                      const isa::ControlRegs& regs, isa::Pkru pkru);

}  // namespace pkusim::mmu
