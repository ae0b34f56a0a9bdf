// splitsecond report RECORD.json [--html F] [--trace F] [--svg F]: renders a stored record (a
// run, a claims report or a gap sweep) as the terminal report, an HTML page, a trace or SVG.
#include "cli/report_cmd.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/commands.hpp"
#include "model/errors.hpp"
#include "model/sweep.hpp"
#include "report/html.hpp"
#include "report/sweep_svg.hpp"
#include "report/sweep_table.hpp"
#include "report/timeline.hpp"
#include "report/trace.hpp"
#include "report/user_command.hpp"

namespace ss::cli {
namespace {

namespace fs = std::filesystem;

void check_writable(const std::string& path, const char* option) {
  if (path.empty()) return;
  const fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec))
    throw UsageError(fmt::format("{} {}: is a directory, expected a file", option, path));
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const bool ok = fs::exists(p, ec) ? ::access(path.c_str(), W_OK) == 0
                                    : ::access(dir.c_str(), W_OK | X_OK) == 0;
  if (!ok)
    throw UsageError(
        fmt::format("{} {}: cannot write there ({})", option, path, std::strerror(errno)));
}

// Written whole or not at all: a temporary beside the file, renamed over it.
void write_file(const std::string& path, const std::string& text) {
  const std::string part = path + ".part";
  {
    std::ofstream f(part, std::ios::trunc | std::ios::binary);
    f << text;
    f.flush();
    if (!f) {
      std::remove(part.c_str());
      throw std::runtime_error("could not write " + part);
    }
  }
  if (std::rename(part.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(part.c_str());
    throw std::runtime_error(
        fmt::format("could not rename {} to {}: {}", part, path, std::strerror(err)));
  }
}

void print_written(const std::string& path, const char* what) {
  if (!path.empty()) fmt::print(stderr, "splitsecond: wrote {} to {}\n", what, path);
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw UsageError(fmt::format("{}: cannot read ({})", path, std::strerror(errno)));
  try {
    return nlohmann::json::parse(f);
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError(fmt::format("{}: not JSON: {}", path, e.what()));
  }
}

void report(const std::string& path, const ReportFiles& files) {
  check_report_files(files);
  const nlohmann::json j = read_json(path);
  const std::string schema = j.is_object() && j.contains("schema") && j["schema"].is_string()
                                 ? j["schema"].get<std::string>()
                                 : "";
  if (schema == "splitsecond.run/1") {
    RunRecord r;
    try {
      r = record_from_json(j);
    } catch (const std::exception& e) {
      throw UsageError(fmt::format("{}: not a valid splitsecond.run/1 record: {}", path, e.what()));
    }
    if (!files.any()) {
      fmt::print("{}", report::render_run(r));
      if (r.user_command) fmt::print("{}", report::render_user_command(*r.user_command));
    }
    write_report_files(r, files);
    return;
  }
  if (schema == "splitsecond.claims/1") {
    if (!files.trace.empty() || !files.svg.empty())
      throw UsageError(fmt::format(
          "{}: a claims report holds the verdicts only, no timeline for --trace or --svg (the "
          "`claims` command writes both from its runs)",
          path));
    std::vector<ClaimResult> claims;
    try {
      claims = report::claims_from_json(j);
    } catch (const std::exception& e) {
      throw UsageError(
          fmt::format("{}: not a valid splitsecond.claims/1 report: {}", path, e.what()));
    }
    if (!files.any()) fmt::print("{}", render_claims(claims));
    write_report_files(claims, {}, files);
    return;
  }
  if (schema == "splitsecond.sweep/1") {
    if (!files.trace.empty())
      throw UsageError(fmt::format(
          "{}: a sweep record holds each lab's outcomes, no timeline for --trace (each lab's own "
          "record has one: report it)",
          path));
    const SweepRecord s = sweep_from_json(j, path);  // UsageError naming the file
    if (!files.any()) fmt::print("{}", report::render_sweep_table(summarize(s)));
    write_report_files(s, files);
    return;
  }
  throw UsageError(fmt::format(
      "{}: schema '{}' is not one `report` renders (splitsecond.run/1, splitsecond.claims/1, "
      "splitsecond.sweep/1)",
      path, schema));
}

}  // namespace

void add_report_options(CLI::App& cmd, ReportFiles& files, bool svg) {
  cmd.add_option("--html", files.html,
                 "write a self-contained HTML report (timeline, leaks, survival table) to FILE");
  cmd.add_option("--trace", files.trace,
                 "write Chrome Trace Event JSON (ui.perfetto.dev, chrome://tracing) to FILE");
  if (svg) cmd.add_option("--svg", files.svg, "write the timeline alone as an SVG image to FILE");
}

void check_report_files(const ReportFiles& files) {
  check_writable(files.html, "--html");
  check_writable(files.trace, "--trace");
  check_writable(files.svg, "--svg");
}

void write_report_files(const RunRecord& r, const ReportFiles& files) {
  if (!files.html.empty()) write_file(files.html, report::html_run_page(r));
  if (!files.trace.empty()) write_file(files.trace, report::trace_json(r).dump() + "\n");
  if (!files.svg.empty()) write_file(files.svg, report::timeline_svg(r));
  print_written(files.html, "the HTML report");
  print_written(files.trace, "the trace");
  print_written(files.svg, "the SVG timeline");
}

void write_report_files(const std::vector<ClaimResult>& claims, const ClaimRuns& runs,
                        const ReportFiles& files) {
  if (!files.html.empty()) write_file(files.html, report::html_claims_page(claims, runs));
  if (!files.trace.empty()) write_file(files.trace, report::trace_json(runs).dump() + "\n");
  print_written(files.html, "the HTML report");
  print_written(files.trace, "the trace");
}

void write_report_files(const SweepRecord& r, const ReportFiles& files) {
  if (!files.html.empty()) write_file(files.html, report::html_sweep_page(r));
  if (!files.svg.empty())
    write_file(files.svg, report::render_sweep_svg(summarize(r), report::sweep_title(r)));
  print_written(files.html, "the HTML report");
  print_written(files.svg, "the SVG plot");
}

void add_report_commands(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto files = std::make_shared<ReportFiles>();
  auto* cmd = app.add_subcommand(
      "report", "render a stored record (run, claims or sweep) as text, HTML, a trace or SVG");
  cmd->add_option("record", *path,
                  "a record written by `run --json`, `claims --json` or `gap-sweep --json`")
      ->required();
  add_report_options(*cmd, *files, true);
  cmd->callback([path, files] { report(*path, *files); });
}

}  // namespace ss::cli
