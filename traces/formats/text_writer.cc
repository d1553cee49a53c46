#include "traces/formats/text_writer.h"

#include <fmt/format.h>

#include "isa/linux_abi.h"

namespace pkusim::traces {

namespace {
std::string prot_text(uint8_t p) {
  if (p == 0) return "none";
  std::string s;
  if (p & isa::kProtRead) s += 'r';
  if (p & isa::kProtWrite) s += 'w';
  if (p & isa::kProtExec) s += 'x';
  return s;
}
}  // namespace

TextWriter::TextWriter(std::ostream& out) : out_(out) { out_ << "pkutrace 1\n"; }

std::string format_record(const isa::Instr& r) {
  std::string line;
  switch (r.op) {
    case isa::Op::kLoad:
    case isa::Op::kStore:
    case isa::Op::kRmw:
      line = fmt::format("{} {:#x} {}", isa::op_name(r.op), r.addr, r.size);
      break;
    case isa::Op::kCompute:
      line = fmt::format("compute {}", r.value);
      break;
    case isa::Op::kWrpkru:
      line = fmt::format("wrpkru {:#x}", r.value);
      break;
    case isa::Op::kRdpkru:
      line = "rdpkru";
      break;
    case isa::Op::kMmap: {
      line = fmt::format("mmap {:#x} {:#x} {}", r.addr, r.len, prot_text(r.prot));
      if (r.flags & isa::kMapPopulate) line += " populate";
      if (r.flags & isa::kMapHuge2M) line += " huge2m";
      if (r.flags & isa::kMapHuge1G) line += " huge1g";
      break;
    }
    case isa::Op::kMunmap:
      line = fmt::format("munmap {:#x} {:#x}", r.addr, r.len);
      break;
    case isa::Op::kMprotect:
      line = fmt::format("mprotect {:#x} {:#x} {}", r.addr, r.len, prot_text(r.prot));
      break;
    case isa::Op::kPkeyMprotect:
      line =
          fmt::format("pkey_mprotect {:#x} {:#x} {} {}", r.addr, r.len, prot_text(r.prot), r.key);
      break;
    case isa::Op::kPkeyAlloc:
      line = r.value == isa::kPkeyDisableAccess  ? "pkey_alloc ad"
             : r.value == isa::kPkeyDisableWrite ? "pkey_alloc wd"
                                                 : "pkey_alloc";
      break;
    case isa::Op::kPkeyFree:
      line = fmt::format("pkey_free {}", r.key);
      break;
    case isa::Op::kThread:
      line = fmt::format("thread {}", r.value);
      break;
    case isa::Op::kSleep:
      line = r.value % 1000000 == 0 && r.value ? fmt::format("sleep {}ms", r.value / 1000000)
             : r.value % 1000 == 0 && r.value  ? fmt::format("sleep {}us", r.value / 1000)
                                               : fmt::format("sleep {}ns", r.value);
      break;
    case isa::Op::kExit:
      line = "exit";
      break;
    case isa::Op::kSyscall:
      line = "syscall";
      break;
    case isa::Op::kRoi:
      line = r.value == isa::kRoiBegin ? "roi begin" : "roi end";
      break;
    case isa::Op::kExpect:
      switch (r.expect) {
        case isa::ExpectKind::kOk:
          line = "expect ok";
          break;
        case isa::ExpectKind::kMaperr:
          line = "expect fault maperr";
          break;
        case isa::ExpectKind::kAccerr:
          line = "expect fault accerr";
          break;
        case isa::ExpectKind::kPkuerr:
          line = fmt::format("expect fault pkuerr {}", r.value);
          break;
        case isa::ExpectKind::kErrno:
          line = fmt::format("expect errno {}", abi::errno_name(static_cast<int>(r.value)));
          break;
        case isa::ExpectKind::kRet:
          line = fmt::format("expect ret {:#x}", r.value);
          break;
      }
      break;
  }
  if (r.has_ip && !r.continuation) line += fmt::format(" @{:#x}", r.ip);
  return line;
}

void TextWriter::write(const isa::Instr& r) {
  if (r.op == isa::Op::kThread) current_thread_ = static_cast<unsigned>(r.value);
  if (r.has_ip && !r.continuation && r.ip_size != 1) ++stats_.fetch_sizes;
  if (r.continuation) ++stats_.continuations;
  out_ << format_record(r) << '\n';
}

std::vector<std::string> TextWriter::notes() const {
  std::vector<std::string> n;
  if (stats_.continuations) {
    n.push_back(fmt::format(
        "{} extra data accesses of multi-access instructions became instructions of their own "
        "(the text format has one access per instruction)",
        stats_.continuations));
  }
  if (stats_.fetch_sizes) {
    n.push_back(fmt::format("{} instruction lengths were dropped (text `@ADDR` fetches 1 byte)",
                            stats_.fetch_sizes));
  }
  return n;
}

}  // namespace pkusim::traces
