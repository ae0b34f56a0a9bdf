#pragma once
// What a storm did, simulated or real: per-time-bucket counts and the summary a user reads.
// Times are ns since the (first) disconnect.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ss::storm {

struct Bucket {
  uint64_t attempts = 0;   // reconnect attempts started
  uint64_t connects = 0;   // attempts that succeeded (client back)
  uint64_t rejected = 0;   // refused by the server: rate limit (reject), full backlog, reset
  uint64_t dropped = 0;    // ignored by the rate limit (drop): the client waits for its timeout
  uint64_t timeouts = 0;   // attempts given up after the attempt timeout
  uint64_t failed = 0;     // attempts that failed because the network was down
  uint64_t connected = 0;  // clients connected at the end of the bucket
  int64_t busy_ns = 0;     // server time spent on connections
};

struct Summary {
  std::string policy;
  uint64_t clients = 0;
  uint64_t seed = 0;
  std::optional<double> time_to_50_ms, time_to_99_ms, time_to_all_ms;  // empty: never reached
  uint64_t attempts = 0, wasted = 0, rejected = 0, dropped = 0, timeouts = 0, failed = 0;
  uint64_t back = 0;           // clients connected at the end
  double peak_rate_per_s = 0;  // highest connect rate over one bucket
  double rate_p50_per_s = 0, rate_p90_per_s = 0, rate_p99_per_s = 0;  // over the recovery
  double mean_utilisation = 0;  // server busy fraction over the recovery (sim only)
  double duration_ms = 0;       // time covered by the run
  uint64_t events = 0;          // simulator events processed (0 for real runs)
  bool complete = false;        // every client back before the run's limits
};

struct RunResult {
  Summary summary;
  int64_t bucket_ns = 0;
  std::vector<Bucket> buckets;
};

// Accumulates a run's counts as events happen; times must not go backwards for connect().
class Recorder {
 public:
  Recorder(uint64_t clients, int64_t bucket_ns, int64_t max_time_ns);
  void attempt(int64_t t) { ++at(t).attempts; }
  void reject(int64_t t) { ++at(t).rejected; }
  void drop(int64_t t) { ++at(t).dropped; }
  void timeout(int64_t t) { ++at(t).timeouts; }
  void fail(int64_t t) { ++at(t).failed; }
  void disconnect(int64_t t);
  // `final`: the client is back after its last disconnect (it counts toward time_to_X).
  void connect(int64_t t, bool final);
  void busy(int64_t from, int64_t to);
  uint64_t final_back() const { return final_back_; }
  RunResult finish(std::string policy, uint64_t seed, int64_t end_ns, uint64_t events);

 private:
  Bucket& at(int64_t t);

  uint64_t clients_;
  int64_t bucket_ns_;
  size_t max_buckets_;
  std::vector<Bucket> buckets_;
  uint64_t connected_;
  uint64_t final_back_ = 0;
  uint64_t target50_, target99_;
  std::optional<int64_t> t50_, t99_, tall_;
};

}  // namespace ss::storm
