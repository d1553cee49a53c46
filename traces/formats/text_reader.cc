#include "traces/formats/text_reader.h"

#include <fmt/format.h>

#include <array>

#include "isa/linux_abi.h"
#include "isa/paging.h"
#include "traces/formats/format.h"
#include "traces/formats/text_writer.h"
#include "traces/number.h"
#include "traces/trace_error.h"

namespace pkusim::traces {

namespace {

struct Token {
  std::string_view text;
  size_t column = 0;  // 1-based
};

// Splits one line into at most kMaxTokens tokens (comment stripped).
constexpr size_t kMaxTokens = 12;
struct Tokens {
  std::array<Token, kMaxTokens> tok{};
  size_t n = 0;
  size_t end_column = 1;  // column just past the last token
};

/// Parses one line's tokens and reports errors at their columns.
class LineParser {
 public:
  LineParser(const std::string& file, uint64_t line, const Tokens& t)
      : file_(file), line_(line), t_(t) {}

  [[noreturn]] void fail_at(size_t column, const std::string& msg) const {
    throw TraceError(file_, line_, column, msg);
  }
  [[noreturn]] void fail(size_t i, const std::string& msg) const {
    fail_at(i < t_.n ? t_.tok[i].column : t_.end_column, msg);
  }

  const Token& need(size_t i, std::string_view what) const {
    if (i >= t_.n) fail(i, fmt::format("missing operand: expected {}", what));
    return t_.tok[i];
  }
  void no_more(size_t i, std::string_view usage) const {
    if (i < t_.n) {
      fail(i, fmt::format("extra operand '{}': expected end of line ({})", t_.tok[i].text, usage));
    }
  }

  /// A number: decimal or 0x-hex; with `suffix`, an optional K/M/G/T multiplier.
  uint64_t number(size_t i, std::string_view what, bool suffix = false) const {
    const Token& tk = need(i, what);
    std::string_view s = tk.text;
    unsigned shift = 0;
    if (suffix && !s.empty()) {
      switch (s.back()) {
        case 'K':
          shift = 10;
          break;
        case 'M':
          shift = 20;
          break;
        case 'G':
          shift = 30;
          break;
        case 'T':
          shift = 40;
          break;
        default:
          break;
      }
      if (shift) s.remove_suffix(1);
    }
    unsigned base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s.remove_prefix(2);
    }
    const auto bad = [&] {
      fail(i, fmt::format("malformed number '{}': expected {} (decimal, or hex with 0x{})", tk.text,
                          what, suffix ? ", optional K/M/G/T suffix" : ""));
    };
    if (s.empty()) bad();
    uint64_t v = 0;
    for (char c : s) {
      unsigned d = 0;
      if (c >= '0' && c <= '9')
        d = unsigned(c - '0');
      else if (base == 16 && c >= 'a' && c <= 'f')
        d = unsigned(c - 'a' + 10);
      else if (base == 16 && c >= 'A' && c <= 'F')
        d = unsigned(c - 'A' + 10);
      else
        bad();
      if (v > (~uint64_t{0} - d) / base)
        fail(i, fmt::format("number '{}' does not fit in 64 bits", tk.text));
      v = v * base + d;
    }
    if (shift) {
      if (v > (~uint64_t{0} >> shift))
        fail(i, fmt::format("length '{}' does not fit in 64 bits", tk.text));
      v <<= shift;
    }
    return v;
  }

  /// A duration: a number with the unit ns, us or ms (50us); in nanoseconds.
  uint64_t duration(size_t i) const {
    const Token& tk = need(i, "DURATION, a number with the unit ns, us or ms (50us)");
    std::string_view s = tk.text;
    uint64_t scale = 0;
    for (const auto& [unit, ns] :
         {std::pair<std::string_view, uint64_t>{"ns", 1}, {"us", 1000}, {"ms", 1000000}}) {
      if (s.size() > unit.size() && s.ends_with(unit)) {
        scale = ns;
        s.remove_suffix(unit.size());
        break;
      }
    }
    if (!scale) {
      fail(i, fmt::format("bad duration '{}': expected a number with the unit ns, us or ms (50us)",
                          tk.text));
    }
    const ParsedNumber n = parse_number(s, false);
    if (n.error != NumberError::kNone) {
      fail(i, fmt::format("bad duration '{}': expected a number with the unit ns, us or ms (50us)",
                          tk.text));
    }
    if (n.value > ~uint64_t{0} / scale) fail(i, fmt::format("duration '{}' is too long", tk.text));
    return n.value * scale;
  }

