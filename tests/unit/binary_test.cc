// The binary trace format: lossless round trips and clear errors.
#include "traces/formats/binary.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "traces/formats/text_reader.h"
#include "traces/formats/text_writer.h"
#include "traces/open_trace.h"
#include "traces/trace_error.h"

using namespace pkusim;

namespace {

bool same(const isa::Instr& a, const isa::Instr& b) {
  return a.op == b.op && a.size == b.size && a.prot == b.prot && a.flags == b.flags &&
         a.expect == b.expect && a.has_ip == b.has_ip && a.continuation == b.continuation &&
         a.ip_size == b.ip_size && a.key == b.key && a.addr == b.addr && a.len == b.len &&
         a.value == b.value && a.ip == b.ip;
}

std::vector<isa::Instr> read_text_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  traces::TextReader r(in, p.string());
  std::vector<isa::Instr> v;
  isa::Instr i;
  while (r.next(i)) v.push_back(i);
  return v;
}

std::string to_binary(const std::vector<isa::Instr>& v) {
  std::ostringstream out;
  traces::BinaryWriter w(out);
  for (const auto& i : v) w.write(i);
  w.close();
  return out.str();
}

std::vector<isa::Instr> from_binary(const std::string& bytes) {
  std::istringstream in(bytes);
  traces::BinaryReader r(in, "t.pkb");
  std::vector<isa::Instr> v;
  isa::Instr i;
  while (r.next(i)) v.push_back(i);
  return v;
}

std::string error_of(const std::string& bytes) {
  try {
    from_binary(bytes);
  } catch (const traces::TraceError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("every conformance trace round-trips through the binary format", "[trace][binary]") {
  const auto dir = std::filesystem::path(PKUSIM_SOURCE_DIR) / "tests" / "conformance";
  unsigned files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".trace") continue;
    ++files;
    const auto v = read_text_file(e.path());
    const auto back = from_binary(to_binary(v));
    REQUIRE(back.size() == v.size());
    for (size_t k = 0; k < v.size(); ++k) {
      INFO(e.path().filename().string() << " record " << k);
      CHECK(same(v[k], back[k]));
    }
    // And text -> records -> text -> records.
    std::ostringstream text;
    traces::TextWriter tw(text);
    for (const auto& i : v) tw.write(i);
    std::istringstream in(text.str());
    traces::TextReader tr(in, "again");
    isa::Instr i;
    size_t k = 0;
    while (tr.next(i)) CHECK(same(i, v[k++]));
    CHECK(k == v.size());
  }
  CHECK(files >= 40);
}

TEST_CASE("binary blocks: many records, deltas, continuations and fetch sizes", "[trace][binary]") {
  std::vector<isa::Instr> v;
  for (uint64_t k = 0; k < 200000; ++k) {
    isa::Instr i;
    i.op = k % 3 == 0 ? isa::Op::kLoad : k % 3 == 1 ? isa::Op::kStore : isa::Op::kRmw;
    i.addr = (k * 0x9E3779B97F4A7C15ull) & 0x7fffffffffffull;  // jumps both ways
    i.size = uint8_t(1 + k % 64);
    i.has_ip = k % 2 == 0;
    if (i.has_ip) {
      i.ip = 0x401000 + 7 * k;
      i.ip_size = uint8_t(1 + k % 15);
    }
    i.continuation = k % 5 == 4;
    v.push_back(i);
  }
  const std::string bytes = to_binary(v);
  const auto back = from_binary(bytes);
  REQUIRE(back.size() == v.size());
  for (size_t k = 0; k < v.size(); k += 997) CHECK(same(v[k], back[k]));
  CHECK(same(v.back(), back.back()));
  CHECK(bytes.size() < v.size() * 8);  // compact
}

