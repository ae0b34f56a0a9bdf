#pragma once
// Time to detect a dead connection (the `detect` scenario, docs/detect.md): each detect probe
// is one TCP client that learns of its connection's death in its own way (the kernel's
// defaults, keepalive, TCP_USER_TIMEOUT, `reap`, the path library's callback). Pure: the fate
// comes from the client's lines and the window; the table from the record.
#include <optional>
#include <string>
#include <vector>

#include "model/fate.hpp"
#include "model/record.hpp"
#include "model/survival_rule.hpp"

namespace ss {

// The kernel's bound on a connection with data in flight: the sum of the backed-off RTOs it
// models before giving up (tcp_model_timeout() for retransmits_timed_out(): doubling from
// rto_min, linear at TCP_RTO_MAX = 120 s after linear_backoff_thresh = ilog2(RTO_MAX/rto_min)).
// tcp_retries2 = 15, rto_min = 200 ms: 924.6 s. A lower bound: real RTOs start above rto_min.
double retries_timeout_ms(int tcp_retries2, double rto_min_ms = 200.0);

// The detect probes, in the table's order, with the method each one measures.
// One way of learning that a connection died, and how its client is set up: idle (sends
// nothing: keepalive sends no probe while data is unacknowledged), keepalive settings for
// tcp-client's --keepalive (nullptr: the kernel's), the path library watching the socket.
// TCP_USER_TIMEOUT is the probe's own setting (ProbeSpec::user_timeout); reap is the
// scenario's [reap].
struct DetectMethod {
  const char* probe;
  const char* method;
  bool idle = false;
  const char* keepalive = nullptr;
  bool watch_path = false;
};
const std::vector<DetectMethod>& detect_methods();
// The method of a detect probe, nullptr for any other probe.
const DetectMethod* detect_method(const std::string& probe);
bool is_detect_probe(const std::string& name);

// A detect probe's fate. The client's `ready` line carries its settings (user_timeout_ms,
// keepalive {idle_ms, intvl_ms, cnt}, watch_path) and its namespace's tcp_retries2; the first
// `error`, `closed` or `path_lost` line at or after t=0 is when and how it learned the
// connection was dead. extra["detect"]: method, how, after_ms (from the disconnect's
// completion), after_t0_ms, sent_after_t0, and the kernel's bound for its settings:
// predicted_ms with predicted_by (none for an idle connection without keepalive: the kernel
// never times it out).
ProbeFate detect_fate(const std::string& name, const AgentLines& client, const Window& w);

struct DetectRow {
  std::string probe, method;
  bool setup_ok = true;
  std::string setup_error;
  std::optional<double> after_ms;     // the disconnect's completion to the agent's line
  std::optional<double> after_t0_ms;  // t=0 (the disconnect's call began) to the agent's line
  std::string how;                    // errno name, "path callback", "EOF"; "" if not in the window
  bool sent_after_t0 = false;         // data in flight when it died (or at the end)
  std::optional<double> predicted_ms;  // the kernel's bound, shown when not in the window
  std::string predicted_by;            // e.g. "tcp_retries2 = 15"
  // How many times sooner than the default (its measured time, or its prediction): the
  // default over after_ms, or over after_t0_ms for a client that learned before the
  // disconnect's call returned (ratio_from_t0).
  std::optional<double> ratio;
  bool ratio_from_t0 = false;
};

struct DetectTable {
  double window_ms = 0;
  std::vector<DetectRow> rows;  // in detect_methods() order; empty without detect probes
  std::optional<double> default_ms;
  bool default_predicted = false;  // default_ms is the kernel's bound, not a measurement
};

DetectTable detect_table(const RunRecord& r);

}  // namespace ss
