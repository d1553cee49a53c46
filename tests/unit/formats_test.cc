// Compressed input and the ChampSim reader.
#include <fmt/format.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "traces/open_trace.h"
#include "traces/trace_error.h"

using namespace pkusim;

namespace {

std::string gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string xz(const std::string& in) {
  std::string out(lzma_stream_buffer_bound(in.size()), '\0');
  size_t pos = 0;
  lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const uint8_t*>(in.data()),
                          in.size(), reinterpret_cast<uint8_t*>(out.data()), &pos, out.size());
  out.resize(pos);
  return out;
}
std::string zstd(const std::string& in) {
  // With a content checksum, as the zstd tool writes by default.
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress2(c, out.data(), out.size(), in.data(), in.size()));
  ZSTD_freeCCtx(c);
  return out;
}

std::filesystem::path write_temp(const std::string& name, const std::string& bytes) {
  const auto p =
      std::filesystem::temp_directory_path() / fmt::format("pkusim-{}-{}", ::getpid(), name);
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

std::vector<isa::Instr> read_all(const std::filesystem::path& p, std::string* format = nullptr,
                                 std::string* compression = nullptr) {
  traces::OpenedTrace t = traces::open_trace(p.string());
  if (format) *format = std::string(t.format->name);
  if (compression) *compression = t.compression;
  std::vector<isa::Instr> v;
  isa::Instr i;
  while (t.source->next(i)) v.push_back(i);
  return v;
}

std::string text_trace() {
  std::string s = "pkutrace 1\nmmap 0x7f0000000000 1M rw\n";
  for (int i = 0; i < 30000; ++i)
    s += fmt::format("load {:#x} 8\n", 0x7f0000000000ull + (i * 64) % (1 << 20));
  return s;
}

}  // namespace

TEST_CASE("gzip, xz and zstd traces read like the plain one", "[trace][compressed]") {
  const std::string plain = text_trace();
  const auto base = read_all(write_temp("plain.trace", plain));
  REQUIRE(base.size() == 30001);
  const std::pair<const char*, std::string> cases[] = {
      {"gzip", gzip(plain)}, {"xz", xz(plain)}, {"zstd", zstd(plain)}};
  for (const auto& [name, bytes] : cases) {
    INFO(name);
    std::string format, compression;
    const auto p = write_temp(std::string("c.") + name, bytes);  // names do not matter
    const auto v = read_all(p, &format, &compression);
    CHECK(format == "text");
    CHECK(compression == name);
    REQUIRE(v.size() == base.size());
    CHECK(v.back().addr == base.back().addr);
    std::filesystem::remove(p);
  }
}

TEST_CASE("a truncated or corrupt compressed trace is a clear error", "[trace][compressed][bad]") {
  const std::string plain = text_trace();
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"gzip", gzip(plain)}, {"xz", xz(plain)}, {"zstd", zstd(plain)}}) {
    INFO(name);
    const auto cut = write_temp("cut." + name, bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_WITH(read_all(cut),
                      Catch::Contains("broken " + name + " stream near compressed byte offset") &&
                          Catch::Contains("ends early"));
    std::string corrupt = bytes;
    for (size_t k = corrupt.size() / 3; k < corrupt.size() / 3 + 64; ++k)
      corrupt[k] = char(~corrupt[k]);
    const auto bad = write_temp("bad." + name, corrupt);
    CHECK_THROWS_AS(read_all(bad), traces::TraceError);
    std::filesystem::remove(cut);
    std::filesystem::remove(bad);
  }
}

namespace {
void put64(std::string& r, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) r[off + i] = char((v >> (8 * i)) & 0xFF);
}
std::string champsim_record(uint64_t ip, std::vector<uint64_t> src, std::vector<uint64_t> dst) {
  std::string r(64, '\0');
  put64(r, 0, ip);
  r[8] = 0;  // is_branch
  for (size_t k = 0; k < dst.size(); ++k) put64(r, 16 + 8 * k, dst[k]);
  for (size_t k = 0; k < src.size(); ++k) put64(r, 32 + 8 * k, src[k]);
  return r;
}
}  // namespace

TEST_CASE("ChampSim records become instructions with 8-byte accesses", "[trace][champsim]") {
  const std::string bytes = champsim_record(0x401000, {}, {}) +
                            champsim_record(0x401004, {0x7fff0000}, {}) +
                            champsim_record(0x401008, {0x7fff0008, 0x7fff0010}, {0x7fff0020});
  std::string format;
  const auto p = write_temp("t.champsim", bytes);
  const auto v = read_all(p, &format);
  CHECK(format == "champsim");
  REQUIRE(v.size() == 5);
  CHECK(v[0].op == isa::Op::kCompute);
  CHECK(v[0].ip == 0x401000);
  CHECK(v[1].op == isa::Op::kLoad);
  CHECK(v[1].addr == 0x7fff0000);
  CHECK(v[1].size == 8);
  CHECK(v[2].op == isa::Op::kLoad);
  CHECK_FALSE(v[2].continuation);
  CHECK(v[3].op == isa::Op::kLoad);
  CHECK(v[3].continuation);
  CHECK(v[4].op == isa::Op::kStore);
  CHECK(v[4].addr == 0x7fff0020);
  CHECK(v[4].continuation);
  // The same records xz-compressed, as ChampSim distributes them.
  const auto pxz = write_temp("t.champsim.xz", xz(bytes));
  CHECK(read_all(pxz).size() == 5);
  // A record cut short names its byte offset.
  const auto cut = write_temp("cut.champsim", bytes.substr(0, 64 + 40));
  CHECK_THROWS_WITH(read_all(cut), Catch::Contains("truncated ChampSim record at byte offset 64"));
  for (const auto& f : {p, pxz, cut}) std::filesystem::remove(f);
}
