#pragma once
// The classic backoff comparison (optimistic concurrency): N clients each want to update one
// shared row once. A client reads the row's version, then writes conditionally on it; if
// another write got in between, its write fails, it backs off per its policy and reads again.
// Every message crosses a network with delay |normal(10ms, sd 2ms)| (variance 4). With base
// 5ms and cap 2s, no backoff and plain exponential backoff make the most calls; full and
// decorrelated jitter far fewer.
#include <cstdint>
#include <vector>

#include "storm/policy.hpp"

namespace ss::storm {

struct OccResult {
  PolicyKind policy;
  uint32_t clients;
  double mean_calls;    // write calls per trial (the work the server does)
  double mean_time_ms;  // until the last client's write succeeded
};

// One trial: how many write calls and how long until every client has written.
struct OccTrial {
  uint64_t calls;
  int64_t time_ns;
};
OccTrial run_occ_trial(PolicyKind policy, uint32_t clients, uint64_t seed);

// The built-in experiment: each policy, 10..50 clients in steps of 10, `trials` trials each.
std::vector<OccResult> run_occ_experiment(uint32_t trials, uint64_t seed);

}  // namespace ss::storm
