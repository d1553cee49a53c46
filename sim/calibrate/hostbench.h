#pragma once
// The measurements `pkusim calibrate` fits to: the JSON report of
// pkusim-hostbench (schema pkusim.hostbench, version 1; the format is
// documented in tools/hostbench/README.md). Only what the fit uses is read,
// but all of it is checked: an error names the file, the JSON path and what
// was expected (sim::ConfigError, exit 3), as a config error does.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pkusim::calibrate {

/// A cache as the host's sysfs describes it.
struct HostCache {
  int level = 0;
  std::string type;  // "Data", "Instruction", "Unified"
  long bytes = 0;
  int ways = 0;
};

/// The host the measurements were taken on.
struct Host {
  std::string cpu;     // brand string
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...
  int family = 0, model = 0;
  std::string kernel;  // uname release
  std::string date;    // UTC, start of the run
  int cpus = 0;
  bool pku = false;
  std::string meltdown;  // the sysfs vulnerability line ("Not affected", "Mitigation: PTI")
  std::string hypervisor_vendor;  // "" on bare metal
  double tsc_ghz = 0;
  std::optional<double> core_ghz;  // from the core_clock row
  std::vector<HostCache> caches;   // empty when not reported
};

/// One measured point: a bench, its parameters, and the median per op.
struct Row {
  std::string bench;
  std::map<std::string, std::string> params;  // integers as decimal text
  std::string unit;                           // "ns" (or "GHz" for core_clock)
  double median = 0, p10 = 0, p90 = 0;
  long samples = 0;
  std::map<std::string, double> notes;  // observations: tlb_ipis_per_op, dropped, ...
  /// The parameter `key`, or "" when the row has none.
  std::string param(const std::string& key) const;
  /// The note `key`, or `otherwise`.
  double note(const std::string& key, double otherwise) const;
};

/// A point the host could not measure, and why.
struct Missing {
  std::string bench;
  std::map<std::string, std::string> params;
  std::string why;
};

struct Measurements {
  std::string origin;  // the file it was read from
  Host host;
  std::vector<Row> rows;
  std::vector<Missing> missing;

  /// The rows of `bench` whose params include every pair of `match`.
  std::vector<const Row*> select(const std::string& bench,
                                 const std::map<std::string, std::string>& match = {}) const;
  /// The one row that matches, or null.
  const Row* find(const std::string& bench, const std::map<std::string, std::string>& match) const;
};

/// Parses a hostbench report; `origin` names it in errors.
Measurements parse_hostbench(const std::string& text, const std::string& origin);
/// Reads and parses the file at `path`.
Measurements read_hostbench(const std::string& path);

}  // namespace pkusim::calibrate
