// The backoff of include/splitsecond/path.h: bounds of every jitter kind, reproducible with a
// seed, and the growth the defaults (gRPC's numbers) give.
#include <gtest/gtest.h>

#include <set>

#include "splitsecond/path.h"

namespace {

ss_backoff make(ss_jitter jitter, uint64_t seed = 42) {
  ss_backoff_options o;
  ss_backoff_options_init(&o);
  o.jitter = jitter;
  o.seed = seed;
  ss_backoff b;
  ss_backoff_init(&b, &o);
  return b;
}

TEST(PathBackoff, DefaultsAreGrpcNumbers) {
  ss_backoff_options o;
  ss_backoff_options_init(&o);
  EXPECT_EQ(o.initial_ms, 1000u);
  EXPECT_DOUBLE_EQ(o.multiplier, 1.6);
  EXPECT_EQ(o.max_ms, 120000u);
  EXPECT_DOUBLE_EQ(o.jitter_fraction, 0.2);
  EXPECT_EQ(o.jitter, SS_JITTER_FULL);
}

TEST(PathBackoff, NoJitterGrowsByTheMultiplierUpToTheCap) {
  ss_backoff b = make(SS_JITTER_NONE);
  EXPECT_EQ(ss_backoff_next_ms(&b), 1000u);
  EXPECT_EQ(ss_backoff_next_ms(&b), 1600u);
  EXPECT_EQ(ss_backoff_next_ms(&b), 2560u);
  uint32_t last = 0;
  for (int i = 0; i < 30; ++i) last = ss_backoff_next_ms(&b);
  EXPECT_EQ(last, 120000u);
}

TEST(PathBackoff, ResetStartsAgainFromInitial) {
  ss_backoff b = make(SS_JITTER_NONE);
  for (int i = 0; i < 5; ++i) ss_backoff_next_ms(&b);
  ss_backoff_reset(&b);
  EXPECT_EQ(ss_backoff_next_ms(&b), 1000u);
}

TEST(PathBackoff, FullJitterStaysBetweenZeroAndTheExponentialDelay) {
  ss_backoff b = make(SS_JITTER_FULL);
  double ceiling = 1000;
  bool below_half = false;
  for (int i = 0; i < 40; ++i) {
    const uint32_t d = ss_backoff_next_ms(&b);
    EXPECT_LE(d, static_cast<uint32_t>(std::min(ceiling, 120000.0) + 0.5)) << "attempt " << i;
    if (d < std::min(ceiling, 120000.0) / 2) below_half = true;
    ceiling *= 1.6;
  }
  EXPECT_TRUE(below_half) << "full jitter never went below half the delay in 40 draws";
}

TEST(PathBackoff, DecorrelatedJitterStaysBetweenInitialAndThreeTimesThePreviousAndTheCap) {
  ss_backoff b = make(SS_JITTER_DECORRELATED);
  uint32_t previous = 1000;
  for (int i = 0; i < 60; ++i) {
    const uint32_t d = ss_backoff_next_ms(&b);
    EXPECT_GE(d, 1000u);
    EXPECT_LE(d, std::min<uint32_t>(120000u, 3 * previous + 1));
    previous = d;
  }
}

TEST(PathBackoff, ProportionalJitterIsGrpcsPlusMinusTwentyPercent) {
  ss_backoff b = make(SS_JITTER_PROPORTIONAL);
  double base = 1000;
  std::set<uint32_t> seen;
  for (int i = 0; i < 30; ++i) {
    const double capped = std::min(base, 120000.0);
    const uint32_t d = ss_backoff_next_ms(&b);
    EXPECT_GE(d, static_cast<uint32_t>(capped * 0.8 - 0.5));
    EXPECT_LE(d, static_cast<uint32_t>(capped * 1.2 + 0.5));
    seen.insert(d);
    base *= 1.6;
  }
  EXPECT_GT(seen.size(), 10u);
}

TEST(PathBackoff, TheSameSeedGivesTheSameDelaysAndAnotherSeedOthers) {
  for (ss_jitter j : {SS_JITTER_FULL, SS_JITTER_DECORRELATED, SS_JITTER_PROPORTIONAL}) {
    ss_backoff a = make(j, 7), b = make(j, 7), c = make(j, 8);
    bool differs = false;
    for (int i = 0; i < 10; ++i) {
      const uint32_t x = ss_backoff_next_ms(&a);
      EXPECT_EQ(x, ss_backoff_next_ms(&b));
      if (x != ss_backoff_next_ms(&c)) differs = true;
    }
    EXPECT_TRUE(differs) << "jitter kind " << j;
  }
}

TEST(PathBackoff, NullOptionsAreTheDefaults) {
  ss_backoff b;
  ss_backoff_init(&b, nullptr);
  EXPECT_EQ(b.options.initial_ms, 1000u);
  EXPECT_LE(ss_backoff_next_ms(&b), 1000u);
}

TEST(PathBackoff, NonsenseOptionsAreClamped) {
  ss_backoff_options o;
  ss_backoff_options_init(&o);
  o.jitter = SS_JITTER_NONE;
  o.multiplier = 0.5;  // would shrink
  o.max_ms = 10;       // below initial
  o.seed = 1;
  ss_backoff b;
  ss_backoff_init(&b, &o);
  EXPECT_EQ(ss_backoff_next_ms(&b), 1000u);
  EXPECT_EQ(ss_backoff_next_ms(&b), 1000u);
}

}  // namespace
