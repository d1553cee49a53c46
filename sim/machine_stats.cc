// The functional machine's statistics: what each counter of the MMU, the
// machine and the kernel means, registered once in the statistics tree.
#include <array>
#include <string>
#include <vector>

#include "sim/machine.h"
#include "sim/stats/stats.h"

namespace pkusim::sim {

using stats::Show;
using stats::Unit;

namespace {

std::vector<std::string> page_size_labels() {
  std::vector<std::string> l;
  for (unsigned p = 0; p < isa::kNumPageSizes; ++p)
    l.emplace_back(isa::page_size_name(isa::PageSize(p)));
  return l;
}

void tlb_side(stats::Group& g, const mmu::TlbStats& t, unsigned side) {
  g.counter("lookups", &t.lookups[side], Unit::kCount, "TLB lookups");
  g.counter("l1_hits", &t.l1_hits[side], Unit::kCount, "Lookups that hit a first-level TLB",
            Show::kDetail);
  g.counter("stlb_hits", &t.l2_hits[side], Unit::kCount,
            "Lookups that missed the first level and hit the second-level TLB (STLB)");
  g.counter("misses", &t.misses[side], Unit::kCount, "Lookups that missed every level (a walk)");
  g.vector("l1_hits_by_page_size", t.l1_hits_by_size[side], page_size_labels(), Unit::kCount,
           "First-level hits by the page size of the translation", Show::kDetail);
  g.vector("stlb_hits_by_page_size", t.l2_hits_by_size[side], page_size_labels(), Unit::kCount,
           "STLB hits by the page size of the translation", Show::kDetail);
}

}  // namespace

void register_mmu_stats(stats::Group& core, const mmu::Mmu& m) {
  const mmu::TlbStats& t = m.tlbs().stats();
  stats::Group& tlb = core.group("tlb", "", "The core's TLBs (SDM Vol. 3A 4.10)");
  tlb_side(tlb.group("data", "data TLB", "Data-side lookups (L1 DTLB, then the STLB)"), t, 0);
  tlb_side(tlb.group("instruction", "instruction TLB",
                     "Instruction-side lookups (L1 ITLB, then the STLB)"),
           t, 1);
  const mmu::PscStats& p = m.psc().stats();
  stats::Group& psc =
      core.group("psc", "paging-structure caches", "Paging-structure caches (SDM Vol. 3A 4.10.3)");
  psc.counter("lookups", &p.lookups, Unit::kCount, "Walks that looked in the PSCs", Show::kDetail);
  psc.vector("hits", p.hits, {"pde", "pdpte", "pml4e"}, Unit::kCount,
             "Walks that started below a cached entry, by the deepest level hit", Show::kDetail);
  psc.counter("misses", &p.misses, Unit::kCount, "Walks that started at the root", Show::kDetail);
  const mmu::MmuStats& s = m.stats();
  stats::Group& walks = core.group("walks", "page walks", "Page-table walks");
  walks.counter("started", &s.walks, Unit::kCount,
                "Walks started: TLB misses and dirty-bit assists");
  walks.counter("dirty_bit_assists", &s.dirty_assists, Unit::kCount,
                "Walks only to set the D flag of a cached clean translation", Show::kDetail);
  walks.counter("entries_read", &s.walk_entry_reads, Unit::kCount,
                "Paging-structure entries read by walks", Show::kDetail);
  walks.vector("completed_by_page_size", s.walks_by_size, page_size_labels(), Unit::kCount,
               "Walks that reached a leaf, by its page size", Show::kDetail);
  stats::Group& ev = core.group("mmu", "", "Faults and invalidations seen by the MMU");
  ev.counter("translations", &s.translations, Unit::kCount, "Translations (one per page touched)",
             Show::kDetail);
  ev.counter("page_faults", &s.page_faults, Unit::kCount, "#PF raised");
  ev.counter("general_protection", &s.general_protection, Unit::kCount,
             "#GP raised (non-canonical addresses)", Show::kDetail);
  ev.counter("invlpg", &s.invlpg, Unit::kCount, "INVLPG executed on this core");
  ev.counter("full_flushes", &s.flush_pcid, Unit::kCount,
             "Flushes of the process's PCID (MOV to CR3) on this core");
  ev.counter("global_flushes", &s.flush_global, Unit::kCount,
             "Flushes of every PCID, global entries included", Show::kDetail);
  ev.counter("stale_permission_accesses", &s.stale_permission_hits, Unit::kCount,
             "TLB hits that allowed an access the page tables (and PKRU) forbid and the kernel "
             "would have refused with a signal: the price of skipping invalidations (counted "
             "with kernel.flush_policy none)");
}

void register_process_stats(stats::Group& g, const Machine& m) {
  const MachineStats& s = m.stats();
  g.counter("threads", &s.threads, Unit::kCount, "Threads created");
  g.counter("instructions", &s.instructions, Unit::kInstructions, "Instructions executed");
  g.counter("records", &s.records, Unit::kCount, "Trace records replayed", Show::kDetail);
  stats::Group& acc = g.group("accesses", "", "Accesses by kind");
  acc.vector("by_kind", s.accesses.data(), {"load", "store", "rmw", "fetch"}, Unit::kCount,
             "Data accesses by kind, and instruction fetches");
  acc.counter("page_straddles", &s.page_straddles, Unit::kCount,
              "Accesses that straddle a page boundary (checked on both pages)");
  acc.counter("auto_mapped_pages", &s.auto_mapped_pages, Unit::kPages,
              "Pages mapped on first touch (traces of real programs)");
  stats::Group& pkru = g.group("pkru", "", "PKRU instructions");
  pkru.counter("wrpkru", &s.wrpkru, Unit::kCount, "WRPKRU executed");
  pkru.counter("rdpkru", &s.rdpkru, Unit::kCount, "RDPKRU executed");

  stats::Group& f = g.group("faults", "SIGSEGV", "Faults delivered as SIGSEGV");
  f.counter("total", &s.faults, Unit::kCount, "SIGSEGV delivered");
  std::vector<std::string> codes;
  for (const auto& c : abi::kSiCodes) codes.emplace_back(c.name);
  f.vector("by_si_code", s.faults_by_code.data(), codes, Unit::kCount, "SIGSEGV by si_code");
  std::vector<std::string> keys;
  for (unsigned k = 0; k < isa::kNumPkeys; ++k) keys.push_back(std::to_string(k));
  f.vector("pkuerr_by_key", s.pkuerr_by_key.data(), keys, Unit::kCount,
           "SEGV_PKUERR by si_pkey (the faulting page's protection key)");

  stats::Group& sys = g.group("syscalls", "system calls", "System calls, by call");
  std::vector<std::string> errnos;
  for (const auto& e : abi::kErrnoNames) errnos.emplace_back(e.name);
  errnos.emplace_back("other");
  for (unsigned op = 0; op < isa::kNumOps; ++op) {
    if (!isa::is_syscall(isa::Op(op))) continue;
    const std::string name(isa::op_name(isa::Op(op)));
    const SyscallCounts& c = s.syscalls[op];
    stats::Group& one = sys.group(name, name, name + " calls");
    one.counter("calls", &c.calls, Unit::kCount, "Calls made");
    one.counter("ok", &c.ok, Unit::kCount, "Calls that succeeded");
    one.vector("errors", c.errors.data(), errnos, Unit::kCount, "Calls that failed, by errno");
  }

  const KernelStats& k = m.kernel().stats();
  stats::Group& pf = g.group("page_faults", "", "Page faults the kernel resolved");
  pf.counter("minor", &k.minor_faults, Unit::kCount, "Faults resolved by mapping a page");
  pf.counter("zero_page_maps", &k.zero_page_maps, Unit::kCount,
             "Read faults served by the shared zero page");
  pf.counter("copy_on_write", &k.cow_faults, Unit::kCount,
             "Write faults that replaced the zero page by a private page");
  pf.counter("write_upgrades", &k.write_upgrades, Unit::kCount,
             "Write faults that made an exclusive page writable");
  pf.counter("spurious", &k.spurious_faults, Unit::kCount,
             "Faults whose PTE already allowed the access (a stale TLB entry)");
  pf.counter("populated_pages", &k.populated_pages, Unit::kPages,
             "Pages faulted in by MAP_POPULATE");
  stats::Group& pt = g.group("page_tables", "", "Page-table work");
  pt.counter("ptes_changed", &k.ptes_changed, Unit::kCount, "Present PTEs rewritten by mprotect");
  pt.counter("ptes_zapped", &k.ptes_zapped, Unit::kCount,
             "PTEs cleared by munmap or by an mmap over a mapping");
  pt.counter("ptes_made_writable", &k.ptes_made_writable, Unit::kCount,
             "PTEs mprotect made writable (exclusive anonymous pages)", Show::kDetail);
  pt.counter("vma_splits", &k.vma_splits, Unit::kCount, "VMAs split in two");
  pt.counter("vma_merges", &k.vma_merges, Unit::kCount, "VMAs merged with a neighbour");
  pt.counter("mmap_lock_writes", &k.mmap_lock_writes, Unit::kCount,
             "System calls that took mmap_lock for writing", Show::kDetail);
  const Kernel& kernel = m.kernel();
  pt.gauge(
      "vmas", [&kernel] { return uint64_t(kernel.vmas().size()); }, Unit::kEntries,
      "VMAs of the process (at the end)");
  stats::Group& inv = g.group("invalidations", "", "TLB invalidations (flush_tlb_mm_range)");
  inv.counter("flush_ranges", &k.flush_ranges, Unit::kCount, "flush_tlb_mm_range calls");
  inv.counter("local_invlpg", &k.local_invlpg, Unit::kCount, "INVLPGs on the calling core");
  inv.counter("local_full_flushes", &k.local_full_flushes, Unit::kCount,
              "Full flushes on the calling core (range above the flush ceiling)");
  inv.counter("shootdowns", &k.shootdowns, Unit::kCount, "Flushes that sent IPIs to other cores");
  inv.counter("ipis", &k.ipis, Unit::kCount, "Shootdown IPIs sent (one per target core)");
  inv.counter("remote_invlpg", &k.remote_invlpg, Unit::kCount, "INVLPGs on other cores");
  inv.counter("remote_full_flushes", &k.remote_full_flushes, Unit::kCount,
              "Full flushes on other cores");
  inv.counter("skipped", &k.skipped_flushes, Unit::kCount,
              "Flushes not done (kernel.flush_policy none)");
  inv.counter("unflushed_grants", &k.unflushed_grants, Unit::kCount,
              "PTE changes that only granted rights and were not flushed (kernel.flush_policy "
              "skip-upgrades); a stale entry costs a spurious fault instead");
  inv.counter("lazy_skipped", &k.lazy_skipped, Unit::kCount,
              "Threads that got no IPI because they were asleep or had exited (lazy TLB)");
  inv.counter("wake_flushes", &k.wake_flushes, Unit::kCount,
              "Full flushes of threads that woke after the page tables changed");
}

}  // namespace pkusim::sim
