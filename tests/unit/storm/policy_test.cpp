#include "storm/policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace ss::storm;

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int kDraws = 20'000;

Policy make(PolicyKind k) {
  return Policy{k, 10 * kMs, 1000 * kMs, 0};
}

// kDraws delays for attempt n, each from a fresh decorrelated memory of `sleep`.
std::vector<int64_t> draws(const Policy& p, uint32_t n, uint64_t seed, int64_t sleep) {
  Rng rng(seed);
  std::vector<int64_t> v;
  for (int i = 0; i < kDraws; ++i) {
    int64_t s = sleep;
    v.push_back(backoff_delay(p, n, s, rng));
  }
  return v;
}

double mean(const std::vector<int64_t>& v) {
  double sum = 0;
  for (auto x : v) sum += static_cast<double>(x);
  return sum / static_cast<double>(v.size());
}

}  // namespace

TEST(Policy, NamesRoundTripAndUnknownIsRejected) {
  for (PolicyKind k : all_policies()) EXPECT_EQ(parse_policy_kind(policy_name(k)), k);
  EXPECT_EQ(all_policies().size(), 6u);
  EXPECT_FALSE(parse_policy_kind("jitter"));
  EXPECT_FALSE(parse_policy_kind(""));
}

TEST(Policy, ImmediateAndFixedAreConstant) {
  Rng rng(1);
  int64_t s = 0;
  for (uint32_t n = 0; n < 10; ++n) {
    EXPECT_EQ(backoff_delay(make(PolicyKind::immediate), n, s, rng), 0);
    EXPECT_EQ(backoff_delay(make(PolicyKind::fixed), n, s, rng), 10 * kMs);
  }
}

TEST(Policy, ExponentialDoublesUpToTheCap) {
  Rng rng(1);
  int64_t s = 0;
  Policy p = make(PolicyKind::exponential);
  EXPECT_EQ(backoff_delay(p, 0, s, rng), 10 * kMs);
  EXPECT_EQ(backoff_delay(p, 1, s, rng), 20 * kMs);
  EXPECT_EQ(backoff_delay(p, 6, s, rng), 640 * kMs);
  EXPECT_EQ(backoff_delay(p, 7, s, rng), 1000 * kMs);
  EXPECT_EQ(backoff_delay(p, 200, s, rng), 1000 * kMs);  // no overflow for large attempts
}

TEST(Policy, FullJitterIsUniformBelowTheExponential) {
  Policy p = make(PolicyKind::full_jitter);
  for (uint32_t n : {0u, 3u, 10u}) {
    double v = std::min(1000.0, 10.0 * std::pow(2, n)) * kMs;
    auto d = draws(p, n, 7, 0);
    EXPECT_GE(*std::min_element(d.begin(), d.end()), 0);
    EXPECT_LE(*std::max_element(d.begin(), d.end()), v);
    EXPECT_NEAR(mean(d), v / 2, v * 0.02) << "attempt " << n;
  }
}

TEST(Policy, EqualJitterKeepsHalfTheExponential) {
  Policy p = make(PolicyKind::equal_jitter);
  for (uint32_t n : {0u, 4u, 12u}) {
    double v = std::min(1000.0, 10.0 * std::pow(2, n)) * kMs;
    auto d = draws(p, n, 7, 0);
    EXPECT_GE(*std::min_element(d.begin(), d.end()), v / 2 - 1);
    EXPECT_LE(*std::max_element(d.begin(), d.end()), v);
    EXPECT_NEAR(mean(d), 0.75 * v, v * 0.02) << "attempt " << n;
  }
}

TEST(Policy, DecorrelatedDrawsBetweenBaseAndThreeTimesTheLastSleep) {
  Policy p = make(PolicyKind::decorrelated);
  auto d = draws(p, 0, 7, 40 * kMs);  // uniform(10ms, 120ms)
  EXPECT_GE(*std::min_element(d.begin(), d.end()), 10 * kMs);
  EXPECT_LE(*std::max_element(d.begin(), d.end()), 120 * kMs);
  EXPECT_NEAR(mean(d), 65.0 * kMs, 65.0 * kMs * 0.02);
  auto capped = draws(p, 0, 7, 900 * kMs);  // uniform(10ms, 2.7s) capped at 1s
  EXPECT_EQ(*std::max_element(capped.begin(), capped.end()), 1000 * kMs);
}

TEST(Policy, DecorrelatedRemembersItsLastSleep) {
  Policy p = make(PolicyKind::decorrelated);
  Rng rng(3);
  int64_t sleep = p.base_ns;
  for (int i = 0; i < 100; ++i) {
    int64_t before = sleep;
    int64_t d = backoff_delay(p, 0, sleep, rng);
    EXPECT_EQ(d, sleep);
    EXPECT_LE(d, std::min(p.cap_ns, 3 * before));
  }
}

TEST(Policy, SameSeedSameDelaysOtherSeedOtherDelays) {
  for (PolicyKind k :
       {PolicyKind::full_jitter, PolicyKind::equal_jitter, PolicyKind::decorrelated}) {
    Policy p = make(k);
    EXPECT_EQ(draws(p, 3, 42, p.base_ns), draws(p, 3, 42, p.base_ns));
    EXPECT_NE(draws(p, 3, 42, p.base_ns), draws(p, 3, 43, p.base_ns));
  }
}
