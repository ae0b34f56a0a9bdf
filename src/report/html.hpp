#pragma once
// The HTML report: one self-contained page (inline SVG, CSS and a little script; nothing is
// fetched, so it opens offline and can be attached to a bug report). See docs/report.md.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "model/claims.hpp"
#include "model/record.hpp"
#include "model/sweep.hpp"

namespace ss::report {

// Text for HTML element content and attribute values: & < > " ' escaped.
std::string html_escape(std::string_view s);

// A run: scenario and environment, the timeline (lanes per layer, zoom and pan around t=0,
// details on hover, the leak window), the leaks, the survival table, every event.
std::string html_run_page(const RunRecord& r);

// The claims with their verdicts, then each run they were judged from (none for a stored
// claims report, which holds the verdicts only).
std::string html_claims_page(const std::vector<ClaimResult>& claims,
                             const std::map<std::string, RunRecord>& runs = {});

// A gap sweep (splitsecond.sweep/1): its definition, the plot of survival by gap, the table
// of outcomes per probe and gap, and each lab.
std::string html_sweep_page(const SweepRecord& r);

// The sweep's plot title, as gap-sweep --svg writes it.
std::string sweep_title(const SweepRecord& r);

// A whole page around `body`: the style and both scripts inlined, the page policy, the footer.
std::string html_page(const std::string& title, const std::string& body);

// The timeline alone as an SVG document, in its default view (no script).
std::string timeline_svg(const RunRecord& r);

// A stored claims report (splitsecond.claims/1) back into results; "not measured" ones keep
// their reason in `measured`, as evaluate_claims gives them. std::invalid_argument otherwise.
std::vector<ClaimResult> claims_from_json(const nlohmann::json& j);

}  // namespace ss::report
