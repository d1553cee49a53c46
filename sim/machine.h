#pragma once
// The functional machine: one process (a trace) replayed on the MMU and
// kernel models, every access checked as hardware and Linux would, with no
// timing. Thread t runs on its own core (its own MMU and TLBs), so a flush
// by one thread reaches the others' TLBs only through the kernel's
// shootdowns. The timing model (a later layer) drives the same pieces.
#include <array>
#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

#include "isa/instr.h"
#include "isa/linux_abi.h"
#include "mmu/mmu.h"
#include "mmu/phys_mem.h"
#include "sim/config/param.h"
#include "sim/kernel/kernel.h"

namespace pkusim::stats {
class Group;
}

namespace pkusim::sim {

enum class AccessKind : uint8_t { kLoad, kStore, kRmw, kFetch };
inline constexpr unsigned kNumAccessKinds = 4;
/// Access kind names, indexed by AccessKind.
inline constexpr const char* kAccessKindNames[kNumAccessKinds] = {"load", "store", "rmw", "fetch"};
inline const char* access_kind_name(AccessKind k) { return kAccessKindNames[unsigned(k)]; }

/// What one record did, for `expect` and for the report.
struct Outcome {
  bool fault = false;
  int si_code = 0;
  int pkey = -1;
  uint64_t fault_addr = 0;
  AccessKind fault_kind = AccessKind::kLoad;
  bool syscall = false;
  int err = 0;           // errno of a failed system call
  bool has_ret = false;  // a successful system call or rdpkru
  uint64_t ret = 0;
};

struct FaultRecord {
  unsigned thread = 0;
  uint64_t instruction = 0;  // 1-based instruction number in the trace
  uint64_t addr = 0;
  AccessKind kind = AccessKind::kLoad;
  int si_code = 0;
  int pkey = -1;
};

/// What the system calls of one kind returned.
struct SyscallCounts {
  /// Failures by errno: one slot per name of abi::kErrnoNames, then "other".
  static constexpr unsigned kErrorSlots = unsigned(abi::kErrnoNames.size()) + 1;
  uint64_t calls = 0;
  uint64_t ok = 0;
  std::array<uint64_t, kErrorSlots> errors{};
};

/// Counters of a replay (registered in the statistics tree by machine_stats.cc).
struct MachineStats {
  static constexpr unsigned kMaxFaultDetails = 20;
  uint64_t instructions = 0;
  uint64_t records = 0;
  uint64_t threads = 0;
  std::array<uint64_t, kNumAccessKinds> accesses{};
  uint64_t page_straddles = 0;
  uint64_t auto_mapped_pages = 0;
  uint64_t wrpkru = 0;
  uint64_t rdpkru = 0;
  uint64_t faults = 0;
  /// By si_code, in the order of abi::kSiCodes.
  std::array<uint64_t, abi::kSiCodes.size()> faults_by_code{};
  std::array<uint64_t, isa::kNumPkeys> pkuerr_by_key{};
  std::vector<FaultRecord> first_faults;
  std::array<SyscallCounts, isa::kNumOps> syscalls{};
};

/// The functional machine's parameters; filled from the config by
/// machine_param_table() (sim/machine_params.cc).
struct MachineConfig {
  mmu::MmuConfig mmu;
  KernelConfig kernel;
  /// Map pages on first touch when nothing maps them (read-write, plus exec
  /// for fetches): for traces of real programs whose start-up mappings were
  /// made before tracing began (lackey). Set from the trace's format.
  bool auto_map = false;
};
/// system.maxphyaddr, tlb.* geometry, mmu.psc_*, kernel.flush_*.
const ParamTable<MachineConfig>& machine_param_table();
/// The machine of a validated config.
inline MachineConfig machine_config(const Config& c) { return machine_param_table().bind(c); }

/// How a timing model follows the functional machine: it supplies each
/// thread's memory port (so walks go through its caches) and hears of every
/// translation, access and fault, in program order. Also the kernel's observer.
class MachineHooks : public KernelObserver {
 public:
  /// Called once per new thread, before its first record; may throw
  /// ConfigError (e.g. more threads than cores).
  virtual mmu::MemoryPort& thread_created(unsigned tid) = 0;
  /// The thread's MMU exists (right after thread_created).
  virtual void mmu_created(unsigned tid, const mmu::Mmu& m) = 0;
  /// One translation attempt (a retry after a resolved fault is another).
  virtual void translated(unsigned tid, AccessKind kind, uint64_t la,
                          const mmu::TranslateResult& r) = 0;
  /// A successful access of one page part at physical address `pa`.
  virtual void accessed(unsigned tid, AccessKind kind, uint64_t pa) = 0;
  /// The kernel resolved a page fault (demand paging, COW, spurious);
  /// `zero_page`: by mapping the shared zero page (no allocation).
  virtual void fault_resolved(unsigned tid, uint64_t la, bool zero_page) = 0;
  /// The kernel delivered SIGSEGV.
  virtual void signal_delivered(unsigned tid, uint64_t la) = 0;
};

class Machine {
 public:
  /// `shared_mem`: physical memory shared with other processes (null: own).
  explicit Machine(const MachineConfig& cfg, mmu::PhysMem* shared_mem = nullptr,
                   MachineHooks* hooks = nullptr);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  /// Executes one record (thread switches and expectations do nothing here).
  Outcome execute(const isa::Instr& in);

