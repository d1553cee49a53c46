#pragma once
// What `pkusim study` makes of its runs, apart from running them: the rows
// of results.csv (the comparison with each run's baseline), the pivot
// tables it prints and puts on its page, the rows each figure draws, the
// sentences read from them, and how a number is written for people.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/study/runner.h"
#include "sim/study/spec.h"

namespace pkusim::app::study_tables {

/// One run's cells, by results.csv column.
struct Row {
  std::map<std::string, std::string> cell;
};

/// A table: `keys` leading columns name the row, then the values.
struct Pivot {
  size_t keys = 0;
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
};

std::string commas(uint64_t v);
/// A number as results.csv writes it (shortest exact form; "" if not finite).
std::string number(double v);
/// A results cell as people read it (percent, x, bytes, rates, commas).
std::string readable(const std::string& column, const std::string& cell);
bool numeric(const std::string& s);

std::vector<std::string> columns_of(const study::Study& s, const std::vector<study::RunResult>& r);
std::vector<Row> rows_of(const study::Study& s, const std::vector<study::RunResult>& res);
std::string results_csv(const std::vector<std::string>& cols, const std::vector<Row>& rows);

std::string value_name(const std::string& v);
std::string values_name(const std::vector<std::string>& values);
/// Experiment `e`'s table: its row columns, then each value per variant.
Pivot pivot(const study::Study& s, size_t e, const std::vector<Row>& rows);
std::string text_table(const Pivot& p);

/// Whether figure `f` of `experiment` draws row `r` (before log-axis checks).
bool kept(const Row& r, const study::StudyFigure& f, const std::string& experiment);
/// One sentence per series of a line figure: its first and last point.
std::string findings(const study::StudyFigure& f, const std::string& experiment,
                     const std::vector<Row>& rows);
/// The first experiment's first value per variant, lowest to highest.
std::string headline(const study::Study& s, const std::vector<Row>& rows);

}  // namespace pkusim::app::study_tables
