#include "mmu/walker.h"

#include "isa/address.h"

namespace pkusim::mmu {

using isa::bit;

uint32_t access_error_bits(AccessType type, bool user_mode, const isa::ControlRegs& regs) {
  uint32_t e = 0;
  if (type == AccessType::kWrite) e |= bit(isa::kPfWrite);
  if (user_mode) e |= bit(isa::kPfUser);
  // I/D is reported for fetches when NXE or SMEP is on (SDM 6.15).
  if (type == AccessType::kFetch && (regs.nxe() || regs.smep())) e |= bit(isa::kPfInstr);
  return e;
}

WalkResult walk(uint64_t la, AccessType type, bool user_mode, const isa::ControlRegs& regs,
                unsigned maxphyaddr, MemoryPort& port, Psc* psc, bool update_ad) {
  WalkResult r;
  const bool la57 = regs.la57();
  if (!isa::is_canonical(la, la57 ? isa::kLinearBits5Level : isa::kLinearBits4Level)) {
    r.exception = isa::Exception::kGeneralProtection;
    return r;
  }
  const uint32_t access_bits = access_error_bits(type, user_mode, regs);
  bool writable = true, user = true, xd = false;
  uint64_t table = regs.cr3.base(maxphyaddr);
  auto level = la57 ? isa::Level::kPml5 : isa::Level::kPml4;
  const uint16_t pcid = regs.pcid();
  if (psc && psc->enabled()) {
    isa::Level next;
    if (const PscEntry* e = psc->lookup(la, pcid, &next)) {
      table = e->table_pa;
      level = next;
      writable = e->writable;
      user = e->user;
      xd = e->xd;
    }
  }
  for (;; level = isa::Level(unsigned(level) - 1)) {
    const uint64_t entry_pa = table + uint64_t{isa::table_index(la, level)} * isa::kEntryBytes;
    isa::PagingEntry e{port.read_entry(entry_pa)};
    ++r.entries_read;
    if (!e.present()) {
      r.exception = isa::Exception::kPageFault;
      r.error.raw = access_bits;
      return r;
    }
    const bool can_be_large = level == isa::Level::kPdpt || level == isa::Level::kPd;
    const bool leaf = level == isa::Level::kPt || (can_be_large && e.page_size());
    if (e.raw &
        isa::reserved_mask(level, leaf && level != isa::Level::kPt, maxphyaddr, regs.nxe())) {
      r.exception = isa::Exception::kPageFault;
      r.error.raw = access_bits | bit(isa::kPfRsvd) | bit(isa::kPfP);
      return r;
    }
    if (!e.accessed() && update_ad) {
      e.set(isa::kPteA, true);
      port.write_entry(entry_pa, e.raw);
    }
    writable = writable && e.writable();
    user = user && e.user();
    xd = xd || (regs.nxe() && e.execute_disable());
    if (leaf) {
      Translation& t = r.translation;
      t.writable = writable;
      t.user = user;
      t.xd = xd;
      t.dirty = e.dirty();
      t.global = e.global();
      t.key = static_cast<uint8_t>(e.protection_key());
      if (level == isa::Level::kPt) {
        t.size = isa::PageSize::k4K;
        t.frame_pa = e.address(maxphyaddr);
      } else {
        t.size = level == isa::Level::kPd ? isa::PageSize::k2M : isa::PageSize::k1G;
        t.frame_pa = e.large_frame(maxphyaddr, isa::page_shift(t.size));
      }
      r.leaf_pa = entry_pa;
      return r;
    }
    table = e.address(maxphyaddr);
    if (psc && level != isa::Level::kPml5) psc->fill(la, pcid, level, table, writable, user, xd);
  }
}

}  // namespace pkusim::mmu
