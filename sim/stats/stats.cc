#include "sim/stats/stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

namespace pkusim::stats {

std::string_view unit_name(Unit u) {
  switch (u) {
    case Unit::kCount:
      return "count";
    case Unit::kInstructions:
      return "instructions";
    case Unit::kCycles:
      return "cycles";
    case Unit::kNanoseconds:
      return "ns";
    case Unit::kBytes:
      return "bytes";
    case Unit::kPages:
      return "pages";
    case Unit::kEntries:
      return "entries";
    case Unit::kRatio:
      return "ratio";
    case Unit::kIndex:
      return "index";
  }
  return "?";
}

std::string Histogram::bucket_label(unsigned b) {
  if (b == 0) return "0";
  if (b == 1) return "1";
  if (b + 1 == kBuckets) return std::to_string(uint64_t{1} << (b - 1)) + "+";
  return std::to_string(uint64_t{1} << (b - 1)) + "-" + std::to_string((uint64_t{1} << b) - 1);
}

struct Group::Stat {
  enum Kind : uint8_t {
    kCounter,
    kVector,
    kHistogram,
    kConstant,
    kGauge,
    kComputed,
    kRatio,
    kSum
  } kind;
  std::string name, description;
  Unit unit = Unit::kCount;
  Show show = Show::kText;
  const uint64_t* value = nullptr;
  uint64_t constant = 0;
  std::vector<std::string> labels;
  const Histogram* histogram = nullptr;
  std::string num, den;
  double scale = 1;
  const std::vector<std::string>* sources = nullptr;
  std::function<uint64_t()> read;
  bool has_show = false;  // a sum that sets its entries' Show
};

Group::Group(std::string name, std::string label, std::string description, bool list)
    : name_(std::move(name)),
      label_(std::move(label)),
      description_(std::move(description)),
      list_(list) {}

Group::~Group() = default;

Group& Group::group(std::string name, std::string label, std::string description) {
  children_.push_back(
      std::make_unique<Group>(std::move(name), std::move(label), std::move(description)));
  order_.push_back(~long(children_.size() - 1));
  return *children_.back();
}

Group& Group::list(std::string name, std::string label, std::string description) {
  children_.push_back(
      std::make_unique<Group>(std::move(name), std::move(label), std::move(description), true));
  order_.push_back(~long(children_.size() - 1));
  return *children_.back();
}

Group& Group::item(std::string label, std::string description) {
  if (!list_) throw std::logic_error("stats: item() of a group that is not a list: " + name_);
  return group(std::to_string(children_.size()), std::move(label), std::move(description));
}

Group* Group::find(std::string_view name) {
  for (auto& c : children_) {
    if (c->name_ == name) return c.get();
  }
  return nullptr;
}

namespace {
std::unique_ptr<Group::Stat> make_stat(Group::Stat::Kind kind, std::string name, Unit unit,
                                       std::string description, Show show) {
  auto s = std::make_unique<Group::Stat>();
  s->kind = kind;
  s->name = std::move(name);
  s->unit = unit;
  s->description = std::move(description);
  s->show = show;
  return s;
}
}  // namespace

void Group::counter(std::string name, const uint64_t* value, Unit unit, std::string description,
                    Show show) {
  auto s = make_stat(Stat::kCounter, std::move(name), unit, std::move(description), show);
  s->value = value;
  stats_.push_back(std::move(s));
  order_.push_back(long(stats_.size() - 1));
}

void Group::vector(std::string name, const uint64_t* values, std::vector<std::string> labels,
                   Unit unit, std::string description, Show show) {
  auto s = make_stat(Stat::kVector, std::move(name), unit, std::move(description), show);
  s->value = values;
  s->labels = std::move(labels);
  stats_.push_back(std::move(s));
  order_.push_back(long(stats_.size() - 1));
}

void Group::histogram(std::string name, const Histogram* h, Unit unit, std::string description) {
  auto s =
      make_stat(Stat::kHistogram, std::move(name), unit, std::move(description), Show::kDetail);
  s->histogram = h;
  stats_.push_back(std::move(s));
  order_.push_back(long(stats_.size() - 1));
}

void Group::constant(std::string name, uint64_t value, Unit unit, std::string description,
                     Show show) {
  auto s = make_stat(Stat::kConstant, std::move(name), unit, std::move(description), show);
  s->constant = value;
  stats_.push_back(std::move(s));
  order_.push_back(long(stats_.size() - 1));
}

void Group::computed(std::string name, std::function<uint64_t()> read, Unit unit,
                     std::string description, Show show) {
  auto s = make_stat(Stat::kComputed, std::move(name), unit, std::move(description), show);
  s->read = std::move(read);
  stats_.push_back(std::move(s));
  order_.push_back(long(stats_.size() - 1));
}

void Group::gauge(std::string name, std::function<uint64_t()> read, Unit unit,
                  std::string description, Show show) {
  auto s = make_stat(Stat::kGauge, std::move(name), unit, std::move(description), show);
  s->read = std::move(read);
  stats_.push_back(std::move(s));
  order_.push_back(long(stats_.size() - 1));
}

void Group::ratio(std::string name, std::string numerator, std::string denominator, double scale,
                  Unit unit, std::string description, Show show) {
  auto s = make_stat(Stat::kRatio, std::move(name), unit, std::move(description), show);
  s->num = std::move(numerator);
  s->den = std::move(denominator);
  s->scale = scale;
  stats_.push_back(std::move(s));
  order_.push_back(long(stats_.size() - 1));
}

void Group::sum_of(std::string name, const std::vector<std::string>* sources,
                   std::string description, std::optional<Show> show) {
  auto s = make_stat(Stat::kSum, std::move(name), Unit::kCount, std::move(description),
                     show.value_or(Show::kText));
  s->has_show = show.has_value();
  s->sources = sources;
  stats_.push_back(std::move(s));
  order_.push_back(long(stats_.size() - 1));
}

void Group::read(const std::string& prefix, Snapshot& out) const {
  const auto path_of = [&](const std::string& n) { return prefix.empty() ? n : prefix + "." + n; };
  for (const long o : order_) {
    if (o < 0) {
      const Group& c = *children_[size_t(~o)];
      const std::string p = path_of(c.name_);
      const unsigned depth = unsigned(std::count(p.begin(), p.end(), '.')) + 1;
      const size_t gi = out.groups_.size();
      out.groups_.push_back(
          {p, &c.label_, &c.description_, c.list_, depth, out.entries_.size(), 0});
      c.read(p, out);
      out.groups_[gi].end_entry = out.entries_.size();
      continue;
    }
    const Stat& s = *stats_[size_t(o)];
    Entry e;
    e.path = path_of(s.name);
    e.description = &s.description;
    e.unit = s.unit;
    e.show = s.show;
    switch (s.kind) {
      case Stat::kCounter:
        e.u = *s.value;
        out.entries_.push_back(std::move(e));
        break;
      case Stat::kConstant:
        e.u = s.constant;
        e.is_constant = true;
        out.entries_.push_back(std::move(e));
        break;
      case Stat::kComputed:
        e.u = s.read();
        out.entries_.push_back(std::move(e));
        break;
      case Stat::kGauge:
        e.u = s.read();
        e.is_constant = true;
        out.entries_.push_back(std::move(e));
        break;
      case Stat::kVector:
        out.vectors_.emplace(
            e.path, std::make_pair(out.entries_.size(), out.entries_.size() + s.labels.size()));
        for (size_t i = 0; i < s.labels.size(); ++i) {
          Entry v = e;
          v.path = e.path + "." + s.labels[i];
          v.element = s.labels[i];
          v.u = s.value[i];
          out.entries_.push_back(std::move(v));
        }
        break;
      case Stat::kHistogram: {
        Entry c = e;
        c.path = e.path + ".count";
        c.u = s.histogram->count();
        c.unit = Unit::kCount;
        out.entries_.push_back(std::move(c));
        Entry sum = e;
        sum.path = e.path + ".sum";
        sum.u = s.histogram->sum();
        out.entries_.push_back(std::move(sum));
        const auto& b = s.histogram->buckets();
        for (unsigned k = 0; k < Histogram::kBuckets; ++k) {
          Entry v = e;
          v.element = Histogram::bucket_label(k);
          v.path = e.path + ".buckets." + v.element;
          v.u = b[k];
          v.unit = Unit::kCount;
          out.entries_.push_back(std::move(v));
        }
        break;
      }
      case Stat::kRatio:
        e.is_ratio = true;
        e.is_double = true;
        e.num = path_of(s.num);
        e.den = s.den.empty() ? std::string() : path_of(s.den);
        e.scale = s.scale;
        out.entries_.push_back(std::move(e));
        break;
      case Stat::kSum:
        out.sums_.push_back(
            {out.entries_.size(), e.path, &s.description, s.sources, s.show, s.has_show});
        break;
    }
  }
}

Snapshot Group::snapshot() const {
  Snapshot s;
  s.groups_.push_back({"", &label_, &description_, list_, 0, 0, 0});
  read("", s);
  s.groups_[0].end_entry = s.entries_.size();
  s.add_sums();
  s.recompute_ratios();
  return s;
}

void Snapshot::add_sums() {
  if (sums_.empty()) return;
  std::unordered_map<std::string_view, const GroupInfo*> group_of;
  for (const GroupInfo& g : groups_) group_of.emplace(g.path, &g);
  std::unordered_map<std::string_view, size_t> entry_of;
  for (size_t i = 0; i < entries_.size(); ++i) entry_of.emplace(entries_[i].path, i);
  // Every sum is computed from the entries as read, then all are inserted
  // back to front so that earlier insert positions stay valid.
  std::vector<std::vector<Entry>> sums(sums_.size());
  for (size_t n = 0; n < sums_.size(); ++n) {
    const PendingSum& ps = sums_[n];
    std::vector<Entry>& sum = sums[n];
    std::unordered_map<std::string, size_t> index;
    const auto add = [&](const Entry& e, const std::string& path, size_t cut) {
      if (e.is_constant) return;
      const auto [pos, fresh] = index.emplace(path, sum.size());
      if (!fresh) {
        if (!e.is_ratio) sum[pos->second].u += e.u;
        return;
      }
      Entry s = e;
      s.path = path;
      if (ps.has_show) s.show = ps.show;
      if (s.is_ratio) {
        s.num = ps.path + e.num.substr(cut);
        if (!e.den.empty()) s.den = ps.path + e.den.substr(cut);
      }
      sum.push_back(std::move(s));
    };
    for (const std::string& src : *ps.sources) {
      if (const auto g = group_of.find(src); g != group_of.end()) {
        for (size_t i = g->second->first_entry; i < g->second->end_entry; ++i) {
          const Entry& e = entries_[i];
          add(e, ps.path + e.path.substr(src.size()), src.size());
        }
      } else if (const auto v = vectors_.find(src); v != vectors_.end()) {
        for (size_t i = v->second.first; i < v->second.second; ++i) {
          Entry e = entries_[i];
          if (!ps.description->empty()) e.description = ps.description;
          add(e, ps.path + e.path.substr(src.size()), src.size());
        }
      } else if (const auto e = entry_of.find(src); e != entry_of.end()) {
        Entry copy = entries_[e->second];
        if (!ps.description->empty()) copy.description = ps.description;
        add(copy, ps.path, src.size());
      }
    }
  }
  for (size_t n = sums_.size(); n-- > 0;) {
    entries_.insert(entries_.begin() + std::ptrdiff_t(sums_[n].at), sums[n].begin(), sums[n].end());
  }
  sums_.clear();
  vectors_.clear();
}

void Snapshot::recompute_ratios() {
  std::unordered_map<std::string_view, const Entry*> by_path;
  for (const Entry& e : entries_) by_path.emplace(e.path, &e);
  const auto value = [&](const std::string& p) -> double {
    const auto it = by_path.find(p);
    if (it == by_path.end()) return 0;
    return it->second->is_double ? it->second->d : double(it->second->u);
  };
  for (Entry& e : entries_) {
    if (!e.is_ratio) continue;
    const double den = e.den.empty() ? 1.0 : value(e.den);
    const double r = den == 0 ? 0.0 : e.scale * value(e.num) / den;
    e.d = std::round(r * 10000) / 10000;
  }
}

const Entry* Snapshot::find(std::string_view path) const {
  for (const Entry& e : entries_) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

uint64_t Snapshot::get(std::string_view path) const {
  const Entry* e = find(path);
  return e ? e->u : 0;
}

Snapshot Snapshot::minus(const Snapshot& start) const {
  std::unordered_map<std::string_view, uint64_t> before;
  for (const Entry& e : start.entries_) {
    if (!e.is_ratio && !e.is_constant) before.emplace(e.path, e.u);
  }
  Snapshot out = *this;
  for (Entry& e : out.entries_) {
    if (e.is_ratio || e.is_constant) continue;
    const auto it = before.find(e.path);
    if (it != before.end()) e.u = e.u >= it->second ? e.u - it->second : 0;
  }
  out.recompute_ratios();
  return out;
}

}  // namespace pkusim::stats