  unsigned current_thread() const { return current_; }
  /// True when the current thread's next instruction at `ip` needs no fetch
  /// of its own (same line as its last fetch, nothing invalidated since) and
  /// the thread is running: executing it then calls no hook but for data.
  bool fetch_cached(uint64_t ip, unsigned size) const {
    const FetchLine& f = fetch_lines_[current_];
    const uint64_t line = ip >> kFetchLineShift;
    return line == f.line && ((ip + size - 1) >> kFetchLineShift) == line &&
           f.generation == mmus_[current_]->generation() &&
           kernel_.thread_state(current_) == Kernel::ThreadState::kRunning;
  }
  void set_auto_map(bool on) { cfg_.auto_map = on; }
  const Kernel& kernel() const { return kernel_; }
  const mmu::PhysMem& phys_mem() const { return mem_; }
  Kernel& kernel() { return kernel_; }
  /// The MMU of thread `tid`'s core, or null if the thread does not exist.
  const mmu::Mmu* mmu(unsigned tid) const {
    return tid < mmus_.size() ? mmus_[tid].get() : nullptr;
  }
  const MachineStats& stats() const { return stats_; }
  /// Sum of every thread's MMU counters.
  mmu::MmuStats mmu_totals() const;
  unsigned threads() const { return unsigned(stats_.threads); }

 private:
  void switch_thread(unsigned tid);
  /// Checks one access of `size` bytes (both pages if it straddles).
  bool access(uint64_t la, unsigned size, AccessKind kind, Outcome& out);
  bool access_page(uint64_t la, AccessKind kind, Outcome& out);
  /// The fetch of an instruction of `size` bytes at `ip`, by fetch line.
  bool fetch(uint64_t ip, unsigned size, Outcome& out);
  bool auto_map(uint64_t la, AccessKind kind, int si_code);
  void record_fault(const Outcome& out);

  // Judges stale TLB hits by the kernel's mappings (flush_policy none).
  class Judge final : public mmu::AccessJudge {
   public:
    explicit Judge(const Kernel& k) : kernel_(k) {}
    bool refuses(uint64_t la, mmu::AccessType type, isa::Pkru pkru) const override {
      return kernel_.refuses(la, type, pkru);
    }

   private:
    const Kernel& kernel_;
  };

  MachineConfig cfg_;
  std::unique_ptr<mmu::PhysMem> own_mem_;
  mmu::PhysMem& mem_;
  mmu::DirectPort port_;
  MachineHooks* hooks_;
  Kernel kernel_;
  Judge judge_{kernel_};
  std::vector<std::unique_ptr<mmu::Mmu>> mmus_;
  unsigned current_ = 0;
  MachineStats stats_;
  std::unordered_set<uint64_t> auto_mapped_;  // pages mapped on first touch
  /// Per thread: the line of its last fetch and the MMU generation then.
  static constexpr unsigned kFetchLineShift = 6;
  struct FetchLine {
    uint64_t line = ~uint64_t{0};
    uint64_t generation = 0;
  };
  std::vector<FetchLine> fetch_lines_;
};

/// Registers the counters of a thread's MMU (TLBs, PSCs, walks, flushes) in
/// `core` (machine_stats.cc).
void register_mmu_stats(stats::Group& core, const mmu::Mmu& m);
/// Registers a process's machine and kernel counters in `process`.
void register_process_stats(stats::Group& process, const Machine& m);

}  // namespace pkusim::sim
