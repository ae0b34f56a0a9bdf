#pragma once
// Options and pure helpers shared by the application-layer agents (WebSocket, HTTP ip-seen):
// the reconnect policy and its backoff, and how a library error is named in events.
#include <cstdint>
#include <string>
#include <string_view>

#include "model/duration.hpp"

namespace ss::probes {

// What a client does when its connection ends: `none` (report and stay down) or `backoff`
// (exponential backoff with full jitter: attempt n waits a uniformly random time in
// [0, min(cap, base * 2^(n-1))), at most `max_attempts` attempts per outage).
struct ReconnectPolicy {
  enum class Kind { none, backoff };
  Kind kind = Kind::none;
  Micros base{100'000};
  Micros cap{2'000'000};
  int max_attempts = 10;
};

// "none" or "backoff"; throws UsageError naming the option otherwise.
ReconnectPolicy::Kind parse_reconnect_kind(const std::string& text, const std::string& option);

// min(cap, base * 2^(attempt-1)) for attempt >= 1, without overflow.
Micros backoff_ceiling(const ReconnectPolicy& p, int attempt);

// Full jitter: `unit` (uniform in [0, 1), supplied by the caller) times the ceiling.
Micros backoff_delay(const ReconnectPolicy& p, int attempt, double unit);

// How an error is named in an event: the errno name when the error is an errno value (the
// library's system category), else the library's own message.
std::string error_label(bool system_category, int value, std::string_view message);

}  // namespace ss::probes
