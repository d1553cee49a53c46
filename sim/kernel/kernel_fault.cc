// Page faults: arch/x86/mm/fault.c (access_error, bad_area_access_from_pkeys)
// and mm/memory.c (handle_mm_fault: demand paging, copy-on-write).
#include <algorithm>
#include <bit>
#include <stdexcept>

#include "sim/kernel/kernel.h"
#include "sim/kernel/kernel_internal.h"

namespace pkusim::sim {

using namespace kernel_detail;

bool Kernel::refuses(uint64_t la, mmu::AccessType type, isa::Pkru pkru) const {
  const Vma* v = la < kTaskSize ? vmas_.find(la) : nullptr;
  if (!v) return true;
  const bool write = type == mmu::AccessType::kWrite;
  if (type != mmu::AccessType::kFetch &&
      !(write ? pkru.allows_write(v->pkey) : pkru.allows_read(v->pkey))) {
    return true;
  }
  if (type == mmu::AccessType::kFetch) return !(v->prot & isa::kProtExec);
  return write ? !(v->prot & isa::kProtWrite) : !v->accessible();
}

FaultOutcome Kernel::page_fault(unsigned tid, uint64_t la, mmu::AccessType type, isa::Exception exc,
                                isa::PfErrorCode error) {
  FaultOutcome out;
  if (exc == isa::Exception::kGeneralProtection) {
    out.si_code = abi::kSiKernel;
    return out;
  }
  Vma* v = la < kTaskSize ? vmas_.find(la) : nullptr;
  if (!v) {
    out.si_code = abi::kSegvMaperr;
    return out;
  }
  const bool write = type == mmu::AccessType::kWrite;
  // access_error(): a PK error code, or a VMA key this thread's PKRU denies
  // (arch_vma_access_permitted; never for instruction fetches), is PKUERR.
  const isa::Pkru pkru = threads_[tid].pkru;
  const bool key_denies = type != mmu::AccessType::kFetch &&
                          !(write ? pkru.allows_write(v->pkey) : pkru.allows_read(v->pkey));
  if (error.pk() || key_denies) {
    out.si_code = abi::kSegvPkuerr;
    out.pkey = v->pkey;
    return out;
  }
  if (write ? !(v->prot & isa::kProtWrite) : (error.p() || !v->accessible())) {
    out.si_code = abi::kSegvAccerr;
    return out;
  }
  // handle_mm_fault.
  const uint64_t page = la & ~(isa::page_bytes(v->page) - 1);
  const uint64_t slot = leaf_slot(page, v->page, true);
  PagingEntry e{mem_.read64(slot)};
  if (!populated(e) || (v->hugetlb() && !e.page_size())) {
    const uint64_t zero_maps = stats_.zero_page_maps;
    install_page(tid, *v, la, write);
    out.zero_page = stats_.zero_page_maps != zero_maps;
    ++stats_.minor_faults;
  } else if (write && !e.writable()) {
    if (special(e)) {
      // wp_page_copy: replace the zero page by a private copy; the old
      // translation is flushed (ptep_clear_flush).
      const uint64_t frame = mem_.alloc_frame(v->page);
      write_pte(slot, make_leaf(frame, *v, true, true, false));
      if (v->anon_id == 0) v->anon_id = next_anon_id_++;
      ++stats_.cow_faults;
      flush_tlb_range(tid, page, page + isa::page_bytes(v->page), isa::page_shift(v->page));
    } else {
      // wp_page_reuse: an exclusive anonymous page becomes writable.
      e.set(isa::kPteRw, true).set(isa::kPteD, true).set(isa::kPteA, true);
      write_pte(slot, e.raw);
      ++stats_.write_upgrades;
    }
    ++stats_.minor_faults;
  } else {
    // The PTE already allows it: a stale TLB entry faulted, and the #PF
    // itself invalidated it (SDM 4.10.4.1).
    ++stats_.spurious_faults;
  }
  out.resolved = true;
  return out;
}

}  // namespace pkusim::sim
