#pragma once
// What a probe lived through, derived from its agents' lines (docs/agents.md) and t=0.
// Pure: the same lines give the same fate; nothing here is an expected outcome.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/record.hpp"

namespace ss {

using AgentLines = std::vector<nlohmann::json>;  // each with t_ns, agent, kind

// A stream probe (a client sending every interval and reading echoes): survived if echoes
// still arrive after t=0 and no error came; otherwise the first error after t=0 and when,
// or "hanging" (no error, no echo) at the end of the window.
ProbeFate stream_fate(const std::string& name, const std::string& proto, const AgentLines& client,
                      int64_t t0_ns, int64_t end_ns);

// ip-seen: the client's requests (responses carry `seen_as`, the address the server saw) and
// the server's `request` lines: which addresses the server saw before and after t=0.
ProbeFate ip_seen_fate(const AgentLines& client, const AgentLines& server, int64_t t0_ns,
                       int64_t end_ns);

// DoH: lookups over HTTPS; whether they still succeed after t=0 and needed a new connection.
ProbeFate doh_fate(const AgentLines& client, int64_t t0_ns, int64_t end_ns);

// The DNS probe: which resolvers answered before and after t=0, failures, the slowest lookup.
ProbeFate dns_fate(const AgentLines& client, int64_t t0_ns, int64_t end_ns);

// The agent lines worth a place on the timeline: every state change, not every echo. Lines
// that repeat (echo, recv, request, response, output) keep the last before t=0 and the first
// after it; DNS lookups keep each change of outcome, resolver or answer; summaries and lines
// after the window are left out.
AgentLines notable_lines(const AgentLines& lines, int64_t t0_ns, int64_t end_ns);

}  // namespace ss
