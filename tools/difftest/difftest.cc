// The differential run: both models side by side, the comparison, coverage,
// the mismatch report, the minimizer and the trace output. Over 450 lines
// because these share the run's state and are read together when a
// mismatch is being understood; the models themselves live elsewhere.
#include "difftest.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <sstream>

#include "generator.h"
#include "traces/formats/text_writer.h"

namespace pkusim::difftest {
namespace {

using isa::Instr;
using isa::Op;

constexpr unsigned kFlushCeilingPages = 33;

const char* si_code_word(int code) {
  switch (code) {
    case kMaperr:
      return "maperr";
    case kAccerr:
      return "accerr";
    case kPkuerr:
      return "pkuerr";
    default:
      return nullptr;
  }
}

std::string errno_word(int err) {
  switch (err) {
    case kErrEperm:
      return "EPERM";
    case kErrEnomem:
      return "ENOMEM";
    case kErrEinval:
      return "EINVAL";
    case kErrEnospc:
      return "ENOSPC";
    default:
      return fmt::format("errno{}", err);
  }
}

const char* access_word(Access a) {
  switch (a) {
    case Access::kLoad:
      return "load";
    case Access::kStore:
      return "store";
    case Access::kRmw:
      return "rmw";
    case Access::kFetch:
      return "fetch";
  }
  return "?";
}

std::string prot_word(uint8_t prot) {
  std::string s;
  if (prot & isa::kProtRead) s += 'r';
  if (prot & isa::kProtWrite) s += 'w';
  if (prot & isa::kProtExec) s += 'x';
  return s.empty() ? "none" : s;
}

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

// Bits of what differs, for the minimizer's "same mismatch" test.
enum : unsigned {
  kDiffFault = 1,
  kDiffCode = 2,
  kDiffKey = 4,
  kDiffAddr = 8,
  kDiffKind = 16,
  kDiffSyscall = 32,
  kDiffErr = 64,
  kDiffHasRet = 128,
  kDiffRet = 256,
};

unsigned diff_bits(const Result& a, const Result& b) {
  unsigned d = 0;
  if (a.fault != b.fault) d |= kDiffFault;
  if (a.fault && b.fault) {
    if (a.si_code != b.si_code) d |= kDiffCode;
    if (a.si_code == kPkuerr && b.si_code == kPkuerr && a.pkey != b.pkey) d |= kDiffKey;
    if (a.fault_addr != b.fault_addr) d |= kDiffAddr;
    if (a.fault_kind != b.fault_kind) d |= kDiffKind;
  }
  if (a.syscall != b.syscall) d |= kDiffSyscall;
  if (a.err != b.err) d |= kDiffErr;
  if (a.has_ret != b.has_ret) d |= kDiffHasRet;
  if (a.has_ret && b.has_ret && a.ret != b.ret) d |= kDiffRet;
  return d;
}

bool straddles(const Instr& in) {
  return isa::is_memory_op(in.op) &&
         (in.addr >> kPageShift) != ((in.addr + in.size - 1) >> kPageShift);
}

std::string page_state(const ReferenceModel& ref, uint64_t addr) {
  const PageState* p = ref.page(addr >> kPageShift);
  const uint64_t base = addr & ~(kPageSize - 1);
  if (!p) return fmt::format("{:#x} unmapped", base);
  return fmt::format("{:#x} {} key {}", base, prot_word(p->prot), p->key);
}

// Addresses whose reference state explains an outcome of `in`.
std::vector<uint64_t> pages_of(const Instr& in) {
  std::vector<uint64_t> v;
  if (in.has_ip) v.push_back(in.ip);
  if (isa::is_memory_op(in.op)) {
    v.push_back(in.addr);
    if (straddles(in)) v.push_back(in.addr + in.size - 1);
  } else if (in.op == Op::kMprotect || in.op == Op::kPkeyMprotect || in.op == Op::kMunmap ||
             in.op == Op::kMmap) {
    v.push_back(in.addr);
  }
  return v;
}

std::string ref_state(const ReferenceModel& ref, const Instr& in) {
  std::string s =
      fmt::format("thread {}, PKRU {:#010x}, key map {:#06x}, exec-only key {}",
                  ref.current_thread(), ref.pkru(), ref.allocation_map(), ref.exec_only_key());
  for (uint64_t a : pages_of(in)) s += "; " + page_state(ref, a);
  return s;
}

void count(Coverage& c, const Instr& in, const Result& r) {
  ++c.records;
  ++c.ops[unsigned(in.op)];
  if (in.has_ip) ++c.fetch_records;
  if (straddles(in)) ++c.straddles;
  if (r.fault) {
    switch (r.si_code) {
      case kMaperr:
        ++c.maperr;
        break;
      case kAccerr:
        ++c.accerr;
        break;
      case kPkuerr:
        ++c.pkuerr;
        if (r.pkey >= 0 && r.pkey < 16) ++c.pkuerr_by_key[unsigned(r.pkey)];
        break;
      default:
        break;
    }
    if (r.fault_kind == Access::kFetch)
      ++c.fetch_faults;
    else if (r.fault_addr != in.addr)
      ++c.second_page_faults;
  }
  if (r.syscall) {
    if (r.err) {
      ++c.syscall_err[unsigned(in.op)];
      switch (r.err) {
        case kErrEinval:
          ++c.einval;
          break;
        case kErrEnomem:
          ++c.enomem;
          break;
        case kErrEnospc:
          ++c.enospc;
          break;
        case kErrEperm:
          ++c.eperm;
          break;
        default:
          break;
      }
    } else {
      ++c.syscall_ok[unsigned(in.op)];
      if ((in.op == Op::kMprotect || in.op == Op::kPkeyMprotect) &&
          in.len > uint64_t{kFlushCeilingPages} * kPageSize) {
        ++c.long_mprotects_ok;
      }
      if (in.op == Op::kPkeyFree && in.key == 0) ++c.key0_freed;
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Outcomes

Result from_sim(const sim::Outcome& o) {
  Result r;
  r.fault = o.fault;
  r.si_code = o.si_code;
  r.pkey = o.pkey;
  r.fault_addr = o.fault_addr;
  r.fault_kind = static_cast<Access>(o.fault_kind);
  r.syscall = o.syscall;
  r.err = o.err;
  r.has_ret = o.has_ret;
  r.ret = o.ret;
  return r;
}

std::string compare(const Result& s, const Result& r) {
  const unsigned d = diff_bits(s, r);
  if (!d) return {};
  std::vector<std::string> parts;
  if (d & kDiffFault) parts.push_back(fmt::format("fault: sim {}, ref {}", s.fault, r.fault));
  if (d & kDiffCode) parts.push_back(fmt::format("si_code: sim {}, ref {}", s.si_code, r.si_code));
  if (d & kDiffKey) parts.push_back(fmt::format("pkey: sim {}, ref {}", s.pkey, r.pkey));
  if (d & kDiffAddr) {
    parts.push_back(fmt::format("fault address: sim {:#x}, ref {:#x}", s.fault_addr, r.fault_addr));
  }
  if (d & kDiffKind) {
    parts.push_back(fmt::format("fault kind: sim {}, ref {}", access_word(s.fault_kind),
                                access_word(r.fault_kind)));
  }
  if (d & kDiffSyscall)
    parts.push_back(fmt::format("syscall: sim {}, ref {}", s.syscall, r.syscall));
  if (d & kDiffErr) parts.push_back(fmt::format("errno: sim {}, ref {}", s.err, r.err));
  if (d & kDiffHasRet)
    parts.push_back(fmt::format("has ret: sim {}, ref {}", s.has_ret, r.has_ret));
  if (d & kDiffRet) parts.push_back(fmt::format("ret: sim {:#x}, ref {:#x}", s.ret, r.ret));
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string format_instr(const Instr& in) { return traces::format_record(in); }

std::string expect_line(const Result& r) {
  if (r.fault) {
    const char* w = si_code_word(r.si_code);
    if (!w) return fmt::format("# (fault with si_code {})", r.si_code);
    if (r.si_code == kPkuerr) return fmt::format("expect fault pkuerr {}", r.pkey);
    return fmt::format("expect fault {}", w);
  }
  if (r.syscall && r.err) return "expect errno " + errno_word(r.err);
  if (r.has_ret) return "expect ret " + hex(r.ret);
  return "expect ok";
}

std::string describe(const Result& r) {
  if (r.fault) {
    const char* w = si_code_word(r.si_code);
    std::string s = w ? fmt::format("fault {}", w) : fmt::format("fault si_code {}", r.si_code);
    if (r.si_code == kPkuerr) s += fmt::format(" {}", r.pkey);
    return s + fmt::format(" at {:#x} ({})", r.fault_addr, access_word(r.fault_kind));
  }
  if (r.syscall && r.err) return "errno " + errno_word(r.err);
  if (r.has_ret) return "ret " + hex(r.ret);
  return "ok";
}

// ---------------------------------------------------------------------------
// Coverage

void Coverage::add(const Coverage& o) {
  records += o.records;
  for (unsigned i = 0; i < isa::kNumOps; ++i) {
    ops[i] += o.ops[i];
    syscall_ok[i] += o.syscall_ok[i];
    syscall_err[i] += o.syscall_err[i];
  }
  maperr += o.maperr;
  accerr += o.accerr;
  pkuerr += o.pkuerr;
  for (unsigned k = 0; k < 16; ++k) pkuerr_by_key[k] += o.pkuerr_by_key[k];
  fetch_records += o.fetch_records;
  fetch_faults += o.fetch_faults;
  straddles += o.straddles;
  second_page_faults += o.second_page_faults;
  einval += o.einval;
  enomem += o.enomem;
  enospc += o.enospc;
  eperm += o.eperm;
  long_mprotects_ok += o.long_mprotects_ok;
  partial_mprotects += o.partial_mprotects;
  exec_only_key_used += o.exec_only_key_used;
  exec_only_key_zero += o.exec_only_key_zero;
  threads_created += o.threads_created;
  key0_freed += o.key0_freed;
}

std::string Coverage::summary() const {
  std::string s = fmt::format("records {}\n  ops:", records);
  for (unsigned i = 0; i < isa::kNumOps; ++i) {
    if (Op(i) == Op::kExpect) continue;
    s += fmt::format(" {} {}", isa::op_name(Op(i)), ops[i]);
  }
  s += fmt::format("\n  faults: maperr {} accerr {} pkuerr {} (by key:", maperr, accerr, pkuerr);
  for (unsigned k = 0; k < 16; ++k) s += fmt::format(" {}", pkuerr_by_key[k]);
  s += fmt::format(
      ")\n  fetches {} (faulting {}), straddles {} (faulting on the 2nd page {})"
      "\n  errno: EINVAL {} ENOMEM {} ENOSPC {} EPERM {}"
      "\n  mprotect > 33 pages ok {}, partial mprotect (ENOMEM after changes) {}"
      "\n  seeds with an exec-only key {} (key 0: {}), threads created {}, key 0 freed {}",
      fetch_records, fetch_faults, straddles, second_page_faults, einval, enomem, enospc, eperm,
      long_mprotects_ok, partial_mprotects, exec_only_key_used, exec_only_key_zero, threads_created,
      key0_freed);
  s += "\n  syscalls ok/err:";
  for (unsigned i = 0; i < isa::kNumOps; ++i) {
    if (!isa::is_syscall(Op(i))) continue;
    s += fmt::format(" {} {}/{}", isa::op_name(Op(i)), syscall_ok[i], syscall_err[i]);
  }
  return s;
}

std::vector<std::string> Coverage::missing() const {
  std::vector<std::string> m;
  for (unsigned i = 0; i < isa::kNumOps; ++i) {
    // Not generated: assertions (the harness compares outcomes itself) and
    // region-of-interest markers (they change no outcome).
    if (Op(i) == Op::kExpect || Op(i) == Op::kRoi) continue;
    if (!ops[i]) m.push_back(fmt::format("op {}", isa::op_name(Op(i))));
    // sleep, exit and syscall cannot fail.
    const bool can_fail = Op(i) != Op::kSleep && Op(i) != Op::kExit && Op(i) != Op::kSyscall;
    if (isa::is_syscall(Op(i)) && can_fail) {
      if (!syscall_ok[i]) m.push_back(fmt::format("successful {}", isa::op_name(Op(i))));
      if (!syscall_err[i]) m.push_back(fmt::format("failing {}", isa::op_name(Op(i))));
    }
  }
  if (!maperr) m.push_back("SEGV_MAPERR");
  if (!accerr) m.push_back("SEGV_ACCERR");
  if (!pkuerr) m.push_back("SEGV_PKUERR");
  unsigned keys_faulted = 0;
  for (uint64_t n : pkuerr_by_key) keys_faulted += n != 0;
  if (keys_faulted < 4) m.push_back("SEGV_PKUERR on at least 4 different keys");
  if (!fetch_faults) m.push_back("faulting fetch");
  if (!straddles) m.push_back("page-straddling access");
  if (!second_page_faults) m.push_back("fault on the second page of a straddling access");
  if (!einval) m.push_back("EINVAL");
  if (!enomem) m.push_back("ENOMEM");
  if (!enospc) m.push_back("ENOSPC");
  if (!eperm) m.push_back("EPERM");
  if (!long_mprotects_ok) m.push_back("mprotect of more than 33 pages");
  if (!partial_mprotects) m.push_back("mprotect failing ENOMEM after changing pages");
  if (!exec_only_key_used) m.push_back("execute-only key");
  if (!threads_created) m.push_back("thread creation");
  return m;
}

// ---------------------------------------------------------------------------
// Runs

std::vector<Instr> generate_stream(uint64_t seed, uint64_t ops, Flaw flaw) {
  Generator gen(seed);
  ReferenceModel ref(flaw);
  std::vector<Instr> v;
  v.reserve(ops);
  for (uint64_t i = 0; i < ops; ++i) {
    v.push_back(gen.next(ref));
    ref.execute(v.back());
  }
  return v;
}

SeedResult run_seed(uint64_t seed, const RunOptions& opt) {
  SeedResult res;
  res.seed = seed;
  Generator gen(seed);
  ReferenceModel ref(opt.setup.flaw);
  std::optional<sim::Machine> machine;
  if (opt.check_sim) machine.emplace(opt.setup.machine);
  struct Past {
    Instr instr;
    Result ref;
  };
  std::deque<Past> history;

  for (uint64_t i = 0; i < opt.ops; ++i) {
    const Instr in = gen.next(ref);
    // State the report needs, from before the record.
    const bool partial_candidate = (in.op == Op::kMprotect || in.op == Op::kPkeyMprotect) &&
                                   ref.page(in.addr >> kPageShift) != nullptr;
    const Result r = ref.execute(in);
    count(res.coverage, in, r);
    if (partial_candidate && r.err == kErrEnomem) ++res.coverage.partial_mprotects;
    ++res.records;
    if (machine) {
      const Result s = from_sim(machine->execute(in));
      const std::string what = compare(s, r);
      if (!what.empty()) {
        // The reference's state before the record: replay the stream up to it.
        std::string before;
        {
          ReferenceModel again(opt.setup.flaw);
          for (const Instr& x : generate_stream(seed, i, opt.setup.flaw)) again.execute(x);
          before = ref_state(again, in);
        }
        Mismatch mm;
        mm.seed = seed;
        mm.index = i;
        mm.instr = in;
        mm.sim = s;
        mm.ref = r;
        mm.what = what;
        std::string rep = fmt::format(
            "difftest MISMATCH: seed {}, record #{} (0-based) of {}\n"
            "  record:    {}\n"
            "  simulator: {}\n"
            "  reference: {}\n"
            "  differs:   {}\n"
            "  reference state before the record: {}\n"
            "  last {} records before it (with the reference's outcomes):\n",
            seed, i, opt.ops, format_instr(in), describe(s), describe(r), what, before,
            history.size());
        uint64_t idx = i - history.size();
        for (const Past& p : history) {
          rep += fmt::format("    #{:<6} {:<48} # {}\n", idx++, format_instr(p.instr),
                             p.instr.op == Op::kThread ? std::string("-") : describe(p.ref));
        }
        rep += fmt::format("    #{:<6} {:<48} # sim: {} / ref: {}\n", i, format_instr(in),
                           describe(s), describe(r));
        rep += fmt::format(
            "  reproduce: pkusim-difftest --first-seed {} --seeds 1 --ops {} --minimize\n", seed,
            i + 1);
        mm.report = std::move(rep);
        res.mismatch = std::move(mm);
        break;
      }
    }
    if (opt.history) {
      history.push_back({in, r});
      if (history.size() > opt.history) history.pop_front();
    }
  }
  if (machine) {
    res.sim_records = machine->stats().records;
    res.sim_faults = machine->stats().faults;
  }
  if (ref.exec_only_key() >= 0) ++res.coverage.exec_only_key_used;
  if (ref.exec_only_key() == 0) ++res.coverage.exec_only_key_zero;
  res.coverage.threads_created += ref.thread_count() - 1;
  return res;
}

std::optional<Mismatch> replay(const std::vector<Instr>& stream, const Setup& setup) {
  sim::Machine machine{setup.machine};
  ReferenceModel ref(setup.flaw);
  for (uint64_t i = 0; i < stream.size(); ++i) {
    const Result r = ref.execute(stream[i]);
    const Result s = from_sim(machine.execute(stream[i]));
    const std::string what = compare(s, r);
    if (!what.empty()) {
      Mismatch mm;
      mm.index = i;
      mm.instr = stream[i];
      mm.sim = s;
      mm.ref = r;
      mm.what = what;
      return mm;
    }
  }
  return std::nullopt;
}

std::vector<Instr> minimize(std::vector<Instr> stream, unsigned budget, const Setup& setup) {
  if (stream.empty()) return stream;
  const std::optional<Mismatch> orig = replay(stream, setup);
  if (!orig) return stream;
  stream.resize(orig->index + 1);
  const Instr last = stream.back();
  const unsigned signature = diff_bits(orig->sim, orig->ref);
  const Op op = last.op;

  // Holds when the candidate's first mismatch is its last record, the same
  // record, differing in the same fields.
  auto still_fails = [&](const std::vector<Instr>& body) {
    std::vector<Instr> cand = body;
    cand.push_back(last);
    const std::optional<Mismatch> m = replay(cand, setup);
    return m && m->index == cand.size() - 1 && m->instr.op == op &&
           diff_bits(m->sim, m->ref) == signature;
  };

  std::vector<Instr> body(stream.begin(), stream.end() - 1);
  size_t n = 2;
  unsigned replays = 0;
  while (!body.empty() && replays < budget) {
    n = std::min(n, body.size());
    const size_t chunk = (body.size() + n - 1) / n;
    bool reduced = false;
    for (size_t start = 0; start < body.size() && replays < budget; start += chunk) {
      std::vector<Instr> cand;
      cand.reserve(body.size());
      cand.insert(cand.end(), body.begin(), body.begin() + static_cast<ptrdiff_t>(start));
      const size_t stop = std::min(body.size(), start + chunk);
      cand.insert(cand.end(), body.begin() + static_cast<ptrdiff_t>(stop), body.end());
      ++replays;
      if (still_fails(cand)) {
        body = std::move(cand);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= body.size()) break;  // every single record is needed
      n = std::min(body.size(), n * 2);
    }
  }
  body.push_back(last);
  return body;
}

std::string to_trace(const std::vector<Instr>& stream, const std::string& header, Flaw flaw) {
  std::ostringstream os;
  os << "pkutrace 1\n";
  if (!header.empty()) {
    std::istringstream hs(header);
    for (std::string line; std::getline(hs, line);) os << "# " << line << "\n";
  }
  ReferenceModel ref(flaw);
  for (const Instr& in : stream) {
    const Result r = ref.execute(in);
    // Negative keys are legal syscall arguments but not trace syntax.
    // pkey_mprotect with -1 is mprotect; any other negative key changes
    // nothing (EINVAL, or 0 for a zero length), so it becomes a comment.
    if ((in.op == Op::kPkeyFree || in.op == Op::kPkeyMprotect) && in.key < 0) {
      if (in.op == Op::kPkeyMprotect && in.key == -1) {
        Instr m = in;
        m.op = Op::kMprotect;
        os << "# " << format_instr(in) << "\n" << format_instr(m) << "\n" << expect_line(r) << "\n";
      } else {
        os << "# " << format_instr(in) << "   (" << describe(r) << ")\n";
      }
      continue;
    }
    os << format_instr(in) << "\n";
    if (in.op != Op::kThread && in.op != Op::kExpect) os << expect_line(r) << "\n";
  }
  return os.str();
}

}  // namespace pkusim::difftest
