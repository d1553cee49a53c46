#include "traces/gen/generator.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "traces/number.h"

namespace pkusim::traces {

namespace {

std::string expected(const GenParam& p) {
  switch (p.type) {
    case GenParamType::kInt:
      return fmt::format("an integer, {} to {}", p.min, p.max);
    case GenParamType::kBytes:
      return fmt::format("a size in bytes (K, M, G, T suffixes allowed), {} to {}", p.min, p.max);
    case GenParamType::kFloat:
      return fmt::format("a number, {} to {}", p.min, p.max);
    case GenParamType::kChoice: {
      std::string c;
      for (const auto& x : p.choices) c += (c.empty() ? "" : ", ") + x;
      return "one of " + c;
    }
  }
  return "?";
}

}  // namespace

Generator::Generator(std::string name, std::string summary, std::vector<GenParam> params,
                     Factory make)
    : name_(std::move(name)),
      summary_(std::move(summary)),
      params_(std::move(params)),
      make_(make) {}

GenArgs Generator::args(const std::vector<std::string>& assignments) const {
  std::map<std::string, std::string, std::less<>> given;
  for (const std::string& a : assignments) {
    const size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw GenError(fmt::format("{}: '{}': expected KEY=VALUE", name_, a));
    }
    const std::string key = a.substr(0, eq);
    bool known = false;
    for (const GenParam& p : params_) known = known || p.name == key;
    if (!known) {
      std::string names;
      for (const GenParam& p : params_) names += (names.empty() ? "" : ", ") + p.name;
      throw GenError(fmt::format("{}: unknown parameter '{}' (parameters: {})", name_, key,
                                 names.empty() ? "none" : names));
    }
    if (!given.emplace(key, a.substr(eq + 1)).second) {
      throw GenError(fmt::format("{}: parameter '{}' given twice", name_, key));
    }
  }
  GenArgs out;
  out.canonical_ = name_;
  char sep = ':';
  for (const GenParam& p : params_) {
    const auto it = given.find(p.name);
    const std::string text = it == given.end() ? p.default_value : it->second;
    const auto bad = [&](const std::string& why) {
      throw GenError(
          fmt::format("{}: {}={}: {}: expected {}", name_, p.name, text, why, expected(p)));
    };
    double number = 0;
    switch (p.type) {
      case GenParamType::kInt:
      case GenParamType::kBytes: {
        const ParsedNumber n = parse_number(text, p.type == GenParamType::kBytes);
        if (n.error == NumberError::kMalformed) bad("not a number");
        if (n.error == NumberError::kTooBig) bad("does not fit in 64 bits");
        number = double(n.value);
        if (number < p.min || number > p.max) bad("out of range");
        out.number_[p.name] = number;
        break;
      }
      case GenParamType::kFloat: {
        char* end = nullptr;
        number = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(number)) bad("not a number");
        if (number < p.min || number > p.max) bad("out of range");
        out.number_[p.name] = number;
        break;
      }
      case GenParamType::kChoice: {
        bool ok = false;
        for (const auto& c : p.choices) ok = ok || c == text;
        if (!ok) bad("unknown value");
        break;
      }
    }
    out.text_[p.name] = text;
    out.canonical_ += sep + p.name + "=" + text;
    sep = ',';
  }
  return out;
}

uint64_t GenArgs::uint(std::string_view name) const {
  const auto it = number_.find(name);
  if (it == number_.end()) throw std::logic_error(fmt::format("generator parameter {}", name));
  return uint64_t(it->second);
}

double GenArgs::real(std::string_view name) const {
  const auto it = number_.find(name);
  if (it == number_.end()) throw std::logic_error(fmt::format("generator parameter {}", name));
  return it->second;
}

const std::string& GenArgs::choice(std::string_view name) const {
  const auto it = text_.find(name);
  if (it == text_.end()) throw std::logic_error(fmt::format("generator parameter {}", name));
  return it->second;
}

const Generator& find_generator(std::string_view name) {
  for (const Generator* g : generators()) {
    if (g->name() == name) return *g;
  }
  std::string names;
  for (const Generator* g : generators()) names += (names.empty() ? "" : ", ") + g->name();
  throw GenError(fmt::format("unknown generator '{}' (generators: {})", name, names));
}

std::pair<const Generator*, GenArgs> parse_invocation(std::string_view invocation) {
  const size_t colon = invocation.find(':');
  const Generator& g = find_generator(invocation.substr(0, colon));
  std::vector<std::string> assignments;
  if (colon != std::string_view::npos) {
    std::string_view rest = invocation.substr(colon + 1);
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      assignments.emplace_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return {&g, g.args(assignments)};
}

}  // namespace pkusim::traces
