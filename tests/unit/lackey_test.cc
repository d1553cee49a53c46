#include "traces/formats/lackey.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <vector>

#include "sim/config/config.h"
#include "sim/machine.h"

using namespace pkusim;

namespace {
const char* kLog =
    "==123== Lackey, an example Valgrind tool\n"
    "==123== Command: ./a.out\n"
    "==123== \n"
    "SYSCALL[123,1](12) sys_brk ( 0x0 ) --> [pre-success] Success(0x4035000) \n"
    "I  0401ab70,3\n"
    "I  0401ab73,5\n"
    " S 1ffefffd08,8\n"
    "I  04001234,4\n"
    " L 1ffefffd00,8\n"
    " L 1ffefffd10,4\n"
    " M 05000010,4\n"
    "SYSCALL[123,1](9) sys_mmap ( 0x0, 8192, 3, 34, 4294967295, 0 ) --> [pre-success] "
    "Success(0x4835000) \n"
    "SYSCALL[123,1](257) sys_openat ( 4294967196, 0x4034bb0(/x.so), 524288 ) --> [async] ... \n"
    "SYSCALL[123,1](12) sys_brk ( 0x4056000 ) --> [pre-success] Success(0x4056000) \n"
    "SYSCALL[123,1](10) sys_mprotect ( 0x4835000, 4096, 1 )[sync] --> Success(0x0) \n"
    "--123-- WARNING: something odd\n"
    " I  04001238,2\n"
    " S 05000020,512\n"
    "garbage line\n"
    "==123== Exit code: 0\n";

std::vector<isa::Instr> read_all(const std::string& text, traces::LackeyStats* stats = nullptr) {
  std::istringstream in(text);
  traces::LackeyReader r(in, "t.log");
  std::vector<isa::Instr> v;
  isa::Instr i;
  while (r.next(i)) v.push_back(i);
  if (stats) *stats = r.stats();
  return v;
}
}  // namespace

TEST_CASE("lackey lines become instructions, accesses and system calls", "[trace][lackey]") {
  traces::LackeyStats st;
  const auto v = read_all(kLog, &st);
  REQUIRE(v.size() == 9);
  CHECK(v[0].op == isa::Op::kCompute);  // I with no data access
  CHECK(v[0].ip == 0x401ab70);
  CHECK(v[0].ip_size == 3);
  CHECK(v[1].op == isa::Op::kStore);  // I + S on one record
  CHECK(v[1].ip == 0x401ab73);
  CHECK(v[1].addr == 0x1ffefffd08);
  CHECK_FALSE(v[1].continuation);
  CHECK(v[2].op == isa::Op::kLoad);
  CHECK(v[3].op == isa::Op::kLoad);  // second access of the same instruction
  CHECK(v[3].continuation);
  CHECK(v[3].size == 4);
  CHECK(v[4].op == isa::Op::kRmw);
  CHECK(v[4].continuation);
  CHECK(v[5].op == isa::Op::kMmap);
  CHECK(v[5].addr == 0x4835000);
  CHECK(v[5].len == 8192);
  CHECK(v[5].prot == (isa::kProtRead | isa::kProtWrite));
  CHECK(v[6].op == isa::Op::kMmap);  // brk growth: the new heap pages
  CHECK(v[6].addr == 0x4035000);
  CHECK(v[6].len == 0x21000);
  CHECK(v[7].op == isa::Op::kMprotect);
  CHECK(v[7].prot == isa::kProtRead);
  CHECK(v[8].op == isa::Op::kStore);  // " I" with a leading space, then S
  CHECK(v[8].size == 64);             // 512-byte dirty helper cut to 64
  CHECK(st.sizes_clamped == 1);
  CHECK(st.instructions == 4);
  CHECK(st.syscalls_used == 3);
  CHECK(st.lines_skipped == 8);  // header, brk(0), openat, warning, garbage, footer
  CHECK(traces::looks_like_lackey(kLog));
  CHECK_FALSE(traces::looks_like_lackey("pkutrace 1\nload 0x1000 8\n"));
  CHECK(traces::looks_like_lackey("I  0401ab70,3\n"));
}

TEST_CASE("a lackey replay maps pages on first touch and counts them", "[machine][lackey]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  m.set_auto_map(true);
  for (const isa::Instr& i : read_all(kLog)) {
    const sim::Outcome o = m.execute(i);
    CHECK_FALSE(o.fault);
  }
  CHECK(m.stats().instructions == 4);       // system calls ride on their own I lines
  CHECK(m.stats().auto_mapped_pages >= 4);  // code pages, stack, 0x5000000
  // Fetched by 64-byte line: the first two instructions share one.
  CHECK(m.stats().accesses[unsigned(sim::AccessKind::kFetch)] == 3);
}

