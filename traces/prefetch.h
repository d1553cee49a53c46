#pragma once
// Reading ahead on a thread of its own. A PrefetchSource runs another
// source's next() on a worker thread, a few blocks of records ahead of the
// simulation, so that parsing and decompression (a lackey log, an xz file)
// overlap the simulation on a second core. The records, their order and
// their locations are the inner source's exactly, so results are the same;
// an error of the inner source is raised where it occurred, after the
// records before it. The blocks are allocated once: nothing per record.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <istream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "traces/record_source.h"

namespace pkusim::traces {

class PrefetchSource final : public RecordSource {
 public:
  /// Takes over `inner` and the stream it reads (may be null).
  PrefetchSource(std::unique_ptr<RecordSource> inner, std::unique_ptr<std::istream> stream);
  ~PrefetchSource() override;
  PrefetchSource(const PrefetchSource&) = delete;
  PrefetchSource& operator=(const PrefetchSource&) = delete;

  bool next(isa::Instr& out) override { return copy_pulled(out); }
  uint64_t bytes_read() const override { return bytes_.load(std::memory_order_relaxed); }
  SourceTraits traits() const override { return traits_; }
  uint64_t location() const override;
  /// The inner source's counters (the worker is stopped first).
  std::vector<std::pair<std::string, uint64_t>> counters() const override;

  /// Whether reading ahead pays here: a second CPU, and not disabled by
  /// PKUSIM_READER_THREADS=0.
  static bool worthwhile();

 private:
  // Small blocks, so that what the worker writes is still in a cache close
  // to the core that reads it.
  static constexpr size_t kBlockRecords = 2048;
  static constexpr size_t kBlocks = 8;
  struct Block {
    std::vector<isa::Instr> records = std::vector<isa::Instr>(kBlockRecords);
    std::vector<uint64_t> locations = std::vector<uint64_t>(kBlockRecords);
    size_t count = 0;
    bool last = false;         // the inner source ended (or failed) after these
    std::exception_ptr error;  // what it failed with
  };
  void work();
  void stop() const;
  const isa::Instr* next_block() override;

  std::unique_ptr<std::istream> stream_;
  std::unique_ptr<RecordSource> inner_;
  SourceTraits traits_;
  std::vector<Block> blocks_ = std::vector<Block>(kBlocks);
  mutable std::mutex mu_;
  mutable std::condition_variable filled_, emptied_;
  // Blocks filled and given back so far; each side waits on the condition
  // variable only when the other is ahead by a whole ring (or behind), and
  // is woken only if it waits.
  std::atomic<size_t> produced_{0};
  std::atomic<size_t> consumed_{0};
  bool producer_waits_ = false;  // guarded by mu_
  bool consumer_waits_ = false;
  mutable bool stopping_ = false;
  std::atomic<uint64_t> bytes_{0};
  mutable std::thread worker_;
  // The consumer's block; its position is batch_pos_.
  Block* current_ = nullptr;
  bool ended_ = false;
  uint64_t previous_location_ = 0;  // of the last record before current_'s
};

}  // namespace pkusim::traces