  uint8_t prot(size_t i) const {
    const Token& tk = need(i, "PROT (none, or r, w, x in that order)");
    if (tk.text == "none") return 0;
    uint8_t p = 0;
    size_t k = 0;
    const std::string_view s = tk.text;
    if (k < s.size() && s[k] == 'r') {
      p |= isa::kProtRead;
      ++k;
    }
    if (k < s.size() && s[k] == 'w') {
      p |= isa::kProtWrite;
      ++k;
    }
    if (k < s.size() && s[k] == 'x') {
      p |= isa::kProtExec;
      ++k;
    }
    if (p == 0 || k != s.size()) {
      fail(i, fmt::format("bad PROT '{}': expected none, or the letters r, w, x in that order", s));
    }
    return p;
  }

  const Tokens& tokens() const { return t_; }

 private:
  const std::string& file_;
  uint64_t line_;
  const Tokens& t_;
};

void tokenize(std::string_view line, Tokens& out, const std::string& file, uint64_t line_no) {
  out.n = 0;
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    const char c = line[i];
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (c == '#') break;
    size_t j = i;
    while (j < n && line[j] != ' ' && line[j] != '\t' && line[j] != '#') ++j;
    if (out.n == kMaxTokens) {
      throw TraceError(file, line_no, i + 1, "too many operands on one line");
    }
    out.tok[out.n++] = Token{line.substr(i, j - i), i + 1};
    out.end_column = j + 1;
    i = j;
  }
}

}  // namespace

TextReader::TextReader(std::istream& in, std::string name) : src_(in, std::move(name)) {}

bool TextReader::next(isa::Instr& out) {
  std::string_view line;
  while (src_.next(line)) {
    if (parse_line(line, out)) {
      record_line_ = src_.line_number();
      return true;
    }
  }
  if (!seen_record_) {
    throw TraceError(
        src_.name(), src_.line_number() ? src_.line_number() : 1, 1,
        src_.bytes_read() == 0 ? "empty file: expected a trace" : "the trace holds no records");
  }
  return false;
}

