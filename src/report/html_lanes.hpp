#pragma once
// A run's timeline as lanes of marks: one lane per layer, per kind of packet, per probe and
// per agent, the actions, the leak windows and the leaked packets per millisecond. Shared by
// the HTML page (report/html.hpp) and the trace export (report/trace.hpp). Pure: it places
// what the record holds; nothing is measured or assumed here.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/record.hpp"

namespace ss::report {

// One thing on a lane: an instant, or a span when end_us is set.
struct Mark {
  int64_t t_us = 0;
  std::optional<int64_t> end_us;
  std::string style;  // what it is, as a CSS class: "out", "in", "yes", "no", "error", ...
  std::string label;  // short: "tun0 removed"
  std::string tip;    // the details shown on hover
  nlohmann::json args = nlohmann::json::object();  // the record's fields for it
};

struct Lane {
  std::string id;     // stable and unique: "link", "packet-bypass", "probe-tcp", "agent-..."
  std::string title;  // shown at the left
  std::string group;  // "actions", "layers", "packets", "leaks", "probes", "agents"
  std::vector<Mark> marks;
};

// A timeline action (or a probe's own signal) as carried out.
struct ActionLine {
  int64_t t_us = 0;
  int64_t took_us = 0;
  // "timeline" (the scenario's), "signal" (a probe's own), "client" (the VPN client's own)
  std::string kind = "timeline";
  std::string label;  // "disconnect (clean)"
  std::string tip;
};

struct Span {
  int64_t from_us = 0, to_us = 0;
};

// Leaked packets (outgoing, outside the tunnel) in the millisecond [ms, ms + 1) from t=0.
struct LeakBin {
  int64_t ms = 0;
  int count = 0;
};

struct Timeline {
  int64_t first_us = 0;  // the earliest time in the record (0 when nothing came before t=0)
  int64_t end_us = 0;    // the end of the window (or the last event, if later)
  std::vector<Lane> lanes;
  std::vector<ActionLine> actions;
  std::vector<Span> leak_windows;  // from the first to the last leaked packet, per action
  std::vector<LeakBin> leak_bins;  // only the non-empty milliseconds, in order
  int max_leaks_per_ms = 0;
};

// The packet kinds the classifier gives, in lane order (docs/schema.md).
const std::vector<std::string>& packet_kinds();

// True for a packet the record counts as a leak: outgoing, plaintext DNS or bypassing.
bool is_leak(const Event& e);

// A short name for an event: "tun0 removed", "0.0.0.0/1 removed", "tcp-client error".
std::string event_label(const Event& e);

Timeline timeline_lanes(const RunRecord& r);

}  // namespace ss::report
