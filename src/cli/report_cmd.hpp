#pragma once
// The report files (--html, --trace, --svg) that `report`, `run` and `claims` write.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "model/claims.hpp"
#include "model/record.hpp"
#include "model/sweep.hpp"

namespace ss::cli {

struct ReportFiles {
  std::string html, trace, svg;  // "" = not asked for
  bool any() const { return !html.empty() || !trace.empty() || !svg.empty(); }
};

// Adds --html FILE and --trace FILE (and --svg FILE when `svg`) to a subcommand.
void add_report_options(CLI::App& cmd, ReportFiles& files, bool svg = false);

// Before any work: each file asked for can be written (UsageError naming the option).
void check_report_files(const ReportFiles& files);

// Each file is written whole or not at all (a temporary beside it, then renamed).
void write_report_files(const RunRecord& r, const ReportFiles& files);
void write_report_files(const std::vector<ClaimResult>& claims, const ClaimRuns& runs,
                        const ReportFiles& files);
// A sweep: --html and --svg (the plot); it has no timeline for a trace.
void write_report_files(const SweepRecord& r, const ReportFiles& files);

}  // namespace ss::cli
