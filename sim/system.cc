#include "sim/system.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "sim/check.h"
#include "sim/config/config.h"
#include "sim/system_internal.h"
#include "traces/trace_error.h"

namespace pkusim::sim {

using stats::Show;
using stats::Unit;

/// Functional mode: a core per thread for its MMU, no timing.
class System::FunctionalHooks final : public System::Hooks {
 public:
  FunctionalHooks(System& s, Process& p) : s_(s), p_(p), port_(s.mem_) {}
  mmu::MemoryPort& thread_created(unsigned tid) override {
    s_.allocate_core(p_, tid);
    return port_;
  }
  void mmu_created(unsigned tid, const mmu::Mmu& m) override {
    s_.register_core_stats(s_.core_of(p_, tid), m);
  }
  void translated(unsigned, AccessKind, uint64_t, const mmu::TranslateResult&) override {}
  void accessed(unsigned, AccessKind, uint64_t) override {}
  void fault_resolved(unsigned, uint64_t, bool) override {}
  void signal_delivered(unsigned, uint64_t) override {}
  void mmap_lock(uint64_t, uint64_t) override {}
  void pte_written(uint64_t) override {}
  void pte_made_writable() override {}
  void huge_leaf_changed() override {}
  void vma_op(VmaOp) override {}
  void local_flush(unsigned, uint64_t, bool) override {}
  void remote_flush(unsigned, unsigned, uint64_t, bool) override {}
  void shootdown_done(unsigned, unsigned) override {}

