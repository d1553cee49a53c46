#include "traces/formats/text_reader.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "traces/trace_error.h"

using namespace pkusim;
using traces::TextReader;
using traces::TraceError;

namespace {

std::vector<isa::Instr> read_all(const std::string& text) {
  std::istringstream in(text);
  TextReader r(in, "t.trace");
  std::vector<isa::Instr> out;
  isa::Instr i;
  while (r.next(i)) out.push_back(i);
  return out;
}

/// The error a trace raises: "LINE:COL: message".
std::string error_of(const std::string& text) {
  try {
    read_all(text);
  } catch (const TraceError& e) {
    CHECK(e.file() == "t.trace");
    return std::to_string(e.line()) + ":" + std::to_string(e.column()) + ": " + e.message();
  }
  return "no error";
}

}  // namespace

TEST_CASE("every record of the format is read", "[trace]") {
  const auto v = read_all(
      "pkutrace 1\n"
      "# comment\n"
      "\n"
      "  load 0x1000 8   # trailing comment\n"
      "store 4096 1 @0x401a2c\n"
      "rmw 0x2000 64\n"
      "compute 100\n"
      "wrpkru 0x55555550\n"
      "rdpkru\n"
      "mmap 0x7f0000000000 64M rw populate\n"
      "mmap 0x7f0040000000 1G rwx huge1g\n"
      "munmap 0x7f0000000000 4K\n"
      "mprotect 0x7f0000000000 2M none\n"
      "pkey_alloc ad\n"
      "pkey_alloc\n"
      "pkey_free 3\n"
      "pkey_mprotect 0x7f0000000000 4096 x 15\n"
      "thread 1023\n"
      "load\t0x10\t4\r\n"
      "expect fault pkuerr 15\n"
      "expect errno ENOSPC\n"
      "expect ret 0x55555554\n");
  REQUIRE(v.size() == 19);
  CHECK(v[0].op == isa::Op::kLoad);
  CHECK(v[0].addr == 0x1000);
  CHECK(v[0].size == 8);
  CHECK(v[1].op == isa::Op::kStore);
  CHECK(v[1].has_ip);
  CHECK(v[1].ip == 0x401a2c);
  CHECK(v[2].size == 64);
  CHECK(v[3].value == 100);
  CHECK(v[4].value == 0x55555550);
  CHECK(v[5].op == isa::Op::kRdpkru);
  CHECK(v[6].len == 64ull << 20);
  CHECK(v[6].prot == (isa::kProtRead | isa::kProtWrite));
  CHECK(v[6].flags == isa::kMapPopulate);
  CHECK(v[7].flags == isa::kMapHuge1G);
  CHECK(v[7].prot == 7);
  CHECK(v[9].prot == 0);
  CHECK(v[10].value == isa::kPkeyDisableAccess);
  CHECK(v[11].value == 0);
  CHECK(v[12].key == 3);
  CHECK(v[13].key == 15);
  CHECK(v[13].prot == isa::kProtExec);
  CHECK(v[14].op == isa::Op::kThread);
  CHECK(v[14].value == 1023);
  CHECK(v[15].addr == 0x10);
  CHECK(v[16].expect == isa::ExpectKind::kPkuerr);
  CHECK(v[16].value == 15);
  CHECK(v[17].expect == isa::ExpectKind::kErrno);
  CHECK(v[17].value == 28);
  CHECK(v[18].value == 0x55555554);
}

TEST_CASE("the version line is optional", "[trace]") {
  CHECK(read_all("load 0x1000 8\n").size() == 1);
}

TEST_CASE("a long trace streams through a small buffer", "[trace]") {
  std::string text = "pkutrace 1\n";
  for (int i = 0; i < 20000; ++i) text += "load 0x" + std::to_string(1000 + i) + " 8\n";
  CHECK(read_all(text).size() == 20000);
}

