#pragma once
// Writers of a statistics snapshot: nested JSON (list groups as arrays), a
// flat CSV row (one column per dotted path, in tree order, the header from
// the same snapshot), the text view for people (one line per group that
// has statistics shown in text, nested groups indented), and a description
// of every statistic (path, unit, meaning) for docs/report.md.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/stats/stats.h"

namespace pkusim::stats {

nlohmann::ordered_json to_json(const Snapshot& s);

/// The CSV header and row of `s`, each column prefixed with `prefix`
/// (e.g. "roi."); values are integers, or decimals for ratios.
std::vector<std::string> csv_columns(const Snapshot& s, const std::string& prefix = "");
std::vector<std::string> csv_values(const Snapshot& s);
/// One CSV line of `cells` (quoted where needed), without the newline.
std::string csv_line(const std::vector<std::string>& cells);

/// The text view; `title` heads it when not empty.
std::string to_text(const Snapshot& s);

/// Every statistic of `s` once, list indices replaced by N: path, unit,
/// description. As a Markdown table when `markdown`.
std::string describe(const Snapshot& s, bool markdown);

/// An integer with thousands separators (1,234,567).
std::string with_commas(uint64_t v);

}  // namespace pkusim::stats