 private:
  System& s_;
  Process& p_;
  mmu::DirectPort port_;
};

System::System(const TimingParams& p, Mode mode)
    : p_(p), mode_(mode), mem_(p.machine.mmu.maxphyaddr) {
  compute_latency_.add(Stall::kBase, p.core.compute_latency_cycles);
  if (mode_ == Mode::kTiming) {
    memory_ = std::make_unique<MemorySystem>(p.memory, p.system.cores);
    for (unsigned c = 0; c < p.system.cores; ++c) {
      auto core = std::make_unique<Core>();
      core->id = c;
      core->timing = std::make_unique<CoreTiming>(c, p_, mem_, *memory_);
      cores_.push_back(std::move(core));
    }
  }
  register_system_stats();
}

System::~System() = default;

System::Core& System::allocate_core(Process& p, unsigned tid) {
  if (mode_ == Mode::kFunctional && cores_used_ == cores_.size()) {
    cores_.push_back(std::make_unique<Core>());
    cores_.back()->id = cores_used_;
  }
  if (cores_used_ == cores_.size()) {
    const size_t n = cores_.size();
    throw ConfigError("", "system.cores",
                      fmt::format("{}: thread {} needs a core of its own, but the machine has {} "
                                  "core{}, all taken (each thread runs on its own core); raise "
                                  "it, e.g. --set system.cores={}",
                                  p.name, tid, n, n == 1 ? "" : "s", n + 1));
  }
  Core& c = *cores_[cores_used_++];
  c.proc = static_cast<int>(p.index);
  c.tid = tid;
  p.core_of_thread[tid] = static_cast<int>(c.id);
  return c;
}

void System::add_process(std::string name, std::unique_ptr<traces::RecordSource> source,
                         std::unique_ptr<std::istream> stream, std::string format,
                         std::string compression, uint64_t size_bytes) {
  auto proc = std::make_unique<Process>();
  Process& p = *proc;
  p.name = std::move(name);
  p.index = static_cast<unsigned>(procs_.size());
  p.stream = std::move(stream);
  p.reader = std::move(source);
  p.traits = p.reader->traits();
  p.format = std::move(format);
  p.compression = std::move(compression);
  p.file_bytes = size_bytes;
  if (mode_ == Mode::kTiming) {
    p.hooks = make_timing_hooks(*this, p);
  } else {
    p.hooks = std::make_unique<FunctionalHooks>(*this, p);
  }
  procs_.push_back(std::move(proc));

  stats::Group& g = procs_group_->item(p.name, "A process: one trace or generator");
  const std::string path = fmt::format("processes.{}", p.index);
  process_instruction_paths_.push_back(path + ".instructions");
  process_fault_paths_.push_back(path + ".faults.total");
  MachineConfig mc = p_.machine;
  mc.kernel.pcid = static_cast<uint16_t>(p.index + 1);
  mc.auto_map = p.traits.maps_on_first_touch;
  // The machine creates thread 0 now: the process's first core.
  p.machine = std::make_unique<Machine>(mc, &mem_, p.hooks.get());
  register_process_stats(g, *p.machine);
  // Per core in the text view; summed per process for JSON and CSV.
  g.sum_of("tlb", &p.core_tlb, "Its cores' TLB lookups, summed", Show::kDetail);
  g.sum_of("psc", &p.core_psc, "Its cores' paging-structure-cache lookups, summed", Show::kDetail);
  g.sum_of("walks", &p.core_walks, "Its cores' page walks, summed", Show::kDetail);
  g.sum_of("mmu", &p.core_mmu, "Its cores' MMU events, summed", Show::kDetail);
  stats::Group& ex = g.group("expectations", "", "`expect` lines of the trace");
  ex.counter("checked", &p.expectations, Unit::kCount, "Assertions checked");
  ex.counter("failed", &p.expectations_failed, Unit::kCount, "Assertions that did not hold");
  if (mode_ == Mode::kTiming) register_process_timing(p, g);
}

void System::register_system_stats() {
  stats::Group& total = root_.group("total", "total", "The whole run");
  if (mode_ == Mode::kTiming) {
    total.sum_of("instructions", &core_instruction_paths_, "Instructions retired by every core");
    total.computed(
        "cycles",
        [this] {
          uint64_t c = 0;
          for (const auto& core : cores_) {
            if (core->proc >= 0) c = std::max(c, core->timing->timer.now());
          }
          return c;
        },
        Unit::kCycles, "Simulated time: the clock of the core that finished last");
    total.ratio("ipc", "instructions", "cycles", 1, Unit::kRatio,
                "Instructions per cycle of the whole machine");
    total.ratio("time_ns", "cycles", "", 1.0 / p_.system.frequency_ghz, Unit::kNanoseconds,
                "Simulated time at system.frequency_ghz");
    total.sum_of("cycle_stack", &core_cpi_paths_,
                 "Every core's cycles by what they were spent on (docs/model.md)", Show::kText);
  } else {
    total.sum_of("instructions", &process_instruction_paths_, "Instructions of every process");
    total.sum_of("faults", &process_fault_paths_, "SIGSEGV delivered in every process");
  }
  cores_group_ = &root_.list("cores", "core", "Each core, in the order threads took them");
  procs_group_ = &root_.list("processes", "process", "Each process (trace), in the order given");
  if (mode_ == Mode::kTiming) {
    const auto cache = [](stats::Group& g, const Cache& c) {
      const CacheStats& s = c.stats();
      g.computed(
          "accesses", [&s] { return s.accesses(); }, Unit::kCount, "Accesses", Show::kDetail);
      g.computed(
          "hits", [&s] { return s.read_hits + s.write_hits; }, Unit::kCount, "Hits", Show::kDetail);
      g.computed(
          "misses", [&s] { return s.misses(); }, Unit::kCount, "Misses");
      g.counter("read_misses", &s.read_misses, Unit::kCount, "Read misses", Show::kDetail);
      g.counter("write_misses", &s.write_misses, Unit::kCount, "Write misses", Show::kDetail);
      g.counter("writebacks", &s.writebacks, Unit::kCount, "Dirty lines evicted", Show::kDetail);
    };
    cache(root_.group("llc", "LLC", "The shared last-level cache"), memory_->llc());
    stats::Group& dram = root_.group("dram", "DRAM", "Memory");
    const DramStats& d = memory_->dram();
    dram.counter("reads", &d.reads, Unit::kCount, "Lines read");
    dram.counter("writebacks", &d.writebacks, Unit::kCount, "Lines written back");
    dram.counter("queue_cycles", &d.queue_cycles, Unit::kCycles,
                 "Cycles requests waited for bandwidth");
  }
}

void System::register_core_stats(Core& c, const mmu::Mmu& m) {
  stats::Group& g = cores_group_->item(fmt::format("core {}", c.id), "A core and its thread");
  c.stats = &g;
  const std::string path = fmt::format("cores.{}", c.id);
  g.constant("process", unsigned(c.proc), Unit::kIndex, "The process of its thread");
  g.constant("thread", c.tid, Unit::kIndex, "Its thread's id in the trace");
  // Read when a snapshot is taken: the machine is still being built now.
  const Process* proc = procs_[unsigned(c.proc)].get();
  const unsigned tid = c.tid;
  g.gauge(
      "thread_state", [proc, tid] { return uint64_t(proc->machine->kernel().thread_state(tid)); },
      Unit::kIndex,
      "Its thread at the end: 0 running, 1 asleep, 2 exited (an exited thread's core is idle)",
      Show::kDetail);
  Process& p = *procs_[unsigned(c.proc)];
  p.core_tlb.push_back(path + ".tlb");
  p.core_psc.push_back(path + ".psc");
  p.core_walks.push_back(path + ".walks");
  p.core_mmu.push_back(path + ".mmu");
  if (mode_ == Mode::kTiming) {
    CoreTiming& t = *c.timing;
    core_instruction_paths_.push_back(path + ".instructions");
    core_cpi_paths_.push_back(path + ".cycle_stack");
    g.computed(
        "instructions", [&t] { return t.timer.instructions(); }, Unit::kInstructions,
        "Instructions retired");
    g.computed(
        "cycles", [&t] { return t.timer.now(); }, Unit::kCycles,
        "The core's clock: when its last instruction retired");
    g.ratio("ipc", "instructions", "cycles", 1, Unit::kRatio, "Instructions per cycle");
    std::vector<std::string> stalls;
    for (unsigned s = 0; s < kNumStalls; ++s) stalls.emplace_back(stall_name(Stall(s)));
    g.vector("cycle_stack", t.timer.cpi_stack().data(), stalls, Unit::kCycles,
             "Its cycles by what they were spent on (docs/model.md)", Show::kDetail);
  }
  register_mmu_stats(g, m);
  if (mode_ == Mode::kTiming) {
    CoreTiming& t = *c.timing;
    stats::Group* walks = g.find("walks");
    walks->counter("memory_cycles", &t.walk_cycles, Unit::kCycles,
                   "Cycles walks spent reading paging-structure entries");
    walks->counter("walker_wait_cycles", &t.walker_wait_cycles, Unit::kCycles,
                   "Cycles walks waited for a free walker", Show::kDetail);
    stats::Group& caches = g.group("caches", "", "Its private caches");
    const auto cache = [](stats::Group& cg, const Cache& cc) {
      const CacheStats& s = cc.stats();
      cg.computed(
          "accesses", [&s] { return s.accesses(); }, Unit::kCount, "Accesses", Show::kDetail);
      cg.computed(
          "hits", [&s] { return s.read_hits + s.write_hits; }, Unit::kCount, "Hits", Show::kDetail);
      cg.computed(
          "misses", [&s] { return s.misses(); }, Unit::kCount, "Misses");
      cg.counter("read_misses", &s.read_misses, Unit::kCount, "Read misses", Show::kDetail);
      cg.counter("write_misses", &s.write_misses, Unit::kCount, "Write misses", Show::kDetail);
      cg.counter("writebacks", &s.writebacks, Unit::kCount, "Dirty lines evicted", Show::kDetail);
    };
    cache(caches.group("l1i", "L1I", "L1 instruction cache"), memory_->l1i(c.id));
    cache(caches.group("l1d", "L1D", "L1 data cache"), memory_->l1d(c.id));
    cache(caches.group("l2", "L2", "L2 cache"), memory_->l2(c.id));
    g.vector("data_accesses_by_level", t.data_by_level.data(), {"l1", "l2", "llc", "dram"},
             Unit::kCount, "Data accesses by the level that served them", Show::kDetail);
    g.computed(
        "mshr_wait_cycles", [&t] { return t.timer.mshr_wait_cycles(); }, Unit::kCycles,
        "Cycles misses waited for a free MSHR", Show::kDetail);
    stats::Group& irq = g.group("interrupts", "", "Shootdown IPIs this core handled");
    irq.counter("count", &t.interrupts, Unit::kCount, "Interrupts taken");
    irq.counter("cycles", &t.interrupt_cycles, Unit::kCycles, "Cycles in the handlers");
    stats::Group& sd =
        g.group("shootdowns_initiated", "shootdowns", "Shootdowns this core started");
    sd.counter("count", &t.shootdowns_initiated, Unit::kCount, "Shootdowns");
    sd.counter("wait_cycles", &t.shootdown_wait_cycles, Unit::kCycles,
               "Cycles waiting for the acknowledgements");
  }
}

void System::register_process_timing(Process& p, stats::Group& g) {
  stats::Group* sys = g.find("syscalls");
  for (unsigned op = 0; op < isa::kNumOps; ++op) {
    if (!isa::is_syscall(isa::Op(op))) continue;
    stats::Group* one = sys->find(isa::op_name(isa::Op(op)));
    one->counter("cycles", &p.syscall_cycles[op], Unit::kCycles,
                 "Cycles of these calls, from dispatch to completion");
    one->histogram("latency", &p.syscall_latency[op], Unit::kCycles,
                   "Cycles of each call (power-of-two buckets)");
  }
  stats::Group& sd = g.group("shootdown_cycles", "", "Cycles spent on shootdowns");
  sd.counter("initiator", &p.shootdown_initiator_cycles, Unit::kCycles,
             "Cycles initiators waited for acknowledgements");
  sd.counter("target", &p.shootdown_target_cycles, Unit::kCycles,
             "Cycles targets spent in the IPI handler");
  g.counter("mmap_lock_wait_cycles", &p.mmap_lock_wait_cycles, Unit::kCycles,
            "Cycles its threads waited for another thread's hold of mmap_lock");
}

void System::trace_error(const Process& p, const std::string& what) const {
  const uint64_t at = p.reader->location();
  if (p.traits.located_by_line) throw traces::TraceError(p.name, at, 1, what);
  throw traces::TraceError(p.name, 0, 0, fmt::format("record {}: {}", at, what));
}

void System::roi_marker(Process& p, const isa::Instr& rec) {
  if (rec.value == isa::kRoiBegin) {
    if (p.roi_begun) trace_error(p, "a second region of interest: a trace has at most one");
    p.roi_begun = true;
    if (roi_open_++ == 0 && !roi_start_) {
      roi_start_ = root_.snapshot();
      roi_.begin_instruction = executed_;
    }
    return;
  }
  if (!p.roi_begun) trace_error(p, "roi end without roi begin");
  if (p.roi_ended) trace_error(p, "a second roi end");
  p.roi_ended = true;
  if (--roi_open_ == 0) {
    roi_end_ = root_.snapshot();
    roi_.end_instruction = executed_;
  }
}

void System::phase_change() {
  if (fast_forward_ && executed_ >= limits_.skip) {
    fast_forward_ = false;
    // Walk cycles counted while skipping belong to no instruction.
    for (auto& c : cores_) {
      if (c->timing) c->timing->port.take();
    }
  }
  const uint64_t measure_at = limits_.skip + limits_.warmup;
  if (!measure_start_ && measure_at > 0 && executed_ >= measure_at) {
    measure_start_ = root_.snapshot();
    measured_.begin_instruction = executed_;
  }
  if (limits_.max_instructions && executed_ >= measure_at + limits_.max_instructions) {
    stopped_ = true;
  }
  next_phase_at_ = ~uint64_t{0};
  if (fast_forward_) next_phase_at_ = limits_.skip;
  if (!measure_start_ && measure_at > 0) next_phase_at_ = std::min(next_phase_at_, measure_at);
  if (limits_.max_instructions && !stopped_) {
    next_phase_at_ = std::min(next_phase_at_, measure_at + limits_.max_instructions);
  }
}

bool System::step(Process& p) {
  const isa::Instr* next = stopped_ ? nullptr : p.reader->pull();
  if (!next) {
    if (!stopped_ && p.machine->stats().records == 0 && p.expectations == 0 && !p.roi_begun) {
      trace_error(p, "the trace holds no records");
    }
    p.done = true;
    return false;
  }
  const isa::Instr& rec = *next;
  Machine& m = *p.machine;
  switch (rec.op) {
    case isa::Op::kExpect:
      ++p.expectations;
      if (!expectation_holds(rec, p.last)) {
        ++p.expectations_failed;
        failures_.push_back({p.index, p.reader->location(), p.traits.located_by_line,
                             describe_expectation(rec), describe_outcome(p.last)});
      }
      return true;
    case isa::Op::kRoi:
      roi_marker(p, rec);
      return true;
    case isa::Op::kThread: {
      const unsigned t = static_cast<unsigned>(rec.value);
      if (m.kernel().thread_exists(t) &&
          m.kernel().thread_state(t) == Kernel::ThreadState::kExited) {
        trace_error(p, fmt::format("thread {} has exited: no record may follow its exit", t));
      }
      p.last = m.execute(rec);
      return true;
    }
    default:
      break;
  }
  if (m.kernel().thread_state(m.current_thread()) == Kernel::ThreadState::kExited) {
    trace_error(
        p, fmt::format("thread {} has exited: no record may follow its exit", m.current_thread()));
  }
  const uint64_t before = m.stats().instructions;
  if (mode_ == Mode::kFunctional || fast_forward_) {
    p.last = m.execute(rec);
  } else {
    execute_timed(p, rec);
  }
  executed_ += m.stats().instructions - before;
  if (executed_ >= next_phase_at_) phase_change();
  return true;
}

uint64_t System::instructions() const {
  uint64_t n = 0;
  for (const auto& p : procs_) n += p->machine->stats().instructions;
  return n;
}

Progress System::progress() const {
  Progress pr;
  for (const auto& p : procs_) {
    pr.instructions += p->machine->stats().instructions;
    pr.records += p->machine->stats().records;
    pr.bytes_read += p->reader->bytes_read();
    pr.bytes_total += p->file_bytes;
  }
  return pr;
}

void System::run(RunObserver* observer, double interval_seconds) {
  fast_forward_ = limits_.skip > 0;
  phase_change();
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto next_beat = t0 + std::chrono::duration_cast<clock::duration>(
                            std::chrono::duration<double>(interval_seconds));
  uint64_t steps = 0;
  const auto now_of = [&](const Process& p) -> uint64_t {
    if (mode_ == Mode::kFunctional) return 0;
    return core_of(p, p.machine->current_thread()).timing->timer.now();
  };
  for (;;) {
    Process* next = nullptr;
    uint64_t best = std::numeric_limits<uint64_t>::max();
    for (const auto& p : procs_) {
      if (p->done) continue;
      const uint64_t t = now_of(*p);
      if (t < best) {
        best = t;
        next = p.get();
      }
    }
    if (!next) break;
    for (unsigned k = 0; k < p_.system.quantum_records && step(*next); ++k) ++steps;
    // The clock is read once per 64 Ki records: no system call per record.
    if (observer && (steps & 0xFFFF) < p_.system.quantum_records) {
      const auto now = clock::now();
      if (now >= next_beat) {
        next_beat = now + std::chrono::duration_cast<clock::duration>(
                              std::chrono::duration<double>(interval_seconds));
        Progress pr = progress();
        pr.wall_seconds = std::chrono::duration<double>(now - t0).count();
        observer->progress(pr);
      }
    }
  }
  if (mode_ == Mode::kTiming) {
    for (auto& c : cores_) {
      if (c->timing) take_interrupts(*c, std::numeric_limits<uint64_t>::max());
    }
  }
  // A region of interest still open closes at the end of the run.
  if (roi_start_ && !roi_end_) {
    roi_end_ = root_.snapshot();
    roi_.end_instruction = executed_;
  }
  measured_.end_instruction = executed_;
  wall_seconds_ = std::chrono::duration<double>(clock::now() - t0).count();
  for (auto& p : procs_) p->stream.reset();  // release input files early
  if (observer) {
    Progress pr = progress();
    pr.wall_seconds = wall_seconds_;
    observer->finished(pr);
  }
}

uint64_t System::expectations() const {
  uint64_t n = 0;
  for (const auto& p : procs_) n += p->expectations;
  return n;
}

std::vector<FaultDetail> System::first_faults() const {
  std::vector<FaultDetail> out;
  for (const auto& p : procs_) {
    for (const FaultRecord& f : p->machine->stats().first_faults) out.push_back({p->index, f});
  }
  return out;
}

std::vector<InputInfo> System::inputs() const {
  std::vector<InputInfo> out;
  for (const auto& p : procs_) {
    out.push_back({p->name, p->format, p->compression, p->reader->counters()});
  }
  return out;
}

}  // namespace pkusim::sim
