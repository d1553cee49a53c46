#include "sim/stats/writers.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace pkusim::stats {

using json = nlohmann::ordered_json;

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string format_double(double d) { return fmt::format("{}", d); }

std::string value_text(const Entry& e) {
  return e.is_double ? format_double(e.d) : std::to_string(e.u);
}

}  // namespace

std::string with_commas(uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

json to_json(const Snapshot& s) {
  std::unordered_set<std::string_view> lists;
  for (const GroupInfo& g : s.groups()) {
    if (g.list) lists.insert(g.path);
  }
  json root = json::object();
  for (const Entry& e : s.entries()) {
    const auto parts = split(e.path);
    json* node = &root;
    std::string prefix;
    for (size_t k = 0; k + 1 < parts.size(); ++k) {
      const bool parent_is_list = lists.count(prefix) > 0;
      prefix = prefix.empty() ? std::string(parts[k]) : prefix + "." + std::string(parts[k]);
      const bool is_list = lists.count(prefix) > 0;
      json* child;
      if (parent_is_list) {
        const size_t idx = std::stoul(std::string(parts[k]));
        while (node->size() <= idx) node->push_back(json::object());
        child = &(*node)[idx];
      } else {
        child = &(*node)[std::string(parts[k])];
      }
      if (child->is_null()) *child = is_list ? json::array() : json::object();
      node = child;
    }
    json& leaf = (*node)[std::string(parts.back())];
    if (e.is_double) {
      leaf = e.d;
    } else {
      leaf = e.u;
    }
  }
  return root;
}

std::vector<std::string> csv_columns(const Snapshot& s, const std::string& prefix) {
  std::vector<std::string> c;
  c.reserve(s.entries().size());
  for (const Entry& e : s.entries()) c.push_back(prefix + e.path);
  return c;
}

std::vector<std::string> csv_values(const Snapshot& s) {
  std::vector<std::string> v;
  v.reserve(s.entries().size());
  for (const Entry& e : s.entries()) v.push_back(value_text(e));
  return v;
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out.push_back(',');
    const std::string& c = cells[i];
    if (c.find_first_of(",\"\n\r") == std::string::npos) {
      out += c;
      continue;
    }
    out.push_back('"');
    for (char ch : c) {
      if (ch == '"') out.push_back('"');
      out.push_back(ch);
    }
    out.push_back('"');
  }
  return out;
}

