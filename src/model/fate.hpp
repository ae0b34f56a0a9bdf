#pragma once
// What a probe lived through, derived from its agents' lines (docs/agents.md) and t=0.
// Pure: the same lines give the same fate; nothing here is an expected outcome.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/record.hpp"
#include "model/survival_rule.hpp"

namespace ss {

using AgentLines = std::vector<nlohmann::json>;  // each with t_ns, agent, kind

// A stream probe (a client sending every interval and reading numbered echoes: tcp, websocket,
// quic, mptcp): judged by judge_stream (model/survival_rule.hpp). An echo's send time is its
// `sent_t_ns`, or its arrival minus `rtt_us`; an echo without either proves nothing about when
// its data was sent. The first `error` or `closed` line after t=0 is the error.
struct StreamFateOptions {
  int64_t silence_bound_ns = 1'000'000'000;
  // The client sends nothing after t=0 until it is told to (tcp-idle, tcp-inflight): its
  // `late_send` line starts the watched span and extra["late_send"] records what came of it:
  // {"sent_ms", "outcome": "echo"|"error"|"hang", "error" (errno name, if error), "after_ms"}.
  bool late_send = false;
};
ProbeFate stream_fate(const std::string& name, const std::string& proto, const AgentLines& client,
                      const Window& w, const StreamFateOptions& o);

// QUIC: a stream probe plus the server's view of the client's addresses and path validations.
ProbeFate quic_fate(const AgentLines& client, const AgentLines& server, const Window& w,
                    int64_t silence_bound_ns, bool server_migration);

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
