#pragma once
// The MPTCP probe's fate, from its agents' lines and t=0. Pure: nothing here expects an outcome.
#include <cstdint>

#include "model/fate.hpp"

namespace ss {

// As a stream probe (judged by model/survival_rule.hpp; gap_ms: last echo before t=0 to the
// first after), plus what the kernel reported about the subflows: the client's view before
// t=0 and at the end of the window, each change after t=0 (ms since t=0), the paths lost and
// added, whether the connection had fallen back to TCP, and the server's view before and after.
ProbeFate mptcp_fate(const AgentLines& client, const AgentLines& server, const Window& w,
                     int64_t silence_bound_ns);

}  // namespace ss