TEST_CASE("bad binary traces name the byte offset", "[trace][binary][bad]") {
  std::vector<isa::Instr> v(1000);
  for (auto& i : v) {
    i.op = isa::Op::kLoad;
    i.addr = 0x1000;
    i.size = 8;
  }
  const std::string good = to_binary(v);
  std::string magic = good;
  magic[0] = 'X';
  CHECK(error_of(magic) == "t.pkb: byte offset 0: not a pkusim binary trace (bad magic)");
  std::string version = good;
  version[8] = 9;
  CHECK(error_of(version) ==
        "t.pkb: byte offset 8: unsupported binary trace version 9: this pkusim reads versions 1 "
        "and 2");
  CHECK(error_of(good.substr(0, 20)) ==
        "t.pkb: byte offset 16: the trace ends inside a block header (truncated file?)");
  CHECK(error_of(good.substr(0, 40)) ==
        "t.pkb: byte offset 32: the trace ends inside a block (truncated file?)");
  std::string broken = good;
  broken[40] = char(broken[40] ^ 0x5A);
  CHECK_THAT(error_of(broken), Catch::StartsWith("t.pkb: byte offset 32: broken zstd block"));
  CHECK(error_of(good.substr(0, good.size() - 16)) ==
        "t.pkb: byte offset " + std::to_string(good.size() - 16) +
            ": the trace ends inside a block header (truncated file?)");
  CHECK(from_binary(good).size() == 1000);
}

TEST_CASE("binary traces are recognized by their magic", "[trace][binary]") {
  const auto p = std::filesystem::temp_directory_path() / "pkusim-binary-test.anything";
  isa::Instr one;
  one.value = 1;  // compute 1
  std::ofstream(p, std::ios::binary) << to_binary({one});
  traces::OpenedTrace t = traces::open_trace(p.string());
  CHECK(t.format->name == "binary");
  isa::Instr i;
  CHECK(t.source->next(i));
  CHECK_FALSE(t.source->next(i));
  std::filesystem::remove(p);
}

TEST_CASE("binary records are held to the text grammar's rules", "[trace][binary][bad]") {
  const auto one = [](auto&& setup) {
    isa::Instr i;
    i.value = 1;
    setup(i);
    return error_of(to_binary({i}));
  };
  CHECK_THAT(one([](isa::Instr& i) {
               i.op = isa::Op::kThread;
               i.value = 0xFFFFFFFF;
             }),
             Catch::EndsWith("invalid record in block: thread id 4294967295 (expected 0 to 1023)"));
  CHECK_THAT(one([](isa::Instr& i) {
               i.op = isa::Op::kMmap;
               i.addr = 0x7f0000001000;
               i.len = 2 << 20;
               i.flags = isa::kMapHuge2M;
             }),
             Catch::Contains("not aligned to 2097152 bytes"));
  CHECK_THAT(one([](isa::Instr& i) {
               i.op = isa::Op::kMmap;
               i.prot = 8;
             }),
             Catch::Contains("unknown PROT bits 0x8"));
  CHECK_THAT(one([](isa::Instr& i) {
               i.op = isa::Op::kWrpkru;
               i.value = 1ull << 32;
             }),
             Catch::Contains("wider than 32 bits"));
  CHECK_THAT(one([](isa::Instr& i) {
               i.has_ip = true;
               i.ip_size = 0;
             }),
             Catch::Contains("instruction length 0"));
  CHECK_THAT(one([](isa::Instr& i) { i.value = 0; }), Catch::Contains("compute count 0"));
}

TEST_CASE("a bad binary record is raised after the good records before it",
          "[trace][binary][bad]") {
  // Records are decoded a batch at a time: a bad one in the middle of a
  // batch must still come after every good record, wherever it lies.
  const size_t bad_at =
      GENERATE(size_t{0}, size_t{1}, size_t{511}, size_t{512}, size_t{700}, size_t{70000});
  CAPTURE(bad_at);
  std::vector<isa::Instr> v(70001);
  for (size_t k = 0; k < v.size(); ++k) {
    v[k].op = isa::Op::kLoad;
    v[k].addr = 0x1000 + 8 * k;
    v[k].size = 8;
  }
  v[bad_at] = isa::Instr{};
  v[bad_at].op = isa::Op::kThread;
  v[bad_at].value = 5000;  // beyond the thread ids allowed
  const std::string bytes = to_binary(v);
  std::istringstream in(bytes);
  traces::BinaryReader r(in, "t.pkb");
  size_t good = 0;
  const auto drain = [&] {
    while (const isa::Instr* i = r.pull()) {
      REQUIRE(i->addr == 0x1000 + 8 * good);
      ++good;
      REQUIRE(r.location() == good);  // the record's number
    }
  };
  CHECK_THROWS_WITH(drain(), Catch::Contains("thread id 5000"));
  CHECK(good == bad_at);
  CHECK(r.pull() == nullptr);
}

