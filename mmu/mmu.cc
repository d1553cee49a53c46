#include "mmu/mmu.h"

#include "isa/address.h"
#include "mmu/permission.h"

namespace pkusim::mmu {

Mmu::Mmu(const MmuConfig& cfg, MemoryPort& port)
    : tlbs_(cfg.tlb),
      psc_(cfg.psc_pml4_entries, cfg.psc_pdpt_entries, cfg.psc_pde_entries),
      maxphyaddr_(cfg.maxphyaddr),
      port_(port) {}

TranslateResult Mmu::fault(uint64_t la, uint32_t error, unsigned tlb_level) {
  ++stats_.page_faults;
  ++generation_;
  // A #PF invalidates the TLB and paging-structure-cache entries for the
  // faulting address (SDM 4.10.4.1).
  tlbs_.invalidate_page(la, regs_.pcid());
  psc_.invalidate_address(la, regs_.pcid());
  TranslateResult r;
  r.tlb_level = tlb_level;
  r.exception = isa::Exception::kPageFault;
  r.error.raw = error;
  return r;
}

TranslateResult Mmu::translate(uint64_t la, AccessType type, bool user_mode, isa::Pkru pkru) {
  ++stats_.translations;
  const unsigned bits = regs_.la57() ? isa::kLinearBits5Level : isa::kLinearBits4Level;
  if (!isa::is_canonical(la, bits)) {
    ++stats_.general_protection;
    TranslateResult r;
    r.exception = isa::Exception::kGeneralProtection;
    return r;
  }
  const bool fetch = type == AccessType::kFetch;
  const uint16_t pcid = regs_.pcid();
  const TlbLookup hit = tlbs_.lookup(la, pcid, fetch);
  if (hit.translation) {
    const uint32_t error = check_access(*hit.translation, type, user_mode, regs_, pkru);
    if (error) return fault(la, error, hit.level);
    if (verify_port_) {
      const WalkResult truth = walk(la, type, user_mode, regs_, maxphyaddr_, *verify_port_, nullptr,
                                    /*update_ad=*/false);
      if ((truth.exception != isa::Exception::kNone ||
           check_access(truth.translation, type, user_mode, regs_, pkru) != 0) &&
          (!judge_ || judge_->refuses(la, type, pkru))) {
        ++stats_.stale_permission_hits;
      }
    }
    if (type != AccessType::kWrite || hit.translation->dirty) {
      TranslateResult r;
      r.pa = hit.translation->physical(la);
      r.tlb_level = hit.level;
      return r;
    }
    ++stats_.dirty_assists;
  }
  ++stats_.walks;
  const WalkResult w = walk(la, type, user_mode, regs_, maxphyaddr_, port_, &psc_);
  stats_.walk_entry_reads += w.entries_read;
  if (w.exception == isa::Exception::kPageFault) return fault(la, w.error.raw);
  Translation t = w.translation;
  ++stats_.walks_by_size[unsigned(t.size)];
  if (const uint32_t error = check_access(t, type, user_mode, regs_, pkru)) return fault(la, error);
  if (type == AccessType::kWrite && !t.dirty) {
    isa::PagingEntry leaf{port_.read_entry(w.leaf_pa)};
    leaf.set(isa::kPteD, true);
    port_.write_entry(w.leaf_pa, leaf.raw);
    t.dirty = true;
  }
  tlbs_.fill(la, pcid, fetch, t);
  TranslateResult r;
  r.pa = t.physical(la);
  r.walked = true;
  return r;
}

void Mmu::invlpg(uint64_t la) {
  ++stats_.invlpg;
  ++generation_;
  tlbs_.invalidate_page(la, regs_.pcid());
  psc_.flush(regs_.pcid(), false);
}

void Mmu::flush_current_pcid() {
  ++stats_.flush_pcid;
  ++generation_;
  tlbs_.flush(regs_.pcid(), /*all_pcids=*/false, /*include_global=*/false);
  psc_.flush(regs_.pcid(), false);
}

void Mmu::flush_global() {
  ++stats_.flush_global;
  ++generation_;
  tlbs_.flush(0, /*all_pcids=*/true, /*include_global=*/true);
  psc_.flush(0, true);
}

}  // namespace pkusim::mmu
