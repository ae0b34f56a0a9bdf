#pragma once
// The summary line of what `reap` did in a lab run (model/reap_run.hpp); "" when it did not run.
#include <string>

#include "model/record.hpp"

namespace ss::report {

std::string render_reap(const RunRecord& r);

}  // namespace ss::report
