#pragma once
// The terminal report of a run: a layer-by-layer timeline around t=0, then a summary.
#include <string>

#include "model/record.hpp"

namespace ss::report {

// Renders what the record holds; no measurement is made or assumed here.
std::string render_run(const RunRecord& r);

// One event as a line: "+0.412 ms  link   tun0 removed".
std::string describe_event(const Event& e);

// The timeline's actions, the leaks by kind and family, the IPv6 line, the plaintext queries
// and each action's leak window ("" parts for records that lack them).
std::string leak_detail_summary(const RunRecord& r);

}  // namespace ss::report