namespace {

/// The name a text line shows for an entry: the last path component (the
/// vector's name for its elements), underscores as spaces.
std::string display(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

std::string text_value(const Entry& e) {
  if (!e.is_double) return with_commas(e.u);
  if (e.d >= 1000) {
    const uint64_t whole = uint64_t(e.d);
    return fmt::format("{}.{}", with_commas(whole), uint64_t((e.d - double(whole)) * 10) % 10);
  }
  return format_double(e.d);
}

}  // namespace

std::string to_text(const Snapshot& s) {
  // Each group that has statistics shown in text gets a line: its label,
  // then "name value" items; a vector is one item "name: a=1 b=2" (zero
  // elements left out) that starts a line of its own after other items.
  // Lines wrap between items and between vector elements; a line whose
  // values are all zero is left out.
  struct Item {
    std::vector<std::string> atoms;  // joined by one space; a line breaks only between atoms
    bool own_line = false;
  };
  struct Line {
    std::vector<Item> items;
    std::string pending_vector;  // path of the vector being collected
    bool nonzero = false;
  };
  std::unordered_map<std::string, Line> lines;
  const auto parent = [](std::string_view p) {
    const size_t dot = p.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : p.substr(0, dot);
  };
  const auto tail = [](std::string_view p, std::string_view g) {
    return p.substr(g.empty() ? 0 : g.size() + 1);
  };
  for (const Entry& e : s.entries()) {
    if (e.show != Show::kText) continue;
    if (e.element.empty()) {
      const std::string_view g = parent(e.path);
      Line& line = lines[std::string(g)];
      line.items.push_back({{display(tail(e.path, g)) + " " + text_value(e)}, false});
      line.nonzero = line.nonzero || (e.is_double ? e.d != 0 : e.u != 0 && !e.is_constant);
      continue;
    }
    const std::string_view vec = parent(e.path);
    const std::string_view g = parent(vec);
    Line& line = lines[std::string(g)];
    if (line.pending_vector != vec) {
      line.pending_vector = std::string(vec);
      line.items.push_back({{display(tail(vec, g)) + ":"}, !line.items.empty()});
    }
    if (e.u != 0 || (e.is_double && e.d != 0)) {
      line.items.back().atoms.push_back(e.element + "=" + text_value(e));
      line.nonzero = true;
    }
  }
  // Drop vectors with no nonzero element.
  for (auto& [g, line] : lines) {
    line.items.erase(std::remove_if(line.items.begin(), line.items.end(),
                                    [](const Item& i) {
                                      return i.atoms.size() == 1 && i.atoms[0].back() == ':';
                                    }),
                     line.items.end());
  }
  // A group is indented by two spaces per ancestor that printed a line.
  std::unordered_map<std::string_view, unsigned> indent_of;
  std::string out;
  constexpr size_t kLabelWidth = 24, kWidth = 100;
  const std::string cont(kLabelWidth, ' ');
  for (const GroupInfo& g : s.groups()) {
    unsigned level = 0;
    for (std::string_view a = parent(g.path);; a = parent(a)) {
      const auto known = indent_of.find(a);
      if (known != indent_of.end()) {
        level = known->second;
        break;
      }
      if (a.empty()) break;
    }
    const auto it = lines.find(g.path);
    const bool printed =
        it != lines.end() && !it->second.items.empty() && it->second.nonzero && !g.path.empty();
    indent_of[g.path] = level + (printed ? 1 : 0);
    if (!printed) continue;
    const std::string label =
        g.label && !g.label->empty() ? *g.label : display(split(g.path).back());
    std::string text = std::string(2 * level, ' ') + label;
    text += std::string(text.size() + 1 < kLabelWidth ? kLabelWidth - text.size() : 1, ' ');
    size_t width = text.size();
    bool line_empty = true;
    for (const Item& item : it->second.items) {
      for (size_t k = 0; k < item.atoms.size(); ++k) {
        const std::string& atom = item.atoms[k];
        const std::string sep = line_empty ? "" : k == 0 ? "  " : " ";
        const bool must_break = k == 0 && item.own_line && !line_empty;
        if (must_break || (!line_empty && width + sep.size() + atom.size() > kWidth)) {
          text += "\n" + cont + (k == 0 ? "" : "  ");
          width = cont.size() + (k == 0 ? 0 : 2);
          line_empty = true;
        }
        const std::string s2 = line_empty ? "" : sep;
        text += s2 + atom;
        width += s2.size() + atom.size();
        line_empty = false;
      }
    }
    out += text + "\n";
  }
  return out;
}

std::string describe(const Snapshot& s, bool markdown) {
  // List items are replaced by N; the first item of each list stands for all.
  std::unordered_set<std::string_view> lists;
  for (const GroupInfo& g : s.groups()) {
    if (g.list) lists.insert(g.path);
  }
  const auto generic = [&](std::string_view path, std::string_view element) {
    auto parts = split(path);
    std::string out, prefix;
    for (size_t k = 0; k < parts.size(); ++k) {
      const bool in_list = lists.count(prefix) > 0;
      prefix = prefix.empty() ? std::string(parts[k]) : prefix + "." + std::string(parts[k]);
      if (!element.empty() && k + 1 == parts.size()) break;
      if (!out.empty()) out += '.';
      out += in_list ? std::string_view("N") : parts[k];
    }
    return out;
  };
  std::string out;
  if (markdown) out += "| statistic | unit | meaning |\n| --- | --- | --- |\n";
  std::set<std::string> seen;
  std::unordered_map<std::string, std::vector<std::string>> elements;
  std::vector<std::pair<std::string, const Entry*>> rows;
  for (const Entry& e : s.entries()) {
    const std::string key = generic(e.path, e.element);
    if (!e.element.empty()) {
      auto& el = elements[key];
      if (std::find(el.begin(), el.end(), e.element) == el.end()) el.push_back(e.element);
    }
    if (seen.insert(key).second) rows.emplace_back(key, &e);
  }
  for (const auto& [key, e] : rows) {
    std::string name = key;
    const auto el = elements.find(key);
    if (el != elements.end()) {
      std::string labels;
      const bool histogram = key.size() > 8 && key.ends_with(".buckets");
      if (histogram) {
        labels = el->second.front() + ", " + el->second[1] + ", " + el->second[2] + ", ...";
      } else {
        for (const auto& l : el->second) labels += (labels.empty() ? "" : ", ") + l;
      }
      name += ".{" + labels + "}";
    }
    if (markdown) {
      out += fmt::format("| `{}` | {} | {} |\n", name, unit_name(e->unit), *e->description);
    } else {
      out += fmt::format("{} [{}]\n    {}\n", name, unit_name(e->unit), *e->description);
    }
  }
  return out;
}

}  // namespace pkusim::stats
