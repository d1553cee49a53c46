#pragma once
// The statistics tree. Components keep their counters as plain integers in
// their own structs (the hot path increments an integer, nothing more) and
// register them once, when they are built, in a tree of named groups: each
// statistic has a name, a unit and a one-line description (as gem5 asks of
// every statistic), and zsim's way of reading counters in place at dump
// time. Kinds: a counter, a vector of counters labelled by an enum's names,
// a log2 histogram, a constant known at registration (a core's thread id),
// a ratio of two sibling values (IPC), and a sum of the same statistics in
// other groups (a process's TLB counters are the sum of its cores').
//
// A Snapshot reads the tree into values: a flat list of numeric entries with
// dotted paths ("cores.0.tlb.data.misses") in tree order, plus the groups'
// metadata. Snapshots subtract (the statistics of a region of interest are
// its end minus its start; ratios are recomputed after), and the writers
// (JSON, CSV, text; stats_writers.h) read snapshots, never the components.
#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pkusim::stats {

enum class Unit : uint8_t {
  kCount,         // events
  kInstructions,  // retired instructions
  kCycles,        // core clock cycles
  kNanoseconds,   // simulated time
  kBytes,
  kPages,
  kEntries,  // structure entries (TLB, VMA)
  kRatio,    // dimensionless
  kIndex,    // an identifier (core number, thread id)
};
std::string_view unit_name(Unit u);

/// A histogram of non-negative integers in power-of-two buckets: bucket 0
/// holds 0, bucket k >= 1 holds [2^(k-1), 2^k).
class Histogram {
 public:
  static constexpr unsigned kBuckets = 32;
  void add(uint64_t v) {
    const unsigned b = v == 0 ? 0u : unsigned(std::bit_width(v));
    ++buckets_[b < kBuckets ? b : kBuckets - 1];
    ++count_;
    sum_ += v;
  }
  uint64_t count() const { return count_; }
  uint64_t sum() const { return sum_; }
  const std::array<uint64_t, kBuckets>& buckets() const { return buckets_; }
  /// "0", "1", "2-3", "4-7", ...: the bucket's range.
  static std::string bucket_label(unsigned b);

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
};

/// How a statistic shows in the text view (JSON and CSV show everything).
enum class Show : uint8_t {
  kText,    // in the text view
  kDetail,  // JSON and CSV only
};

class Snapshot;

/// A node of the tree: statistics and child groups, in registration order.
class Group {
 public:
  Group(std::string name, std::string label, std::string description, bool list = false);
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  ~Group();

  /// A child group (its label: how the text view names it; "" hides the name).
  Group& group(std::string name, std::string label, std::string description);
  /// A child whose children are numbered items (JSON writes an array).
  Group& list(std::string name, std::string label, std::string description);
  /// The next item of a list group (named by its index); `label` for the text view.
  Group& item(std::string label, std::string description);
  /// The child group `name`, or null.
  Group* find(std::string_view name);

  void counter(std::string name, const uint64_t* value, Unit unit, std::string description,
               Show show = Show::kText);
  /// values[i] for each label i.
  void vector(std::string name, const uint64_t* values, std::vector<std::string> labels, Unit unit,
              std::string description, Show show = Show::kText);
  void histogram(std::string name, const Histogram* h, Unit unit, std::string description);
  void constant(std::string name, uint64_t value, Unit unit, std::string description,
                Show show = Show::kText);
  /// A counter read through `read` when a snapshot is taken (a sum or a
  /// maximum of other counters); subtracted like a counter.
  void computed(std::string name, std::function<uint64_t()> read, Unit unit,
                std::string description, Show show = Show::kText);
  /// A level read when a snapshot is taken (a count of VMAs): not a counter,
  /// so a region of interest reports its value at the region's end.
  void gauge(std::string name, std::function<uint64_t()> read, Unit unit, std::string description,
             Show show = Show::kText);
  /// scale * numerator / denominator of two sibling statistics (0 when the
  /// denominator is 0; "" as the denominator: 1), rounded to 4 decimals.
  void ratio(std::string name, std::string numerator, std::string denominator, double scale,
             Unit unit, std::string description, Show show = Show::kText);
  /// For every entry under each path in `*sources` (paths from the root,
  /// e.g. "cores.3.tlb", or a single statistic's path), the sum, named as
  /// under this statistic. The sources are read when a snapshot is taken
  /// (they may grow); constants and gauges are left out.
  /// `show`, when given, is how every summed entry shows (else as its source).
  void sum_of(std::string name, const std::vector<std::string>* sources, std::string description,
              std::optional<Show> show = std::nullopt);

  const std::string& name() const { return name_; }

  /// Reads the whole tree (call on the root).
  Snapshot snapshot() const;

  struct Stat;

 private:
  friend class Snapshot;
  void read(const std::string& prefix, Snapshot& out) const;

  std::string name_, label_, description_;
  bool list_;
  std::vector<std::unique_ptr<Stat>> stats_;
  std::vector<std::unique_ptr<Group>> children_;
  // Registration order of stats and children, interleaved: index into one or
  // the other (children are encoded as ~index).
  std::vector<long> order_;
};

/// One numeric value of a snapshot.
struct Entry {
  std::string path;  // dotted, from the root
  const std::string* description = nullptr;
  Unit unit = Unit::kCount;
  Show show = Show::kText;
  bool is_ratio = false;     // recomputed, not subtracted
  bool is_constant = false;  // a constant or a gauge: not subtracted
  bool is_double = false;
  uint64_t u = 0;
  double d = 0;
  // For ratios: the operands' paths and the scale.
  std::string num, den;
  double scale = 1;
  // The label of a vector element or histogram bucket ("" otherwise).
  std::string element;
};

/// A group's metadata in a snapshot.
struct GroupInfo {
  std::string path;  // "" for the root
  const std::string* label = nullptr;
  const std::string* description = nullptr;
  bool list = false;
  unsigned depth = 0;
  size_t first_entry = 0, end_entry = 0;  // its entries (and its children's)
};

class Snapshot {
 public:
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<GroupInfo>& groups() const { return groups_; }
  /// The entry at `path`, or null.
  const Entry* find(std::string_view path) const;
  /// The value at `path` as an integer (0 if absent).
  uint64_t get(std::string_view path) const;

  /// This snapshot minus `start` (entries absent from `start` count from 0);
  /// constants are kept, ratios recomputed.
  Snapshot minus(const Snapshot& start) const;

 private:
  friend class Group;
  void recompute_ratios();
  void add_sums();

  std::vector<Entry> entries_;
  std::vector<GroupInfo> groups_;
  struct PendingSum {
    size_t at;  // insert position in entries_
    std::string path;
    const std::string* description;
    const std::vector<std::string>* sources;
    Show show;
    bool has_show;
  };
  std::vector<PendingSum> sums_;
  std::unordered_map<std::string, std::pair<size_t, size_t>> vectors_;  // while reading
};

}  // namespace pkusim::stats
