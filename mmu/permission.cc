#include "mmu/permission.h"

#include "isa/fault.h"
#include "mmu/walker.h"

namespace pkusim::mmu {

using isa::bit;

uint32_t check_access(const Translation& t, AccessType type, bool user_mode,
                      const isa::ControlRegs& regs, isa::Pkru pkru) {
  const uint32_t fault = bit(isa::kPfP) | access_error_bits(type, user_mode, regs);
  if (user_mode && !t.user) return fault;
  if (type == AccessType::kFetch) {
    if (t.xd) return fault;
    if (!user_mode && t.user && regs.smep()) return fault;
    return 0;
  }
  const bool write = type == AccessType::kWrite;
  if (regs.pke() && t.user) {
    if (pkru.access_disabled(t.key)) return fault | bit(isa::kPfPk);
    if (write && pkru.write_disabled(t.key) && (user_mode || regs.wp())) {
      return fault | bit(isa::kPfPk);
    }
  }
  if (write && !t.writable && (user_mode || regs.wp())) return fault;
  if (!user_mode && t.user && regs.smap()) return fault;
  return 0;
}

}  // namespace pkusim::mmu
