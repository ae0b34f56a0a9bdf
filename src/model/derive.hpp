#pragma once
// From what was recorded to the run record: the timeline, the triggers, each probe's fate
// (by its own rule, passed in), the leaks per packet and per action. Pure: no clock, no I/O;
// tested from hand-built observations (tests/unit/model/derive_test.cpp).
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/fate.hpp"
#include "model/observations.hpp"
#include "model/record.hpp"
#include "model/survival_rule.hpp"

namespace ss {

// One agent's output lines (client or server side), by the agent's label.
struct AgentOutput {
  std::string name;
  AgentLines lines;
};

using FateRule =
    std::function<ProbeFate(const AgentLines& client, const AgentLines& server, const Window& w)>;

struct ProbeOutput {
  std::string name, proto;
  std::optional<std::string> setup_error;  // set: never started; fate says so
  AgentLines client, server;
  FateRule fate;
};

struct RunFacts {
  int64_t t0_ns = 0;   // the first action's start
  int64_t end_ns = 0;  // the end of the window
  // As carried out, times relative to t0; completed_us/by as the calls returned. Crash
  // disconnects are completed here, from the tunnel link's removal in the observations.
  std::vector<Trigger> triggers;
  std::set<std::string> own_addresses;  // the client's on its physical link, all run long
  TunnelEndpoint endpoint;
  std::string tunnel_if;  // the client's tunnel interface (from the record's vpn.interface)
};

// Fills r.events, r.triggers, r.probes, r.leaks, netlink_events_lost and the capture note.
void derive_record(RunRecord& r, const Observations& obs, const std::vector<AgentOutput>& agents,
                   const std::vector<ProbeOutput>& probes, const RunFacts& facts);

// The timeline action in force at `t_us` (the last at or before it): its index in `triggers`,
// or none before t=0.
std::optional<size_t> action_at(const std::vector<Trigger>& triggers, int64_t t_us);

// What the probe's own TCP flow (its "ready" line's local port) put on the physical
// interface in [t0, end]: segments out and in, RSTs in, source addresses.
nlohmann::json wire_view(const AgentLines& client, const std::vector<ClassifiedPacket>& packets,
                         int64_t t0_ns, int64_t end_ns);

}  // namespace ss
