#pragma once
// The gap sweep's survival table for the terminal, from its summary.
#include <string>

#include "model/sweep.hpp"

namespace ss::report {

// One row per probe, one column per gap: "yes/partial/no" counts of the labs with a record
// ("-" where none judged the probe); then set-up failures, and labs without a record.
std::string render_sweep_table(const SweepSummary& s);

}  // namespace ss::report
