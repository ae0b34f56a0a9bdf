#include "storm/reference.hpp"

#include <cmath>

#include "storm/event_queue.hpp"
#include "storm/rng.hpp"

namespace ss::storm {
namespace {

enum Kind : uint32_t { kRead, kReadReply, kWrite, kWriteReply };
constexpr uint32_t kMaxEventsPerTrial = 50'000'000;  // far above any policy's need

struct Occ {
  Policy policy;
  Rng rng;
  EventQueue queue;
  uint64_t version = 0;
  uint64_t calls = 0;
  std::vector<uint64_t> seen;     // the version each client last read
  std::vector<uint32_t> attempt;  // failed writes so far
  std::vector<int64_t> sleep;     // decorrelated jitter's memory
  bool last_write_ok = false;

  int64_t net() { return static_cast<int64_t>(std::fabs(rng.normal(10e6, 2e6))); }
  void send(uint64_t now, int64_t delay, uint32_t who, Kind k) {
    queue.push(Event{now + static_cast<uint64_t>(delay), who, k});
  }
  // Returns true when client `who` is done.
  bool step(const Event& e);
};

bool Occ::step(const Event& e) {
  uint32_t c = e.who;
  switch (static_cast<Kind>(e.tag)) {
    case kRead:  // at the server: answer with the version
      seen[c] = version;
      send(e.time, net(), c, kReadReply);
      return false;
    case kReadReply:
      send(e.time, net(), c, kWrite);
      return false;
    case kWrite:  // at the server: conditional write
      ++calls;
      last_write_ok = seen[c] == version;
      if (last_write_ok) ++version;
      send(e.time, net(), c, last_write_ok ? kWriteReply : static_cast<Kind>(kWriteReply | 4));
      return false;
    default: {  // write reply; bit 2 set means it failed
      if ((e.tag & 4) == 0) return true;
      ++attempt[c];
      int64_t wait = backoff_delay(policy, attempt[c], sleep[c], rng);
      send(e.time, net() + wait, c, kRead);
      return false;
    }
  }
}

}  // namespace

OccTrial run_occ_trial(PolicyKind kind, uint32_t clients, uint64_t seed) {
  Occ occ{Policy{kind, 5'000'000, 2'000'000'000, 0}, Rng(seed), {}, 0, 0, {}, {}, {}, false};
  occ.seen.assign(clients, 0);
  occ.attempt.assign(clients, 0);
  occ.sleep.assign(clients, occ.policy.base_ns);
  for (uint32_t c = 0; c < clients; ++c) occ.send(0, occ.net(), c, kRead);
  uint32_t done = 0, events = 0;
  uint64_t now = 0;
  while (done < clients && !occ.queue.empty() && ++events < kMaxEventsPerTrial) {
    Event e = occ.queue.pop();
    now = e.time;
    if (occ.step(e)) ++done;
  }
  return OccTrial{occ.calls, static_cast<int64_t>(now)};
}

std::vector<OccResult> run_occ_experiment(uint32_t trials, uint64_t seed) {
  std::vector<OccResult> out;
  for (PolicyKind kind : all_policies()) {
    if (kind == PolicyKind::fixed) continue;  // not part of the classic comparison
    for (uint32_t n = 10; n <= 50; n += 10) {
      double calls = 0, time = 0;
      for (uint32_t t = 0; t < trials; ++t) {
        OccTrial r = run_occ_trial(kind, n, seed + t);
        calls += static_cast<double>(r.calls);
        time += static_cast<double>(r.time_ns) / 1e6;
      }
      out.push_back(OccResult{kind, n, calls / trials, time / trials});
    }
  }
  return out;
}

}  // namespace ss::storm
