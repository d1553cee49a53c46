#pragma once
// One declaration per configuration parameter: its JSON path, type, default,
// unit, range, description, the source of the default, and the field of the
// component's parameter struct that it fills. Each component declares its
// parameters in a ParamTable next to its code (core_params.cc,
// memory_params.cc, ...); the concatenation of the tables (param_specs())
// validates configs, prints `pkusim config describe`, and fills the
// effective config that every report embeds. A component's struct has no
// defaults of its own: it is always filled from a validated Config by its
// table's bind(), so the defaults exist once, in the table.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/config/config.h"

namespace pkusim::sim {

enum class ParamType : uint8_t { kInt, kFloat, kBool, kChoice };

struct ParamSpec {
  std::string path;  // "core.rob_entries"
  ParamType type = ParamType::kInt;
  nlohmann::json default_value;
  std::string unit;  // "cycles", "entries", "bytes", "" ...
  double min = 0;    // numeric range, inclusive
  double max = 0;
  std::vector<std::string> choices;  // kChoice
  std::string description;
  std::string source;  // where the default comes from
};

/// Every parameter pkusim knows, in a stable order.
const std::vector<ParamSpec>& param_specs();
/// The spec for `path`, or null.
const ParamSpec* find_param(std::string_view path);

/// The parameters of one component, each bound to a field of `T`. A field is
/// named by a pointer to member or by an accessor `[](T& t) -> F& { ... }`.
template <class T>
class ParamTable {
 public:
  using Apply = std::function<void(T&, const Config&)>;

  /// An integer parameter; `field` is any integral member (or accessor).
  template <class Field>
  ParamTable& integer(std::string path, Field field, int64_t def, std::string unit, double lo,
                      double hi, std::string desc, std::string source) {
    ParamSpec s{path, ParamType::kInt, def, std::move(unit), lo, hi, {}, std::move(desc),
                std::move(source)};
    return add(std::move(s), [path, field](T& t, const Config& c) {
      auto& f = ref(t, field);
      f = static_cast<std::remove_reference_t<decltype(f)>>(c.get_int(path));
    });
  }
  template <class Field>
  ParamTable& real(std::string path, Field field, double def, std::string unit, double lo,
                   double hi, std::string desc, std::string source) {
    ParamSpec s{path, ParamType::kFloat, def, std::move(unit), lo, hi, {}, std::move(desc),
                std::move(source)};
    return add(std::move(s),
               [path, field](T& t, const Config& c) { ref(t, field) = c.get_float(path); });
  }
  template <class Field>
  ParamTable& flag(std::string path, Field field, bool def, std::string desc, std::string source) {
    ParamSpec s{path, ParamType::kBool, def, "", 0, 0, {}, std::move(desc), std::move(source)};
    return add(std::move(s),
               [path, field](T& t, const Config& c) { ref(t, field) = c.get_bool(path); });
  }
  /// A choice among named values; `values` maps each name to the field's value
  /// (an enum, a string, ...), and lists the choices in that order.
  template <class Field, class V>
  ParamTable& choice(std::string path, Field field, std::string def,
                     std::vector<std::pair<std::string, V>> values, std::string desc,
                     std::string source) {
    std::vector<std::string> names;
    for (const auto& v : values) names.push_back(v.first);
    ParamSpec s{path, ParamType::kChoice, def, "", 0, 0, std::move(names), std::move(desc),
                std::move(source)};
    return add(std::move(s), [path, field, values](T& t, const Config& c) {
      const std::string chosen = c.get_string(path);
      for (const auto& [name, v] : values) {
        if (name == chosen) ref(t, field) = v;
      }
    });
  }
  /// A parameter whose value reaches `T` through `apply` (a conversion, or
  /// several fields).
  ParamTable& custom(ParamSpec spec, Apply apply) { return add(std::move(spec), std::move(apply)); }
  /// Work done once every parameter is read (fields derived from several).
  ParamTable& then(std::function<void(T&)> f) {
    finish_.push_back(std::move(f));
    return *this;
  }

  /// `T` filled from a validated config.
  T bind(const Config& c) const {
    T t{};
    for (const Apply& a : apply_) a(t, c);
    for (const auto& f : finish_) f(t);
    return t;
  }
  const std::vector<ParamSpec>& specs() const { return specs_; }

 private:
  template <class Field>
  static auto& ref(T& t, Field field) {
    if constexpr (std::is_member_object_pointer_v<Field>) {
      return t.*field;
    } else {
      return field(t);
    }
  }
  ParamTable& add(ParamSpec s, Apply a) {
    specs_.push_back(std::move(s));
    apply_.push_back(std::move(a));
    return *this;
  }

  std::vector<ParamSpec> specs_;
  std::vector<Apply> apply_;
  std::vector<std::function<void(T&)>> finish_;
};

}  // namespace pkusim::sim