// Bad input: one test per case; each names line and column.
TEST_CASE("bad input: unknown keyword", "[trace][bad]") {
  CHECK(error_of("pkutrace 1\nlaod 0x1000 8\n") ==
        "2:1: unknown keyword 'laod': expected a record "
        "such as load, store, rmw, compute, wrpkru, rdpkru, mmap, munmap, mprotect, pkey_alloc, "
        "pkey_free, pkey_mprotect, sleep, exit, syscall, thread, roi or expect");
}
TEST_CASE("bad input: missing operand", "[trace][bad]") {
  CHECK(error_of("load 0x1000\n") == "1:12: missing operand: expected SIZE (1 to 64 bytes)");
}
TEST_CASE("bad input: extra operand", "[trace][bad]") {
  CHECK(error_of("rdpkru 5\n") == "1:8: extra operand '5': expected end of line (rdpkru [@IP])");
}
TEST_CASE("bad input: malformed number", "[trace][bad]") {
  CHECK(error_of("load 0x10g0 8\n").rfind("1:6: malformed number '0x10g0'", 0) == 0);
  CHECK(error_of("load 12 0x\n").rfind("1:9: malformed number '0x'", 0) == 0);
  CHECK(error_of("load 99999999999999999999 8\n")
            .rfind("1:6: number '99999999999999999999' "
                   "does not fit in 64 bits",
                   0) == 0);
}
TEST_CASE("bad input: size 0 or above 64", "[trace][bad]") {
  CHECK(error_of("load 0x1000 0\n") == "1:13: size 0 out of range: expected 1 to 64");
  CHECK(error_of("store 0x1000 65\n") == "1:14: size 65 out of range: expected 1 to 64");
}
TEST_CASE("bad input: unaligned address or length where required", "[trace][bad]") {
  CHECK(error_of("mmap 0x1001 4K rw\n") == "1:6: mmap ADDR 0x1001 is not aligned to 4096 bytes");
  CHECK(error_of("mmap 0x1000 100 rw\n") == "1:13: mmap LEN 0x64 is not aligned to 4096 bytes");
  CHECK(error_of("mmap 0x7f0000001000 2M rw huge2m\n") ==
        "1:6: mmap ADDR 0x7f0000001000 is not aligned to 2097152 bytes");
}
TEST_CASE("bad input: thread id out of range", "[trace][bad]") {
  CHECK(error_of("thread 1024\n") == "1:8: thread id 1024 out of range: expected 0 to 1023");
}
TEST_CASE("bad input: unknown PROT letters", "[trace][bad]") {
  CHECK(error_of("mprotect 0x1000 4K rq\n") ==
        "1:20: bad PROT 'rq': expected none, or the letters r, w, x in that order");
  CHECK(error_of("mprotect 0x1000 4K wr\n").rfind("1:20: bad PROT 'wr'", 0) == 0);
}
TEST_CASE("bad input: a wrong version line", "[trace][bad]") {
  CHECK(error_of("pkutrace 2\n") ==
        "1:10: unsupported trace format version 2: this pkusim reads version 1");
  CHECK(error_of("load 0x1000 8\npkutrace 1\n") ==
        "2:1: 'pkutrace' version line must be the first line of the trace");
}
TEST_CASE("bad input: a binary file", "[trace][bad]") {
  const std::string bin(
      "\x7f"
      "ELF\x02\x01\x01\x00\x00\x00",
      10);
  CHECK(error_of(bin).rfind("1:1: binary data", 0) == 0);
  CHECK(error_of(std::string("load 0x1000 8\nload \0 8\n", 23)) ==
        "2:6: binary data (a control byte) where a text trace line was expected");
}
TEST_CASE("bad input: an empty file", "[trace][bad]") {
  CHECK(error_of("") == "1:1: empty file: expected a trace");
  CHECK(error_of("# only a comment\n\n") == "2:1: the trace holds no records");
}
TEST_CASE("bad input: a 1 MB line", "[trace][bad]") {
  CHECK(error_of("load 0x1000 8\n" + std::string(1 << 20, 'a') + "\n") ==
        "2:4097: line longer than 4096 bytes");
  CHECK(error_of(std::string(1 << 20, ' ')) == "1:4097: line longer than 4096 bytes");
}
TEST_CASE("bad input: a trace cut in the middle of a line", "[trace][bad]") {
  CHECK(error_of("load 0x1000 8\nload 0x20")
            .rfind("2:10: the trace ends in the middle of a line", 0) == 0);
}
TEST_CASE("bad input: assertions", "[trace][bad]") {
  CHECK(error_of("expect ok\n") == "1:1: 'expect' must follow an instruction record");
  CHECK(error_of("load 0 8\nexpect fault pkuerr 16\n") ==
        "2:21: protection key out of range: expected 0 to 15");
  CHECK(error_of("load 0 8\nexpect errno EWHAT\n").rfind("2:14: unknown errno 'EWHAT'", 0) == 0);
  CHECK(error_of("load 0 8\nexpect fault segv\n").rfind("2:14: unknown fault kind", 0) == 0);
}
TEST_CASE("bad input: other operand errors", "[trace][bad]") {
  CHECK(error_of("wrpkru 0x100000000\n") == "1:8: PKRU value does not fit in 32 bits");
  CHECK(error_of("compute 0\n") == "1:9: compute count 0: expected N >= 1");
  CHECK(error_of("pkey_alloc rw\n").rfind("1:12: unknown access rights 'rw'", 0) == 0);
  CHECK(error_of("mmap 0x1000 4K rw bogus\n").rfind("1:19: unknown mmap flag 'bogus'", 0) == 0);
  CHECK(error_of("mmap 0x40000000 1G rw huge2m huge1g\n") ==
        "1:23: huge2m and huge1g are exclusive");
  CHECK(error_of("load 0x1000 8 @0xzz\n").rfind("1:16: malformed number '0xzz'", 0) == 0);
}
