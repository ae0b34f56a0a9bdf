#pragma once
// A run as Chrome's Trace Event JSON (the object form), to open in ui.perfetto.dev or
// chrome://tracing beside other traces: one process per run, one track (thread) per lane of
// report/html_lanes.hpp; probes' lives and the actions' calls as complete ("X") slices,
// properly nested per track; events and packets as instant events; the leaked packets per
// millisecond as a counter. Timestamps are microseconds; the format wants them non-negative,
// so t=0 sits at otherData.t0_ts_us (the earliest recorded time is ts 0).
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "model/record.hpp"

namespace ss::report {

nlohmann::json trace_json(const RunRecord& r);

// Several runs (e.g. the claims' variants), one process each, named by their key.
nlohmann::json trace_json(const std::map<std::string, RunRecord>& runs);

}  // namespace ss::report
