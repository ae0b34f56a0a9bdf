#pragma once
// The gap sweep's plot: survival fraction by gap, one line per probe, log-scale gap axis, as a
// self-contained SVG document.
#include <string>

#include "model/sweep.hpp"

namespace ss::report {

// An SVG document (no external fonts, styles or scripts). `title` is escaped. A probe's line
// skips the gaps where no lab judged it.
std::string render_sweep_svg(const SweepSummary& s, const std::string& title);

}  // namespace ss::report