TEST_CASE("nothing may follow a binary trace's end marker", "[trace][binary][bad]") {
  isa::Instr i;
  i.value = 1;
  const std::string a = to_binary({i});
  CHECK_THAT(error_of(a + a), Catch::Contains("data after the end marker"));
  std::string zeroed = a;
  zeroed.append(64, '\0');
  CHECK_THAT(error_of(zeroed), Catch::Contains("data after the end marker"));
}

TEST_CASE("the fuzzer's out-of-memory input is a clear error", "[trace][binary][bad]") {
  // libFuzzer found that a block header claiming a huge raw size made the
  // reader allocate gigabytes; it is now refused before any allocation.
  const auto path = std::filesystem::path(PKUSIM_SOURCE_DIR) / "tests" / "fuzz" / "corpus" /
                    "binary" / "regression-oom-block-header.pkb";
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  traces::BinaryReader r(in, "oom.pkb");
  isa::Instr rec;
  CHECK_THROWS_WITH(r.next(rec), "oom.pkb: byte offset 16: corrupt block header");
}

TEST_CASE("binary traces of version 1 still read", "[trace][binary]") {
  // sk.pkb was written by pkusim 0.1 (version 1 tags) from secret-key.trace.
  const auto dir = std::filesystem::path(PKUSIM_SOURCE_DIR);
  std::ifstream bin(dir / "tests" / "fuzz" / "corpus" / "binary" / "sk.pkb", std::ios::binary);
  std::ifstream text(dir / "traces" / "examples" / "secret-key.trace");
  REQUIRE(bin);
  REQUIRE(text);
  traces::BinaryReader b(bin, "sk.pkb");
  traces::TextReader t(text, "secret-key.trace");
  CHECK_FALSE(b.traits().maps_on_first_touch);
  isa::Instr x, y;
  unsigned n = 0;
  while (t.next(x)) {
    REQUIRE(b.next(y));
    CHECK(traces::format_record(x) == traces::format_record(y));
    ++n;
  }
  CHECK_FALSE(b.next(y));
  CHECK(n > 10);
}

TEST_CASE("the binary header keeps that pages are mapped on first touch", "[trace][binary]") {
  for (const bool first_touch : {false, true}) {
    std::stringstream s;
    traces::SourceTraits traits;
    traits.maps_on_first_touch = first_touch;
    traces::BinaryWriter w(s, traits);
    isa::Instr r;
    r.op = isa::Op::kLoad;
    r.addr = 0x1000;
    r.size = 8;
    w.write(r);
    w.close();
    traces::BinaryReader rd(s, "t.pkb");
    CHECK(rd.traits().maps_on_first_touch == first_touch);
  }
}

TEST_CASE("sleep, exit, syscall and roi records round-trip through text and binary",
          "[trace][binary]") {
  const std::string text =
      "thread 1\nsleep 50us\nsleep 3ms\nsleep 7ns @0x401000\nsyscall\nroi begin\nexit\n"
      "thread 0\nroi end\n";
  std::istringstream in(text);
  traces::TextReader r(in, "t");
  std::stringstream bin;
  traces::BinaryWriter w(bin);
  std::vector<std::string> lines;
  isa::Instr i;
  while (r.next(i)) {
    lines.push_back(traces::format_record(i));
    w.write(i);
  }
  w.close();
  CHECK(lines == std::vector<std::string>{"thread 1", "sleep 50us", "sleep 3ms",
                                          "sleep 7ns @0x401000", "syscall", "roi begin", "exit",
                                          "thread 0", "roi end"});
  traces::BinaryReader br(bin, "t.pkb");
  for (const std::string& l : lines) {
    REQUIRE(br.next(i));
    CHECK(traces::format_record(i) == l);
  }
}
