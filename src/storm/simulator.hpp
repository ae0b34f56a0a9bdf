#pragma once
// The reconnect-storm simulator: N clients lose their connection, reconnect with a policy,
// and contend for a server with an accept capacity, a backlog and a token-bucket rate limit.
// Pure: no clock, no I/O; the same parameters and seed give the same result.
//
// The model, per attempt: the client sends at t; its request reaches the server at t + rtt/2
// (unless the network is down, then it fails at t + rtt). The rate limit answers first:
// reject (the client learns at + rtt/2) or drop (the client waits for its attempt timeout).
// Then the backlog: full means reject. The server serves its backlog in order, one connection
// at a time, each taking 1/capacity + handshake_cost; the client is back rtt/2 after that.
// A client that has given up (timeout) is skipped by the server at no cost.
#include <cstdint>
#include <functional>
#include <string>

#include "storm/policy.hpp"
#include "storm/results.hpp"

namespace ss::storm {

enum class LimitAction : uint8_t { reject, drop };

struct ServerParams {
  double capacity_per_s = 0;    // connections served per second; 0: unlimited
  uint64_t backlog = 4096;      // connections waiting to be served, at most
  double rate_limit_per_s = 0;  // token bucket rate; 0: no rate limit
  double burst = 0;             // token bucket size; 0: one second's worth of rate
  LimitAction action = LimitAction::reject;
  int64_t handshake_cost_ns = 0;  // added to each connection's service time (e.g. TLS)
};

enum class Spread : uint8_t { all_at_once, uniform, exponential };

struct DisconnectParams {
  Spread spread = Spread::all_at_once;
  int64_t spread_ns = 0;  // uniform: over [0, spread); exponential: mean
  uint32_t flaps = 1;     // disconnects in the train
  int64_t flap_interval_ns = 1'000'000'000;
  int64_t outage_ns = 0;  // the network is down this long after each flap
};

struct SimParams {
  uint64_t clients = 100'000;
  Policy policy;
  ServerParams server;
  DisconnectParams disconnect;
  int64_t rtt_ns = 0;
  uint64_t seed = 1;
  int64_t bucket_ns = 100'000'000;
  int64_t max_time_ns = 3600'000'000'000;  // simulated time, at most
  uint64_t max_events = 4'000'000'000;
};

// Throws UsageError naming the first bad parameter.
void validate(const SimParams& p);

// Called now and then during long runs: simulated time, clients finally back, events so far.
using SimProgress = std::function<void(int64_t now_ns, uint64_t back, uint64_t events)>;

RunResult simulate(const SimParams& p, const SimProgress& progress = {});

// Bytes of simulator state per client for a run of `p` (run to the end, so every buffer has
// reached its peak): client arrays, event queue and backlog, divided by the client count.
double state_bytes_per_client(const SimParams& p);

}  // namespace ss::storm
