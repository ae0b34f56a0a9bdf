#pragma once
// The article's survival table, every cell from a run's record: nothing here is written in
// advance, each cell is derived from what the probes and the recorder saw.
#include <optional>
#include <string>
#include <vector>

#include "model/record.hpp"

namespace ss::report {

struct SurvivalRow {
  std::string probe;
  // "yes", "no", "partial" (a stream probe's extra["outcome"]; else failed, then recovered),
  // "set-up failed"
  std::string survived;
  std::string mechanism;               // what was seen, in words
  std::optional<double> detected_ms;   // t=0 to the first sign of failure
  std::optional<double> recovered_ms;  // t=0 to working again, after a failure
  // Stream probes: the longest silence after the disconnect completed, against its bound
  // ("2900 > 1000 ms from +100", "100 <= 1000 ms"); "-" where the record has none.
  std::string silence = "-";
};

std::vector<SurvivalRow> survival_table(const RunRecord& r);
std::string render_survival(const std::vector<SurvivalRow>& rows);

}  // namespace ss::report
