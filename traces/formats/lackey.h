#pragma once
// Reader for valgrind lackey logs (`--tool=lackey --trace-mem=yes`, and
// optionally `--trace-syscalls=yes` in the same log); docs/formats/lackey.md.
//  - `I  ADDR,SIZE` is one instruction and its fetch (SIZE bytes at ADDR);
//  - ` L`, ` S`, ` M` lines that follow are its data accesses in order (M is
//    a read-modify-write); the first rides on the instruction's record, any
//    further ones are continuation records (no instruction count, no fetch);
//  - `SYSCALL[pid,tid](n) sys_mmap|munmap|mprotect|brk ( ... ) --> ... Success(0x..)`
//    lines become mmap/munmap/mprotect records with their real results (brk
//    growth maps the new heap pages read-write);
//  - `**PID** PKUSIM ...` lines are client requests of tools/trace-program:
//    the protection-key shim's marks make each pkey_alloc, pkey_free,
//    pkey_mprotect, pkey_set and pkey_get call exactly one record (a system
//    call, wrpkru or rdpkru) at the place the program made it, and drop the
//    shim itself: every instruction inside the shim's code ("PKUSIM shim LO
//    HI") and everything between "PKUSIM begin" and "PKUSIM end OP ...";
//    "PKUSIM roi begin|end" (tools/trace-program/pkusim_roi.h) mark the
//    region of interest; "PKUSIM trap load|store ADDR SIZE" (PKUSIM_TRAPPED)
//    is an access that trapped, which lackey itself never logs;
//  - everything else (log header and footer, warnings, other system calls,
//    unreadable lines) is skipped and counted, never fatal.
// Data accesses wider than 64 bytes (valgrind's dirty helpers, up to 512)
// are cut to 64 and counted. Lackey names no threads: one thread.
#include <cstdint>
#include <istream>
#include <string>

#include "traces/line_source.h"
#include "traces/record_source.h"

namespace pkusim::traces {

struct LackeyStats {
  uint64_t instructions = 0;
  uint64_t data_accesses = 0;
  uint64_t syscalls_used = 0;  // mmap, munmap, mprotect, brk records made
  uint64_t pkey_marks = 0;     // records from the protection-key shim
  uint64_t trap_marks = 0;     // trapped accesses the program marked
  uint64_t shim_lines = 0;     // lines of the shim's own work, dropped
  uint64_t lines_skipped = 0;  // header, footer, warnings, other lines
  uint64_t sizes_clamped = 0;  // data accesses cut to 64 bytes
};

class LackeyReader final : public RecordSource {
 public:
  LackeyReader(std::istream& in, std::string name);
  bool next(isa::Instr& out) override;
  uint64_t bytes_read() const override { return src_.bytes_read(); }
  SourceTraits traits() const override { return {true, false, true}; }
  uint64_t location() const override { return src_.line_number(); }
  const LackeyStats& stats() const { return stats_; }
  std::vector<std::pair<std::string, uint64_t>> counters() const override {
    return {{"instructions", stats_.instructions},   {"data_accesses", stats_.data_accesses},
            {"syscalls_used", stats_.syscalls_used}, {"pkey_marks", stats_.pkey_marks},
            {"trap_marks", stats_.trap_marks},       {"shim_lines", stats_.shim_lines},
            {"lines_skipped", stats_.lines_skipped}, {"sizes_clamped", stats_.sizes_clamped}};
  }

 private:
  struct Line {
    enum Kind : uint8_t { kNone, kInstr, kLoad, kStore, kModify, kSyscall } kind = kNone;
    uint64_t addr = 0;
    uint64_t size = 0;
    isa::Instr sys{};  // a prepared system-call record
  };
  bool read_line(Line& out);
  bool parse_syscall(std::string_view s, Line& out);
  bool parse_pkey_mark(std::string_view s, Line& out);

  LineSource src_;
  Line ahead_;
  bool have_ahead_ = false;
  bool in_instruction_ = false;         // data lines now belong to the last `I`
  bool in_shim_ = false;                // between "PKUSIM begin" and "PKUSIM end"
  bool dropping_ = false;               // the last `I` was dropped: so are its data lines
  uint64_t shim_lo_ = 0, shim_hi_ = 0;  // the shim's code
  uint64_t brk_ = 0;
  LackeyStats stats_;
};

/// True when `head` (the start of a file) looks like a lackey log.
bool looks_like_lackey(std::string_view head);

}  // namespace pkusim::traces
