#include "traces/prefetch.h"

#include <cstdlib>
#include <cstring>

namespace pkusim::traces {

PrefetchSource::PrefetchSource(std::unique_ptr<RecordSource> inner,
                               std::unique_ptr<std::istream> stream)
    : stream_(std::move(stream)), inner_(std::move(inner)), traits_(inner_->traits()) {
  worker_ = std::thread([this] { work(); });
}

PrefetchSource::~PrefetchSource() { stop(); }

bool PrefetchSource::worthwhile() {
  const char* env = std::getenv("PKUSIM_READER_THREADS");
  if (env && std::strcmp(env, "0") == 0) return false;
  return std::thread::hardware_concurrency() >= 2;
}

void PrefetchSource::stop() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  emptied_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void PrefetchSource::work() {
  for (size_t n = 0;; ++n) {
    if (n - consumed_.load(std::memory_order_acquire) >= kBlocks) {
      std::unique_lock<std::mutex> lock(mu_);
      producer_waits_ = true;
      // Woken when half the ring is free: a wake-up per half ring, not per block.
      emptied_.wait(lock, [&] {
        return stopping_ || n - consumed_.load(std::memory_order_acquire) <= kBlocks / 2;
      });
      producer_waits_ = false;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    Block& b = blocks_[n % kBlocks];
    b.count = 0;
    b.last = false;
    b.error = nullptr;
    try {
      while (b.count < kBlockRecords) {
        const isa::Instr* r = inner_->pull();
        if (!r) break;
        b.records[b.count] = *r;
        b.locations[b.count] = inner_->location();
        ++b.count;
      }
      b.last = b.count < kBlockRecords;
    } catch (...) {
      b.error = std::current_exception();
      b.last = true;
    }
    bytes_.store(inner_->bytes_read(), std::memory_order_relaxed);
    produced_.store(n + 1, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (consumer_waits_) filled_.notify_one();
    }
    if (b.last) return;
  }
}

uint64_t PrefetchSource::location() const {
  if (!current_ || batch_pos_ == current_->records.data()) return previous_location_;
  return current_->locations[size_t(batch_pos_ - current_->records.data()) - 1];
}

const isa::Instr* PrefetchSource::next_block() {
  for (;;) {
    if (ended_) return nullptr;
    if (current_) {
      if (current_->count) previous_location_ = current_->locations[current_->count - 1];
      if (current_->last) {
        ended_ = true;
        if (current_->error) std::rethrow_exception(current_->error);
        return nullptr;
      }
      const size_t done = consumed_.fetch_add(1, std::memory_order_release) + 1;
      if (produced_.load(std::memory_order_acquire) - done <= kBlocks / 2) {
        std::lock_guard<std::mutex> lock(mu_);
        if (producer_waits_) emptied_.notify_one();
      }
    }
    const size_t want = consumed_.load(std::memory_order_relaxed);
    if (produced_.load(std::memory_order_acquire) <= want) {
      std::unique_lock<std::mutex> lock(mu_);
      consumer_waits_ = true;
      filled_.wait(lock, [&] { return produced_.load(std::memory_order_acquire) > want; });
      consumer_waits_ = false;
    }
    current_ = &blocks_[want % kBlocks];
    batch_pos_ = current_->records.data();
    batch_end_ = batch_pos_ + current_->count;
    if (batch_pos_ != batch_end_) return batch_pos_++;
  }
}

std::vector<std::pair<std::string, uint64_t>> PrefetchSource::counters() const {
  stop();
  return inner_->counters();
}

}  // namespace pkusim::traces