bool TextReader::parse_line(std::string_view line, isa::Instr& out) {
  Tokens t;
  tokenize(line, t, src_.name(), src_.line_number());
  if (t.n == 0) return false;
  const LineParser p(src_.name(), src_.line_number(), t);
  const std::string_view kw = t.tok[0].text;
  const bool first = !seen_line_;
  seen_line_ = true;

  if (kw == "pkutrace") {
    if (!first) p.fail(0, "'pkutrace' version line must be the first line of the trace");
    const uint64_t v = p.number(1, "the format version");
    if (v != kTextFormatVersion) {
      p.fail(1, fmt::format("unsupported trace format version {}: this pkusim reads version {}", v,
                            kTextFormatVersion));
    }
    p.no_more(2, "pkutrace 1");
    return false;
  }

  seen_record_ = true;
  out = isa::Instr{};
  size_t n = t.n;
  // An optional trailing @ADDR on instruction records.
  const auto take_ip = [&] {
    if (n > 1 && t.tok[n - 1].text.size() > 0 && t.tok[n - 1].text[0] == '@') {
      Tokens one;
      one.tok[0] = Token{t.tok[n - 1].text.substr(1), t.tok[n - 1].column + 1};
      one.n = 1;
      one.end_column = t.tok[n - 1].column + t.tok[n - 1].text.size();
      const LineParser ip(src_.name(), src_.line_number(), one);
      out.ip = ip.number(0, "an instruction address after '@'");
      out.has_ip = true;
      --n;
    }
  };
  const auto end = [&](size_t i, std::string_view usage) {
    if (i < n) p.no_more(i, usage);
  };
  const auto aligned = [&](size_t i, uint64_t v, uint64_t align, std::string_view what) {
    if (v % align != 0) {
      p.fail(i, fmt::format("{} {:#x} is not aligned to {} bytes", what, v, align));
    }
  };

  if (kw == "load" || kw == "store" || kw == "rmw") {
    take_ip();
    out.op = kw == "load" ? isa::Op::kLoad : kw == "store" ? isa::Op::kStore : isa::Op::kRmw;
    out.addr = p.number(1, "ADDR");
    const uint64_t size = p.number(2, "SIZE (1 to 64 bytes)");
    if (size < 1 || size > 64)
      p.fail(2, fmt::format("size {} out of range: expected 1 to 64", size));
    out.size = static_cast<uint8_t>(size);
    end(3, fmt::format("{} ADDR SIZE [@IP]", kw));
  } else if (kw == "compute") {
    take_ip();
    out.op = isa::Op::kCompute;
    out.value = p.number(1, "N, the instruction count (>= 1)");
    if (out.value == 0) p.fail(1, "compute count 0: expected N >= 1");
    end(2, "compute N [@IP]");
  } else if (kw == "wrpkru") {
    take_ip();
    out.op = isa::Op::kWrpkru;
    out.value = p.number(1, "a 32-bit PKRU value");
    if (out.value > 0xFFFFFFFFull) p.fail(1, "PKRU value does not fit in 32 bits");
    end(2, "wrpkru VALUE [@IP]");
  } else if (kw == "rdpkru") {
    take_ip();
    out.op = isa::Op::kRdpkru;
    end(1, "rdpkru [@IP]");
  } else if (kw == "mmap") {
    take_ip();
    out.op = isa::Op::kMmap;
    out.addr = p.number(1, "ADDR");
    out.len = p.number(2, "LEN", true);
    out.prot = p.prot(3);
    for (size_t i = 4; i < n; ++i) {
      const std::string_view f = t.tok[i].text;
      uint8_t bit = 0;
      if (f == "populate")
        bit = isa::kMapPopulate;
      else if (f == "huge2m")
        bit = isa::kMapHuge2M;
      else if (f == "huge1g")
        bit = isa::kMapHuge1G;
      else
        p.fail(i, fmt::format("unknown mmap flag '{}': expected populate, huge2m or huge1g", f));
      if (out.flags & bit) p.fail(i, fmt::format("mmap flag '{}' given twice", f));
      out.flags |= bit;
    }
    if ((out.flags & isa::kMapHuge2M) && (out.flags & isa::kMapHuge1G)) {
      p.fail(4, "huge2m and huge1g are exclusive");
    }
    const uint64_t align = (out.flags & isa::kMapHuge1G)   ? isa::kPageBytes1G
                           : (out.flags & isa::kMapHuge2M) ? isa::kPageBytes2M
                                                           : isa::kPageBytes4K;
    aligned(1, out.addr, align, "mmap ADDR");
    aligned(2, out.len, align, "mmap LEN");
  } else if (kw == "munmap") {
    take_ip();
    out.op = isa::Op::kMunmap;
    out.addr = p.number(1, "ADDR");
    out.len = p.number(2, "LEN", true);
    end(3, "munmap ADDR LEN [@IP]");
  } else if (kw == "mprotect") {
    take_ip();
    out.op = isa::Op::kMprotect;
    out.addr = p.number(1, "ADDR");
    out.len = p.number(2, "LEN", true);
    out.prot = p.prot(3);
    end(4, "mprotect ADDR LEN PROT [@IP]");
  } else if (kw == "pkey_mprotect") {
    take_ip();
    out.op = isa::Op::kPkeyMprotect;
    out.addr = p.number(1, "ADDR");
    out.len = p.number(2, "LEN", true);
    out.prot = p.prot(3);
    const uint64_t key = p.number(4, "KEY");
    if (key > 0x7FFFFFFF) p.fail(4, "KEY does not fit in an int");
    out.key = static_cast<int64_t>(key);
    end(5, "pkey_mprotect ADDR LEN PROT KEY [@IP]");
  } else if (kw == "pkey_alloc") {
    take_ip();
    out.op = isa::Op::kPkeyAlloc;
    if (n > 1) {
      const std::string_view r = t.tok[1].text;
      if (r == "ad")
        out.value = isa::kPkeyDisableAccess;
      else if (r == "wd")
        out.value = isa::kPkeyDisableWrite;
      else
        p.fail(1, fmt::format("unknown access rights '{}': expected ad, wd or nothing", r));
    }
    end(2, "pkey_alloc [ad|wd] [@IP]");
  } else if (kw == "pkey_free") {
    take_ip();
    out.op = isa::Op::kPkeyFree;
    const uint64_t key = p.number(1, "KEY");
    if (key > 0x7FFFFFFF) p.fail(1, "KEY does not fit in an int");
    out.key = static_cast<int64_t>(key);
    end(2, "pkey_free KEY [@IP]");
  } else if (kw == "thread") {
    out.op = isa::Op::kThread;
    out.value = p.number(1, "a thread id (0 to 1023)");
    if (out.value >= abi::kMaxThreads) {
      p.fail(1, fmt::format("thread id {} out of range: expected 0 to {}", out.value,
                            abi::kMaxThreads - 1));
    }
    end(2, "thread T");
  } else if (kw == "sleep") {
    take_ip();
    out.op = isa::Op::kSleep;
    out.value = p.duration(1);
    end(2, "sleep DURATION [@IP]");
  } else if (kw == "exit" || kw == "syscall") {
    take_ip();
    out.op = kw == "exit" ? isa::Op::kExit : isa::Op::kSyscall;
    end(1, fmt::format("{} [@IP]", kw));
  } else if (kw == "roi") {
    out.op = isa::Op::kRoi;
    const std::string_view what = p.need(1, "begin or end").text;
    if (what == "begin") {
      out.value = isa::kRoiBegin;
    } else if (what == "end") {
      out.value = isa::kRoiEnd;
    } else {
      p.fail(1, fmt::format("unknown roi marker '{}': expected begin or end", what));
    }
    end(2, "roi begin|end");
  } else if (kw == "expect") {
    out.op = isa::Op::kExpect;
    if (!prev_is_instruction_) p.fail(0, "'expect' must follow an instruction record");
    const std::string_view what = p.need(1, "ok, fault, errno or ret").text;
    if (what == "ok") {
      out.expect = isa::ExpectKind::kOk;
      end(2, "expect ok");
    } else if (what == "fault") {
      const std::string_view code = p.need(2, "maperr, accerr or pkuerr KEY").text;
      if (code == "maperr") {
        out.expect = isa::ExpectKind::kMaperr;
        end(3, "expect fault maperr");
      } else if (code == "accerr") {
        out.expect = isa::ExpectKind::kAccerr;
        end(3, "expect fault accerr");
      } else if (code == "pkuerr") {
        out.expect = isa::ExpectKind::kPkuerr;
        out.value = p.number(3, "the protection key (0 to 15)");
        if (out.value >= 16) p.fail(3, "protection key out of range: expected 0 to 15");
        end(4, "expect fault pkuerr KEY");
      } else {
        p.fail(2, fmt::format("unknown fault kind '{}': expected maperr, accerr or pkuerr", code));
      }
    } else if (what == "errno") {
      const Token& tk = p.need(2, "an errno name such as EINVAL");
      const int e = abi::errno_from_name(tk.text);
      if (!e) {
        std::string names;
        for (const auto& x : abi::kErrnoNames)
          names += fmt::format("{}{}", names.empty() ? "" : ", ", x.name);
        p.fail(2, fmt::format("unknown errno '{}': expected one of {}", tk.text, names));
      }
      out.expect = isa::ExpectKind::kErrno;
      out.value = static_cast<uint64_t>(e);
      end(3, "expect errno NAME");
    } else if (what == "ret") {
      out.expect = isa::ExpectKind::kRet;
      out.value = p.number(2, "the expected return VALUE");
      end(3, "expect ret VALUE");
    } else {
      p.fail(1, fmt::format("unknown assertion '{}': expected ok, fault, errno or ret", what));
    }
    return true;
  } else {
    p.fail(0, fmt::format("unknown keyword '{}': expected a record such as load, store, rmw, "
                          "compute, wrpkru, rdpkru, mmap, munmap, mprotect, pkey_alloc, pkey_free, "
                          "pkey_mprotect, sleep, exit, syscall, thread, roi or expect",
                          kw));
  }
  prev_is_instruction_ = isa::is_instruction(out.op);
  return true;
}

const TraceFormat& text_format() {
  static const TraceFormat f{
      "text",
      "the pkusim text trace format, one record per line (docs/formats/text.md)",
      nullptr,
      [](std::istream& in, const std::string& name) -> std::unique_ptr<RecordSource> {
        return std::make_unique<TextReader>(in, name);
      },
      {false, true, true},
      [](std::ostream& out, const SourceTraits& traits,
         const std::string& name) -> std::unique_ptr<RecordWriter> {
        // The text format has no way to say that untouched pages are mapped
        // on first touch: the converted trace would fault on every access.
        if (traits.maps_on_first_touch) {
          throw TraceError(name, 0, 0,
                           "the text format cannot keep this trace's meaning: its pages are "
                           "mapped on first touch (a lackey or ChampSim trace), which text "
                           "cannot say; convert it to the binary format (a .pkb file, or "
                           "--to binary)");
        }
        return std::make_unique<TextWriter>(out);
      }};
  return f;
}

}  // namespace pkusim::traces
