#pragma once
// Client reconnect policies: how long a client waits before each reconnect attempt.
// Definitions (attempt n = 0 is the first attempt after the disconnect; times in ns):
//   immediate      0
//   fixed          base
//   exponential    min(cap, base * 2^n)
//   full-jitter    uniform(0, min(cap, base * 2^n))
//   equal-jitter   v/2 + uniform(0, v/2), v = min(cap, base * 2^n)
//   decorrelated   sleep = min(cap, uniform(base, 3 * sleep)), sleep starting at base
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "storm/rng.hpp"

namespace ss::storm {

enum class PolicyKind : uint8_t {
  immediate,
  fixed,
  exponential,
  full_jitter,
  equal_jitter,
  decorrelated
};

struct Policy {
  PolicyKind kind = PolicyKind::full_jitter;
  int64_t base_ns = 100'000'000;    // 100ms
  int64_t cap_ns = 30'000'000'000;  // 30s
  int64_t attempt_timeout_ns = 0;   // 0: an attempt waits for its answer forever
};

std::string_view policy_name(PolicyKind kind);
std::optional<PolicyKind> parse_policy_kind(std::string_view name);
std::span<const PolicyKind> all_policies();

// The delay before attempt `attempt`. `sleep_ns` is decorrelated jitter's memory: set it to
// base at each new disconnect; the other policies leave it alone.
int64_t backoff_delay(const Policy& p, uint32_t attempt, int64_t& sleep_ns, Rng& rng);

}  // namespace ss::storm
