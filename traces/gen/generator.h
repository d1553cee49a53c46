#pragma once
// Workload generators: record sources with declared parameters. Each
// generator is described once, in its own file under traces/gen/: its name,
// a summary, its parameters (name, type, default, range or choices, meaning)
// and a factory. Parameters are validated against their declarations, so a
// bad value is an error that names the parameter and what was expected.
// Adding a generator is one new file plus its line in registry.cc. A
// generator is named on the command line as NAME or NAME:KEY=VALUE,KEY=VALUE
// (pkusim gen, and `gen:NAME...` wherever a trace is expected).
// Generators are deterministic: the same parameters give the same records.
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "traces/record_source.h"

namespace pkusim::traces {

enum class GenParamType : uint8_t {
  kInt,     // an integer (decimal or 0x hex)
  kBytes,   // a size: an integer with an optional K, M, G or T suffix (binary)
  kFloat,   // a number
  kChoice,  // one of `choices`
};

struct GenParam {
  std::string name;
  GenParamType type = GenParamType::kInt;
  std::string default_value;  // as it would be written
  double min = 0, max = 0;    // range of kInt, kBytes, kFloat (inclusive)
  std::vector<std::string> choices;
  std::string description;
};

/// A bad generator name or parameter: what() names it and what was expected.
class GenError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The validated parameters of one invocation.
class GenArgs {
 public:
  uint64_t uint(std::string_view name) const;
  double real(std::string_view name) const;
  const std::string& choice(std::string_view name) const;
  /// "name:k=v,k=v": every parameter, defaults included, in declaration order.
  const std::string& canonical() const { return canonical_; }

 private:
  friend class Generator;
  std::map<std::string, std::string, std::less<>> text_;
  std::map<std::string, double, std::less<>> number_;
  std::string canonical_;
};

class Generator {
 public:
  using Factory = std::unique_ptr<RecordSource> (*)(const GenArgs&);
  Generator(std::string name, std::string summary, std::vector<GenParam> params, Factory make);

  const std::string& name() const { return name_; }
  const std::string& summary() const { return summary_; }
  const std::vector<GenParam>& params() const { return params_; }
  /// Validates `assignments` ("key=value") over the defaults. Throws GenError.
  GenArgs args(const std::vector<std::string>& assignments) const;
  std::unique_ptr<RecordSource> make(const GenArgs& a) const { return make_(a); }

 private:
  std::string name_, summary_;
  std::vector<GenParam> params_;
  Factory make_;
};

/// Every generator, by name.
const std::vector<const Generator*>& generators();
/// The generator `name`; throws GenError listing the known ones.
const Generator& find_generator(std::string_view name);
/// "NAME" or "NAME:k=v,k=v" into the generator and its validated arguments.
std::pair<const Generator*, GenArgs> parse_invocation(std::string_view invocation);

}  // namespace pkusim::traces