TEST_CASE("the tracing shim's marks become one record per call, and its work is dropped",
          "[trace][lackey]") {
  const std::string log =
      "**42** PKUSIM shim 483d000 483da69\n"
      "I  0401ab70,3\n"
      " L 1ffefffd00,8\n"
      "I  0483d280,7\n"  // the shim's prologue: dropped with its access
      " S 1ffefffcf8,8\n"
      "**42** PKUSIM begin\n"
      "I  04900000,4\n"  // libc called by the shim: dropped
      "SYSCALL[42,1](10) sys_mprotect ( 0x4841000, 4096, 3 )[sync] --> Success(0x0) \n"
      "**42** PKUSIM end pkey_mprotect 4841000 1000 3 1\n"
      "I  0483d2f1,9\n"  // the shim's epilogue
      "**42** PKUSIM begin\n"
      "**42** PKUSIM end pkey_alloc 1\n"
      "**42** PKUSIM begin\n"
      "**42** PKUSIM end wrpkru 55555550\n"
      "**42** PKUSIM begin\n"
      "**42** PKUSIM end rdpkru\n"
      "**42** PKUSIM begin\n"
      "**42** PKUSIM end pkey_free 1\n"
      "**42** PKUSIM begin\n"
      "**42** PKUSIM end pkey_mprotect 4841000 1000 1 -1\n"
      "**42** PKUSIM begin\n"
      "**42** PKUSIM end none\n"
      "**42** PKUSIM roi begin\n"
      "I  0401ab73,5\n"
      "**42** PKUSIM roi end\n"
      "**42** PKUSIM bogus 1\n";
  traces::LackeyStats st;
  const auto v = read_all(log, &st);
  REQUIRE(v.size() == 10);
  CHECK(v[0].op == isa::Op::kLoad);  // the program's instruction and its load
  CHECK(v[0].ip == 0x401ab70);
  CHECK(v[1].op == isa::Op::kPkeyMprotect);  // one record: no mprotect of the shim's
  CHECK(v[1].addr == 0x4841000);
  CHECK(v[1].len == 0x1000);
  CHECK(v[1].key == 1);
  CHECK_FALSE(v[1].continuation);  // an instruction of the program's
  CHECK(v[2].op == isa::Op::kPkeyAlloc);
  CHECK(v[2].value == 1);
  CHECK(v[3].op == isa::Op::kWrpkru);
  CHECK(v[3].value == 0x55555550);
  CHECK(v[4].op == isa::Op::kRdpkru);
  CHECK(v[5].op == isa::Op::kPkeyFree);
  CHECK(v[5].key == 1);
  CHECK(v[6].op == isa::Op::kMprotect);  // key -1: a plain mprotect
  CHECK(v[7].op == isa::Op::kRoi);
  CHECK(v[7].value == isa::kRoiBegin);
  CHECK(v[8].op == isa::Op::kCompute);
  CHECK(v[9].op == isa::Op::kRoi);
  CHECK(v[9].value == isa::kRoiEnd);
  CHECK(st.shim_lines == 5);  // prologue I and S, inside I and SYSCALL, epilogue I
  CHECK(st.lines_skipped == 0);
  CHECK(st.pkey_marks == 18);
}

TEST_CASE("a trapped access the program marks comes back as its own record", "[trace][lackey]") {
  // Lackey logs an access after it is made, so one that faults is missing;
  // PKUSIM_TRAPPED (tools/trace-program/pkusim_roi.h) puts it back.
  const std::string log =
      "I  0401ab70,3\n"
      "**42** PKUSIM trap store 5132010 8\n"
      "I  0401ab80,4\n"
      " L 0010d088,8\n"
      "**42** PKUSIM trap load 5132018 4\n"
      "**42** PKUSIM trap load 5132018 65\n"  // too wide: dropped
      "**42** PKUSIM trap jump 5132018 4\n";  // not an access: dropped
  traces::LackeyStats st;
  const auto v = read_all(log, &st);
  REQUIRE(v.size() == 4);
  CHECK(v[1].op == isa::Op::kStore);
  CHECK(v[1].addr == 0x5132010);
  CHECK(v[1].size == 8);
  CHECK_FALSE(v[1].continuation);
  CHECK(v[2].op == isa::Op::kLoad);
  CHECK(v[2].addr == 0x10d088);
  CHECK(v[3].op == isa::Op::kLoad);
  CHECK(v[3].addr == 0x5132018);
  CHECK(v[3].size == 4);
  CHECK(st.trap_marks == 2);
}
