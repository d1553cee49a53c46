#include "sim/machine.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "instr_builders.h"
#include "sim/config/config.h"
#include "test_support.h"
#include "traces/formats/text_reader.h"

using namespace pkusim;
using namespace pkusim::test;

TEST_CASE("faults are recorded with thread, instruction number and key", "[machine]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  m.execute(mmap(0x7f0000000000, 8192, kRW));
  m.execute(pkey_alloc(isa::kPkeyDisableAccess));
  m.execute(pkey_mprotect(0x7f0000001000, 4096, kRW, 1));
  isa::Instr c;
  c.op = isa::Op::kCompute;
  c.value = 10;
  m.execute(c);
  // An 8-byte access straddling into the key-1 page faults on the second page.
  const sim::Outcome o = m.execute(load(0x7f0000000ffc));
  CHECK(o.fault);
  CHECK(o.si_code == abi::kSegvPkuerr);
  CHECK(o.pkey == 1);
  CHECK(o.fault_addr == 0x7f0000001000);
  const auto& s = m.stats();
  REQUIRE(s.first_faults.size() == 1);
  CHECK(s.first_faults[0].instruction == 14);
  CHECK(s.first_faults[0].thread == 0);
  CHECK(s.pkuerr_by_key[1] == 1);
  CHECK(s.page_straddles == 1);
}

TEST_CASE("only the first 20 faults are kept in detail", "[machine]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  for (int i = 0; i < 30; ++i) m.execute(load(0x1000));
  CHECK(m.stats().faults == 30);
  CHECK(m.stats().first_faults.size() == 20);
  CHECK(m.stats().faults_by_code[0] == 30);
}

TEST_CASE("a new thread inherits its creator's PKRU", "[machine][pku]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  m.execute(wrpkru(0x12345678));
  m.execute(thread(5));
  CHECK(m.kernel().pkru(5).value == 0x12345678);
  m.execute(wrpkru(0));
  m.execute(thread(0));
  CHECK(m.kernel().pkru(0).value == 0x12345678);
  CHECK(m.threads() == 2);
}

TEST_CASE("the same trace gives byte-identical functional reports", "[machine][report]") {
  const std::string trace =
      "mmap 0x7f0000000000 64K rw\n"
      "thread 1\nstore 0x7f0000000000 8\nthread 0\n"
      "pkey_alloc\npkey_mprotect 0x7f0000000000 64K rw 1\n"
      "load 0x7f0000003000 8\nwrpkru 0x55555554\nstore 0x7f0000000000 8\n";
  const auto a = test::run_report({trace}, {}, sim::Mode::kFunctional);
  const auto b = test::run_report({trace}, {}, sim::Mode::kFunctional);
  CHECK(a.dump(2) == b.dump(2));
  CHECK(a["mode"] == "functional");
  const auto& p = a["stats"]["processes"][0];
  CHECK(p["faults"]["by_si_code"]["SEGV_PKUERR"] == 1);
  CHECK(p["threads"] == 2);
  // Functional runs have the same per-core MMU statistics as timed ones.
  CHECK(a["stats"]["cores"].size() == 2);
  CHECK(a["stats"]["cores"][1]["thread"] == 1);
  CHECK(p["tlb"]["data"]["lookups"].get<uint64_t>() ==
        a["stats"]["cores"][0]["tlb"]["data"]["lookups"].get<uint64_t>() +
            a["stats"]["cores"][1]["tlb"]["data"]["lookups"].get<uint64_t>());
  CHECK(p["tlb"]["data"]["lookups"] > 0);
}

TEST_CASE("instructions are fetched by line, and a change of rights is seen at once",
          "[machine][mmu]") {
  sim::Machine m{sim::machine_config(sim::Config::defaults())};
  constexpr uint64_t kCode = 0x400000;
  const auto at = [](isa::Instr i, uint64_t ip) {
    i.has_ip = true;
    i.ip = ip;
    i.ip_size = 4;
    return i;
  };
  isa::Instr nop;
  nop.op = isa::Op::kCompute;
  nop.value = 1;
  REQUIRE(m.execute(mmap(kCode, 4096, kR | kX, isa::kMapPopulate)).err == 0);
  const uint64_t fetches0 = m.stats().accesses[unsigned(sim::AccessKind::kFetch)];
  for (uint64_t ip = kCode; ip < kCode + 64; ip += 4) CHECK_FALSE(m.execute(at(nop, ip)).fault);
  // Sixteen instructions in one line: one fetch.
  CHECK(m.stats().accesses[unsigned(sim::AccessKind::kFetch)] == fetches0 + 1);
  // An instruction across two lines is fetched again.
  CHECK_FALSE(m.execute(at(nop, kCode + 62)).fault);
  CHECK(m.stats().accesses[unsigned(sim::AccessKind::kFetch)] == fetches0 + 2);
  CHECK_FALSE(m.execute(at(nop, kCode + 68)).fault);
  CHECK(m.stats().accesses[unsigned(sim::AccessKind::kFetch)] == fetches0 + 3);
  // Taking execute permission away flushes the TLB entry: the very next
  // instruction of the same line faults.
  REQUIRE(m.execute(mprotect(kCode, 4096, kR)).err == 0);
  const sim::Outcome o = m.execute(at(nop, kCode + 72));
  CHECK(o.fault);
  CHECK(o.si_code == abi::kSegvAccerr);
  CHECK(o.fault_kind == sim::AccessKind::kFetch);
}
