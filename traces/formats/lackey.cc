#include "traces/formats/lackey.h"

#include <fmt/format.h>

#include "traces/formats/format.h"
#include "traces/trace_error.h"

namespace pkusim::traces {

namespace {

constexpr uint64_t kPage = 4096;
constexpr unsigned kMaxAccess = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_hex(std::string_view s, uint64_t& v) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty() || s.size() > 16) return false;
  uint64_t x = 0;
  for (const char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = unsigned(c - '0');
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      d = unsigned((c | 0x20) - 'a' + 10);
    } else {
      return false;
    }
    x = (x << 4) | d;
  }
  v = x;
  return true;
}

bool parse_dec(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t x = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    x = x * 10 + unsigned(c - '0');
  }
  v = x;
  return true;
}

/// A number valgrind prints as a syscall argument: hex with 0x, else decimal.
bool parse_arg(std::string_view s, uint64_t& v) {
  s = trim(s);
  const size_t paren = s.find('(');  // 0x4034bb0(/path...) for strings
  if (paren != std::string_view::npos) s = s.substr(0, paren);
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') return parse_hex(s, v);
  return parse_dec(s, v);
}

uint8_t prot_of(uint64_t p) {
  return static_cast<uint8_t>(p & (isa::kProtRead | isa::kProtWrite | isa::kProtExec));
}

uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

}  // namespace

bool looks_like_lackey(std::string_view head) {
  size_t pos = 0;
  for (int n = 0; n < 50 && pos < head.size(); ++n) {
    const size_t nl = head.find('\n', pos);
    const std::string_view line =
        head.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? head.size() : nl + 1;
    const std::string_view t = trim(line);
    if (t.empty()) continue;
    if (t.substr(0, 2) == "==" || t.substr(0, 2) == "--") return true;  // valgrind log
    if (t.size() > 3 && (t[0] == 'I' || t[0] == 'L' || t[0] == 'S' || t[0] == 'M') &&
        (t[1] == ' ' || t[1] == '\t') && t.find(',') != std::string_view::npos) {
      return true;
    }
    if (t[0] != '#') return false;
  }
  return false;
}

LackeyReader::LackeyReader(std::istream& in, std::string name)
    : src_(in, std::move(name), 1 << 16, /*check_bytes=*/1 << 16) {}

