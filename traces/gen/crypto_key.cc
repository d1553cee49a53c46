// crypto-key: a TLS server's record encryption with its AES-256 key
// schedules protected except while in use (the first use case of protection
// keys: Heartbleed-style leaks of key material, pku-spec use case "protect
// crypto keys", and ERIM's and libmpk's OpenSSL experiments).
//
// Each connection has a secret: an AES-256 key schedule (15 round keys of 16
// bytes, 240 bytes) on a page of its own, so that page protection can guard
// it alone. For each record a thread opens its connection's secret, encrypts
// the record block by block (per 16-byte block: the plaintext load, 15
// round-key loads, 14 AESENC and the final AESENCLAST/XOR, the ciphertext
// store into a stack buffer), closes the secret, then writes the ciphertext
// to its output buffer, so that the key is never open while the output is
// written. With more connections than the 15 usable keys, keys are shared
// round-robin (secret i has key 1 + i mod 15).
#include <memory>

#include "traces/gen/generator.h"
#include "traces/gen/workload.h"

namespace pkusim::traces {

namespace {

constexpr uint64_t kScheduleBytes = 240;  // AES-256: 15 round keys (FIPS 197, 5.2)
constexpr unsigned kRounds = 14;
constexpr uint64_t kBlock = 16;
constexpr uint64_t kStack = 0;                  // per-thread offsets in thread_data()
constexpr uint64_t kInput = 0x100000;           // plaintext ring
constexpr uint64_t kOutput = 0x800000;          // ciphertext ring
constexpr uint64_t kRingBytes = 0x400000;       // 4 MiB each
constexpr uint64_t kFramingInstructions = 120;  // record header, sequence number, MAC setup

class CryptoKey final : public Workload {
 public:
  explicit CryptoKey(const GenArgs& a)
      : Workload(a, unsigned(a.uint("threads")), 4096),
        count_(a.uint("records")),
        record_bytes_(a.uint("record_bytes")),
        secrets_(a.uint("secrets")),
        keys_(unsigned(std::min<uint64_t>(secrets_, 15))) {}

 private:
  uint64_t secret(uint64_t i) const { return kRegion + i * page_bytes(); }
  unsigned key_of(uint64_t i) const { return unsigned(i % keys_); }

  void map() override {
    mmap(kRegion, secrets_ * page_bytes(), isa::kProtRead | isa::kProtWrite, 0);
  }
  void initialize() override {
    at(1);
    for (uint64_t i = 0; i < secrets_; ++i) {  // key expansion writes each schedule
      for (uint64_t off = 0; off < kScheduleBytes; off += kBlock) store(secret(i) + off, kBlock);
    }
  }
  void protect() override {
    alloc_keys(keys_, Closed::kNoAccess);
    for (uint64_t i = 0; i < secrets_; ++i) {
      close_range(secret(i), kScheduleBytes, key_of(i), Closed::kNoAccess);
    }
  }
  void rewind() override {
    done_ = 0;
    in_off_ = out_off_ = 0;
  }
  bool step() override {
    if (done_ == count_) return false;
    const unsigned t = unsigned(done_ % threads());
    const uint64_t conn = rng().below(secrets_);
    ++done_;
    thread(t);
    const uint64_t base = thread_data(t);
    const uint64_t blocks = (record_bytes_ + kBlock - 1) / kBlock;
    const uint64_t in = base + kInput + in_off_ % kRingBytes;
    const uint64_t out = base + kOutput + out_off_ % kRingBytes;
    in_off_ += blocks * kBlock;
    out_off_ += blocks * kBlock;
    at(2);
    compute(kFramingInstructions);
    open(secret(conn), kScheduleBytes, key_of(conn), Closed::kNoAccess);
    at(3);
    for (uint64_t b = 0; b < blocks; ++b) {
      load(in + b * kBlock, kBlock);
      for (unsigned r = 0; r <= kRounds; ++r) load(secret(conn) + r * kBlock, kBlock);
      compute(kRounds + 1);
      store(base + kStack + (b * kBlock) % 0x8000, kBlock);
    }
    close(secret(conn), kScheduleBytes, key_of(conn), Closed::kNoAccess);
    at(4);
    // The ciphertext goes out only with the key closed.
    copy(out, base + kStack, std::min<uint64_t>(blocks * kBlock, 0x8000));
    if (blocks * kBlock > 0x8000) copy(out + 0x8000, base + kStack, blocks * kBlock - 0x8000);
    return true;
  }
  uint64_t count_, record_bytes_, secrets_;
  unsigned keys_;
  uint64_t done_ = 0, in_off_ = 0, out_off_ = 0;
};

}  // namespace

const Generator& crypto_key_generator() {
  static const Generator g = [] {
    std::vector<GenParam> p = common_params();
    p.push_back({"records", GenParamType::kInt, "2000", 1, 1e12, {}, "TLS records encrypted"});
    p.push_back({"record_bytes",
                 GenParamType::kBytes,
                 "1K",
                 16,
                 16384,
                 {},
                 "Plaintext bytes per record (TLS allows up to 16 KiB)"});
    p.push_back({"secrets",
                 GenParamType::kInt,
                 "1",
                 1,
                 1e6,
                 {},
                 "Key schedules, one per connection, each on its own page"});
    p.push_back(threads_param(1));
    return Generator("crypto-key",
                     "TLS record encryption with the AES-256 key schedules opened only while "
                     "in use",
                     std::move(p), [](const GenArgs& a) -> std::unique_ptr<RecordSource> {
                       return std::make_unique<CryptoKey>(a);
                     });
  }();
  return g;
}

}  // namespace pkusim::traces
