// Storm simulator speed: event queue throughput, a whole 1,000,000-client storm, and the
// bytes of state per client. Targets: >= 20M events/s, 1M clients <= 2s, <= 64 bytes/client.
#include <benchmark/benchmark.h>

#include <random>

#include "storm/event_queue.hpp"
#include "storm/simulator.hpp"

using namespace ss::storm;

namespace {

// The hold model: a queue of `size` pending events; each step pops the earliest and schedules
// one a random time later, as a simulator does. Counts push+pop pairs as events.
void BM_EventQueueHold(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  std::mt19937_64 rng(1);
  std::vector<uint64_t> gaps(1 << 16);
  for (auto& g : gaps) g = rng() % 100'000'000;  // up to 100ms ahead
  EventQueue q;
  for (size_t i = 0; i < size; ++i)
    q.push(Event{gaps[i % gaps.size()], static_cast<uint32_t>(i), 0});
  size_t k = 0;
  for (auto _ : state) {
    Event e = q.pop();
    e.time += gaps[k++ & 0xFFFF];
    q.push(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueHold)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

SimParams storm_params(PolicyKind kind) {
  SimParams p;
  p.clients = 1'000'000;
  p.policy = Policy{kind, 100'000'000, 30'000'000'000, 0};
  p.server.capacity_per_s = 200'000;
  p.server.backlog = 65'536;
  p.server.rate_limit_per_s = 250'000;
  p.rtt_ns = 1'000'000;
  return p;
}

// A whole storm: 1,000,000 clients disconnected at once reconnect to a server serving
// 200k/s behind a 250k/s rate limit. Reports events/s and bytes of state per client.
void BM_WholeStorm1M(benchmark::State& state) {
  SimParams p = storm_params(static_cast<PolicyKind>(state.range(0)));
  uint64_t events = 0;
  double all_ms = 0;
  for (auto _ : state) {
    RunResult r = simulate(p);
    events += r.summary.events;
    all_ms = r.summary.time_to_all_ms.value_or(-1);
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["sim_time_to_all_ms"] = all_ms;
  state.counters["bytes_per_client"] = state_bytes_per_client(p);
  state.SetLabel(std::string(policy_name(p.policy.kind)));
}
BENCHMARK(BM_WholeStorm1M)
    ->Arg(static_cast<int>(PolicyKind::exponential))
    ->Arg(static_cast<int>(PolicyKind::full_jitter))
    ->Arg(static_cast<int>(PolicyKind::decorrelated))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
