#pragma once
// The page's style and scripts, inlined into every report (nothing is fetched).
namespace ss::report {

extern const char* const kReportCss;
// Runs first, in <head>: logs script errors and blocked requests into the page's DOM.
extern const char* const kReportHeadScript;
// Runs last: zoom and pan on each timeline, details on hover, the ready marker.
extern const char* const kReportScript;

}  // namespace ss::report