bool LackeyReader::parse_syscall(std::string_view s, Line& out) {
  // SYSCALL[pid,tid](n) sys_NAME ( a, b, c ) --> [pre-success] Success(0xRES)
  const size_t name_at = s.find(") sys_");
  const size_t ok_at = s.find("Success(");
  if (name_at == std::string_view::npos || ok_at == std::string_view::npos) return false;
  const size_t name_end = s.find(' ', name_at + 6);
  const std::string_view name = s.substr(name_at + 6, name_end - (name_at + 6));
  const size_t open = s.find("( ", name_end);
  const size_t close = s.find(" )", open);
  if (open == std::string_view::npos || close == std::string_view::npos) return false;
  uint64_t args[6] = {};
  unsigned n = 0;
  std::string_view rest = s.substr(open + 2, close - (open + 2));
  while (!rest.empty() && n < 6) {
    const size_t comma = rest.find(',');
    if (!parse_arg(rest.substr(0, comma), args[n++])) return false;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  uint64_t result = 0;
  const size_t res_end = s.find(')', ok_at);
  if (!parse_hex(s.substr(ok_at + 8, res_end - (ok_at + 8)), result)) return false;
  isa::Instr& r = out.sys;
  r = isa::Instr{};
  r.continuation = true;  // the syscall instruction has its own `I` line
  if (name == "mmap" && n >= 3) {
    r.op = isa::Op::kMmap;
    r.addr = result;
    r.len = page_up(args[1]);
    r.prot = prot_of(args[2]);
  } else if (name == "munmap" && n >= 2) {
    r.op = isa::Op::kMunmap;
    r.addr = args[0];
    r.len = args[1];
  } else if (name == "mprotect" && n >= 3) {
    r.op = isa::Op::kMprotect;
    r.addr = args[0];
    r.len = args[1];
    r.prot = prot_of(args[2]);
  } else if (name == "brk") {
    // The first brk(0) reports the start; growth maps the new pages.
    const uint64_t old_end = page_up(brk_);
    const uint64_t new_end = page_up(result);
    const bool first = brk_ == 0;
    brk_ = result;
    if (first || new_end == old_end) return false;
    if (new_end > old_end) {
      r.op = isa::Op::kMmap;
      r.addr = old_end;
      r.len = new_end - old_end;
      r.prot = isa::kProtRead | isa::kProtWrite;
    } else {
      r.op = isa::Op::kMunmap;
      r.addr = new_end;
      r.len = old_end - new_end;
    }
  } else {
    return false;
  }
  if (r.op == isa::Op::kMmap && (r.len == 0 || r.addr % kPage != 0)) return false;
  out.kind = Line::kSyscall;
  return true;
}

bool LackeyReader::parse_pkey_mark(std::string_view s, Line& out) {
  // "**PID** PKUSIM what args": client requests of tools/trace-program.
  const size_t at = s.find("** PKUSIM ");
  if (at == std::string_view::npos) return false;
  std::string_view rest = trim(s.substr(at + 10));
  std::string_view words[6];
  unsigned n = 0;
  while (!rest.empty() && n < 6) {
    const size_t e = rest.find(' ');
    words[n++] = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view{} : trim(rest.substr(e + 1));
  }
  if (n == 0) return false;
  const auto signed_dec = [](std::string_view a, int64_t& v) {
    const bool neg = !a.empty() && a[0] == '-';
    uint64_t u = 0;
    if (!parse_dec(neg ? a.substr(1) : a, u)) return false;
    v = neg ? -int64_t(u) : int64_t(u);
    return true;
  };
  const std::string_view what = words[0];
  if (what == "shim" && n == 3) {
    // The shim's code: its instructions are dropped wherever they run.
    uint64_t lo = 0, hi = 0;
    if (parse_hex(words[1], lo) && parse_hex(words[2], hi) && lo < hi) {
      shim_lo_ = lo;
      shim_hi_ = hi;
    }
    return false;
  }
  if (what == "begin" && n == 1) {
    in_shim_ = true;
    return false;
  }
  isa::Instr& r = out.sys;
  r = isa::Instr{};
  if (what == "roi" && n == 2 && (words[1] == "begin" || words[1] == "end")) {
    r.op = isa::Op::kRoi;
    r.value = words[1] == "begin" ? isa::kRoiBegin : isa::kRoiEnd;
    out.kind = Line::kSyscall;
    return true;
  }
  if (what == "trap" && n == 4 && (words[1] == "load" || words[1] == "store")) {
    // An access that trapped: lackey logs a faulting access nowhere (its
    // log entry would follow the access), so the program says it did one.
    uint64_t addr = 0, size = 0;
    if (!parse_hex(words[2], addr) || !parse_dec(words[3], size) || size < 1 || size > 64)
      return false;
    r.op = words[1] == "load" ? isa::Op::kLoad : isa::Op::kStore;
    r.addr = addr;
    r.size = uint8_t(size);
    ++stats_.trap_marks;
    out.kind = Line::kSyscall;
    return true;
  }
  if (what != "end" || n < 2) return false;
  in_shim_ = false;
  // The call was this one record: an instruction of the program's own.
  const std::string_view op = words[1];
  const std::string_view* args = words + 2;
  n -= 2;
  uint64_t u = 0;
  if (op == "pkey_alloc" && n == 1 && parse_dec(args[0], u)) {
    r.op = isa::Op::kPkeyAlloc;
    r.value = u;
  } else if (op == "pkey_free" && n == 1 && signed_dec(args[0], r.key)) {
    r.op = isa::Op::kPkeyFree;
  } else if (op == "pkey_mprotect" && n == 4 && parse_hex(args[0], r.addr) &&
             parse_hex(args[1], r.len) && parse_dec(args[2], u) && signed_dec(args[3], r.key)) {
    r.op = r.key == -1 ? isa::Op::kMprotect : isa::Op::kPkeyMprotect;
    r.prot = prot_of(u);
  } else if (op == "wrpkru" && n == 1 && parse_hex(args[0], u) && u <= 0xFFFFFFFFu) {
    r.op = isa::Op::kWrpkru;
    r.value = u;
  } else if (op == "rdpkru" && n == 0) {
    r.op = isa::Op::kRdpkru;
  } else {
    return false;  // "none": a call refused before any instruction
  }
  out.kind = Line::kSyscall;
  return true;
}

bool LackeyReader::read_line(Line& out) {
  std::string_view raw;
  while (src_.next(raw)) {
    const std::string_view t = trim(raw);
    if (t.size() >= 4 && (t[1] == ' ' || t[1] == '\t')) {
      Line::Kind kind = Line::kNone;
      switch (t[0]) {
        case 'I':
          kind = Line::kInstr;
          break;
        case 'L':
          kind = Line::kLoad;
          break;
        case 'S':
          kind = Line::kStore;
          break;
        case 'M':
          kind = Line::kModify;
          break;
        default:
          break;
      }
      const std::string_view body = trim(t.substr(2));
      const size_t comma = body.find(',');
      if (kind != Line::kNone && comma != std::string_view::npos &&
          parse_hex(body.substr(0, comma), out.addr) &&
          parse_dec(trim(body.substr(comma + 1)), out.size) && out.size > 0) {
        // The shim's own work is dropped: its instructions (with their data
        // accesses) and anything inside a call's body.
        if (kind == Line::kInstr) {
          dropping_ = in_shim_ || (out.addr >= shim_lo_ && out.addr < shim_hi_);
        }
        if (dropping_) {
          ++stats_.shim_lines;
          continue;
        }
        out.kind = kind;
        return true;
      }
    }
    if (t.substr(0, 8) == "SYSCALL[") {
      if (in_shim_) {
        ++stats_.shim_lines;
        continue;
      }
      if (parse_syscall(t, out)) {
        ++stats_.syscalls_used;
        return true;
      }
    }
    if (t.substr(0, 2) == "**" && t.find("** PKUSIM ") != std::string_view::npos) {
      ++stats_.pkey_marks;
      if (parse_pkey_mark(t, out)) return true;
      continue;
    }
    ++stats_.lines_skipped;
  }
  return false;
}

bool LackeyReader::next(isa::Instr& out) {
  Line line;
  if (have_ahead_) {
    line = ahead_;
    have_ahead_ = false;
  } else if (!read_line(line)) {
    if (stats_.instructions == 0) {
      throw TraceError(src_.name(), 0, 0,
                       fmt::format("no instruction in {} lines: not a lackey log of "
                                   "--tool=lackey --trace-mem=yes (docs/formats/lackey.md)",
                                   src_.line_number()));
    }
    return false;
  }
  out = isa::Instr{};
  if (line.kind == Line::kSyscall) {
    out = line.sys;
    in_instruction_ = false;
    return true;
  }
  const auto data_op = [](Line::Kind k) {
    return k == Line::kLoad ? isa::Op::kLoad : k == Line::kStore ? isa::Op::kStore : isa::Op::kRmw;
  };
  const auto set_access = [&](const Line& l) {
    out.op = data_op(l.kind);
    out.addr = l.addr;
    if (l.size > kMaxAccess) ++stats_.sizes_clamped;
    out.size = static_cast<uint8_t>(l.size > kMaxAccess ? kMaxAccess : l.size);
    ++stats_.data_accesses;
  };
  if (line.kind == Line::kInstr) {
    ++stats_.instructions;
    in_instruction_ = true;
    out.has_ip = true;
    out.ip = line.addr;
    out.ip_size = static_cast<uint8_t>(line.size > 255 ? 255 : line.size);
    // Its first data access, if any, rides on the same record.
    Line next;
    if (read_line(next)) {
      if (next.kind == Line::kLoad || next.kind == Line::kStore || next.kind == Line::kModify) {
        set_access(next);
        return true;
      }
      ahead_ = next;
      have_ahead_ = true;
    }
    out.op = isa::Op::kCompute;
    out.value = 1;
    return true;
  }
  // A data line after its instruction's first access.
  set_access(line);
  out.continuation = in_instruction_;
  return true;
}

const TraceFormat& lackey_format() {
  static const TraceFormat f{
      "lackey",
      "a valgrind lackey log of a real program (--tool=lackey --trace-mem=yes; "
      "docs/formats/lackey.md)",
      looks_like_lackey,
      [](std::istream& in, const std::string& name) -> std::unique_ptr<RecordSource> {
        return std::make_unique<LackeyReader>(in, name);
      },
      {true, false, true},
      nullptr};
  return f;
}

}  // namespace pkusim::traces
