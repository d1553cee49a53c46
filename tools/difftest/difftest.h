#pragma once
// The differential run shared by tests/differential/differential_test.cc and
// the pkusim-difftest tool: one seed's random stream fed to sim::Machine
// (default MachineConfig) and to the ReferenceModel side by side, every
// outcome compared, coverage counted, and on a mismatch a report that names
// the seed, the record index, the record, both outcomes, and the records
// before it -- as a trace that can be pasted into a file and replayed with
// `pkusim check` (the `expect` lines carry the reference model's outcomes).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "isa/instr.h"
#include "reference_model.h"
#include "sim/machine.h"

namespace pkusim::difftest {

/// What the two implementations are compared on.
Result from_sim(const sim::Outcome& o);
/// Empty when `a` (simulator) and `b` (reference) agree; else what differs.
std::string compare(const Result& sim, const Result& ref);

/// The record in trace syntax ("mmap 0x7f0000000000 0x3000 rw populate").
std::string format_instr(const isa::Instr& in);
/// An `expect` line that holds exactly for `r`; empty for records with no
/// outcome to assert (thread, wrpkru and compute with no fault are `expect ok`).
std::string expect_line(const Result& r);
/// "fault pkuerr 3 at 0x7f0000001000 (store)", "errno ENOMEM", "ret 0x1", "ok".
std::string describe(const Result& r);

/// Counters of what a run exercised.
struct Coverage {
  uint64_t records = 0;
  std::array<uint64_t, isa::kNumOps> ops{};
  uint64_t maperr = 0, accerr = 0, pkuerr = 0;
  std::array<uint64_t, 16> pkuerr_by_key{};
  uint64_t fetch_records = 0, fetch_faults = 0;
  uint64_t straddles = 0, second_page_faults = 0;
  uint64_t einval = 0, enomem = 0, enospc = 0, eperm = 0;
  std::array<uint64_t, isa::kNumOps> syscall_ok{};
  std::array<uint64_t, isa::kNumOps> syscall_err{};
  uint64_t long_mprotects_ok = 0;   // > 33 pages changed without error
  uint64_t partial_mprotects = 0;   // ENOMEM after a mapped first page
  uint64_t exec_only_key_used = 0;  // runs where an execute-only key got allocated
  uint64_t exec_only_key_zero = 0;  // ... and it was key 0 (key 0 freed before)
  uint64_t threads_created = 0;
  uint64_t key0_freed = 0;

  void add(const Coverage& o);
  /// Human-readable multi-line summary.
  std::string summary() const;
  /// Names of the things a run of reasonable length must have exercised and
  /// did not (every op kind, every fault kind, every errno, ...).
  std::vector<std::string> missing() const;
};

struct Mismatch {
  uint64_t seed = 0;
  uint64_t index = 0;  // 0-based record index in the seed's stream
  isa::Instr instr;
  Result sim;
  Result ref;
  std::string what;    // from compare()
  std::string report;  // full multi-line report
};

struct SeedResult {
  uint64_t seed = 0;
  uint64_t records = 0;      // records executed (stops at the first mismatch)
  uint64_t sim_records = 0;  // records the simulator counted (its MachineStats)
  uint64_t sim_faults = 0;   // faults the simulator counted
  Coverage coverage;
  std::optional<Mismatch> mismatch;
};

/// The two models' configuration: the simulator's MachineConfig (default in
/// every real run) and the reference's deliberate flaw (none in real runs).
/// A non-default setup exists to show that the harness notices a wrong model.
struct Setup {
  sim::MachineConfig machine = sim::machine_config(sim::Config::defaults());
  Flaw flaw = Flaw::kNone;
};

struct RunOptions {
  uint64_t ops = 20000;
  unsigned history = 20;  // records shown before a mismatch
  bool check_sim = true;  // false: generator + reference only (coverage)
  Setup setup{};          // non-default only for harness self-tests
};

/// Runs one seed; stops at the first mismatch (the states diverge after it).
SeedResult run_seed(uint64_t seed, const RunOptions& opt);

/// The records `run_seed` generates for `seed` (the first `ops`; the
/// generator consults the reference, so a flawed one gives another stream).
std::vector<isa::Instr> generate_stream(uint64_t seed, uint64_t ops, Flaw flaw = Flaw::kNone);

/// Replays `stream` on a fresh Machine and a fresh ReferenceModel; the first
/// mismatch (index, outcomes), if any.
std::optional<Mismatch> replay(const std::vector<isa::Instr>& stream, const Setup& setup = {});

/// Delta-debugging reduction of a stream whose last record mismatches: a
/// (locally) minimal subsequence whose last record still mismatches the same
/// way and no earlier record mismatches. `budget` bounds the replays.
std::vector<isa::Instr> minimize(std::vector<isa::Instr> stream, unsigned budget = 20000,
                                 const Setup& setup = {});

/// The stream as a self-checking trace: `pkutrace 1`, every record followed
/// by an `expect` line with the reference model's outcome.
std::string to_trace(const std::vector<isa::Instr>& stream, const std::string& header = {},
                     Flaw flaw = Flaw::kNone);

}  // namespace pkusim::difftest
