#pragma once
// Runs the experiments the claims need (the same lab, varied one condition at a time).
#include "lab/experiment.hpp"
#include "model/claims.hpp"

namespace ss::lab {

// The scenario of each variant named in model/claims.hpp.
std::map<std::string, Scenario> claim_variants();

// Runs every variant (each a full lab run with teardown); `progress` gets a line per run.
ClaimRuns run_claim_experiments(const RunOptions& o,
                                const std::function<void(const std::string&)>& progress);

}  // namespace ss::lab
