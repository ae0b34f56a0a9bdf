#include "storm/simulator.hpp"

#include <gtest/gtest.h>

#include "model/errors.hpp"

using namespace ss::storm;

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;

SimParams fixed_delay(uint64_t n, int64_t delay) {
  SimParams p;
  p.clients = n;
  p.policy = Policy{PolicyKind::fixed, delay, delay, 0};
  p.server.backlog = n;
  return p;
}

}  // namespace

TEST(Simulator, NoLimitsFixedDelayEveryoneBackAtExactlyTheDelay) {
  Summary s = simulate(fixed_delay(10'000, 250 * kMs)).summary;
  EXPECT_TRUE(s.complete);
  EXPECT_DOUBLE_EQ(*s.time_to_50_ms, 250);
  EXPECT_DOUBLE_EQ(*s.time_to_99_ms, 250);
  EXPECT_DOUBLE_EQ(*s.time_to_all_ms, 250);
  EXPECT_EQ(s.attempts, 10'000u);
  EXPECT_EQ(s.wasted, 0u);
  EXPECT_EQ(s.back, 10'000u);
}

TEST(Simulator, RoundTripTimeAddsToTheDelay) {
  SimParams p = fixed_delay(100, 250 * kMs);
  p.rtt_ns = 20 * kMs;
  EXPECT_DOUBLE_EQ(*simulate(p).summary.time_to_all_ms, 270);
}

TEST(Simulator, CapacityCServesNClientsInNOverCSeconds) {
  SimParams p = fixed_delay(5000, 0);
  p.policy.kind = PolicyKind::immediate;
  p.server.capacity_per_s = 1000;
  Summary s = simulate(p).summary;
  EXPECT_DOUBLE_EQ(*s.time_to_all_ms, 5000);
  EXPECT_DOUBLE_EQ(*s.time_to_50_ms, 2500);
  EXPECT_NEAR(s.peak_rate_per_s, 1000, 1e-6);
  EXPECT_NEAR(s.mean_utilisation, 1.0, 1e-9);
}

TEST(Simulator, HandshakeCostAddsToEachServiceTime) {
  SimParams p = fixed_delay(1000, 0);
  p.policy.kind = PolicyKind::immediate;
  p.server.capacity_per_s = 1000;
  p.server.handshake_cost_ns = 1 * kMs;
  EXPECT_DOUBLE_EQ(*simulate(p).summary.time_to_all_ms, 2000);
}

TEST(Simulator, RateLimitRejectAdmitsOneBucketPerRound) {
  SimParams p = fixed_delay(100, 1 * kSec);
  p.server.rate_limit_per_s = 10;
  p.server.burst = 10;
  Summary s = simulate(p).summary;
  EXPECT_DOUBLE_EQ(*s.time_to_all_ms, 10'000);  // 10 rounds of 10, one per second
  EXPECT_EQ(s.attempts, 550u);                  // 100 + 90 + ... + 10
  EXPECT_EQ(s.rejected, 450u);
  EXPECT_EQ(s.wasted, 450u);
}

TEST(Simulator, FullBacklogRejects) {
  SimParams p = fixed_delay(100, 1500 * kMs);
  p.server.capacity_per_s = 10;
  p.server.backlog = 10;
  Summary s = simulate(p).summary;
  // Rounds start every 1.5s; each admits 10 and serves them within 1s.
  EXPECT_DOUBLE_EQ(*s.time_to_all_ms, 1500 + 9 * 1500 + 1000);
  EXPECT_EQ(s.rejected, 450u);
}

TEST(Simulator, DroppedClientsWaitForTheirTimeout) {
  SimParams p = fixed_delay(20, 1 * kSec);
  p.server.rate_limit_per_s = 10;
  p.server.burst = 10;
  p.server.action = LimitAction::drop;
  p.policy.attempt_timeout_ns = 250 * kMs;
  Summary s = simulate(p).summary;
  EXPECT_DOUBLE_EQ(*s.time_to_all_ms, 2250);  // 1s + 250ms timeout + 1s
  EXPECT_EQ(s.dropped, 10u);
  EXPECT_EQ(s.timeouts, 10u);
  EXPECT_EQ(s.rejected, 0u);
}

TEST(Simulator, AttemptsDuringTheOutageFail) {
  SimParams p = fixed_delay(10, 100 * kMs);
  p.disconnect.outage_ns = 1 * kSec;
  p.disconnect.flap_interval_ns = 2 * kSec;
  Summary s = simulate(p).summary;
  EXPECT_DOUBLE_EQ(*s.time_to_all_ms, 1000);
  EXPECT_EQ(s.failed, 90u);
  EXPECT_EQ(s.attempts, 100u);
}

TEST(Simulator, AFlapTrainCountsTheLastReconnect) {
  SimParams p = fixed_delay(50, 100 * kMs);
  p.disconnect.flaps = 3;
  p.disconnect.flap_interval_ns = 1 * kSec;
  Summary s = simulate(p).summary;
  EXPECT_DOUBLE_EQ(*s.time_to_all_ms, 2100);
  EXPECT_EQ(s.attempts, 150u);
}

TEST(Simulator, SpreadDisconnectsFinishWithinSpreadPlusDelay) {
  SimParams p = fixed_delay(10'000, 100 * kMs);
  p.disconnect.spread = Spread::uniform;
  p.disconnect.spread_ns = 1 * kSec;
  Summary s = simulate(p).summary;
  EXPECT_GT(*s.time_to_all_ms, 1050);
  EXPECT_LT(*s.time_to_all_ms, 1100);
  EXPECT_NEAR(*s.time_to_50_ms, 600, 20);
}

TEST(Simulator, SameSeedSameRunOtherSeedOtherRun) {
  SimParams p;
  p.clients = 20'000;
  p.server.capacity_per_s = 5000;
  p.server.rate_limit_per_s = 8000;
  auto a = simulate(p), b = simulate(p);
  EXPECT_EQ(a.summary.time_to_all_ms, b.summary.time_to_all_ms);
  EXPECT_EQ(a.summary.attempts, b.summary.attempts);
  ASSERT_EQ(a.buckets.size(), b.buckets.size());
  for (size_t i = 0; i < a.buckets.size(); ++i)
    EXPECT_EQ(a.buckets[i].connects, b.buckets[i].connects);
  p.seed = 2;
  auto c = simulate(p);
  EXPECT_NE(a.summary.time_to_all_ms, c.summary.time_to_all_ms);
}

TEST(Simulator, EveryPolicyGetsEveryoneBackUnderLoad) {
  for (PolicyKind k : all_policies()) {
    SimParams p;
    p.clients = 2000;
    p.policy = Policy{k, 50 * kMs, 5 * kSec, 0};
    p.server.capacity_per_s = 1000;
    p.server.backlog = 200;
    p.rtt_ns = 5 * kMs;
    Summary s = simulate(p).summary;
    EXPECT_TRUE(s.complete) << s.policy;
    EXPECT_EQ(s.back, 2000u) << s.policy;
    EXPECT_GE(*s.time_to_all_ms, 2000) << s.policy;  // capacity bound: N / C
    EXPECT_EQ(s.attempts - s.wasted, 2000u) << s.policy;
  }
}

TEST(Simulator, StopsAtTheEventCapAndReportsIncomplete) {
  SimParams p = fixed_delay(1000, 0);
  p.policy.kind = PolicyKind::immediate;
  p.server.rate_limit_per_s = 1;
  p.server.burst = 1;
  p.rtt_ns = 1 * kMs;
  p.max_events = 100'000;
  RunResult r = simulate(p);
  EXPECT_FALSE(r.summary.complete);
  EXPECT_FALSE(r.summary.time_to_all_ms);
  EXPECT_LE(r.summary.events, 100'000u + 4);
}

TEST(Simulator, BadParametersAreUsageErrors) {
  auto bad = [](auto change) {
    SimParams p;
    change(p);
    EXPECT_THROW(validate(p), ss::UsageError);
  };
  bad([](SimParams& p) { p.clients = 0; });
  bad([](SimParams& p) { p.server.capacity_per_s = -1; });
  bad([](SimParams& p) { p.server.rate_limit_per_s = -5; });
  bad([](SimParams& p) { p.policy.cap_ns = p.policy.base_ns - 1; });
  bad([](SimParams& p) { p.server.action = LimitAction::drop; });  // drop without a timeout
  bad([](SimParams& p) { p.disconnect.flaps = 0; });
  bad([](SimParams& p) { p.server.backlog = 0; });
  EXPECT_NO_THROW(validate(SimParams{}));
}

TEST(Simulator, StateStaysSmallPerClient) {
  SimParams p;
  p.clients = 200'000;
  p.server.capacity_per_s = 50'000;
  EXPECT_LE(state_bytes_per_client(p), 64.0);
}
