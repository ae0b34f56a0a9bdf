#include "storm/token_bucket.hpp"

#include <gtest/gtest.h>

using ss::storm::TokenBucket;

constexpr int64_t kSec = 1'000'000'000;

TEST(TokenBucket, StartsFullAndEmptiesAfterTheBurst) {
  TokenBucket b(10, 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.try_take(0)) << i;
  EXPECT_FALSE(b.try_take(0));
}

TEST(TokenBucket, RefillsAtTheRate) {
  TokenBucket b(10, 5);
  for (int i = 0; i < 5; ++i) b.try_take(0);
  EXPECT_FALSE(b.try_take(kSec / 10 - 1));
  EXPECT_TRUE(b.try_take(kSec / 10));  // one token per 100ms
  EXPECT_FALSE(b.try_take(kSec / 10));
  EXPECT_NEAR(b.available(kSec / 10 + kSec / 20), 0.5, 1e-9);
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
  TokenBucket b(1000, 3);
  EXPECT_DOUBLE_EQ(b.available(100 * kSec), 3);
  int taken = 0;
  for (int i = 0; i < 10; ++i) taken += b.try_take(100 * kSec);
  EXPECT_EQ(taken, 3);
}

TEST(TokenBucket, AdmitsBurstPlusRateTimesTimeWhenHammered) {
  TokenBucket b(100, 20);
  int taken = 0;
  for (int64_t t = 0; t <= 2 * kSec; t += kSec / 1000) taken += b.try_take(t);  // 1000/s offered
  EXPECT_EQ(taken, 20 + 200);
}

TEST(TokenBucket, ZeroRateMeansNoLimitAndResetRefills) {
  TokenBucket open(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(open.try_take(0));
  TokenBucket b(1, 2);
  b.try_take(0);
  b.try_take(0);
  EXPECT_FALSE(b.try_take(0));
  b.reset(0);
  EXPECT_TRUE(b.try_take(0));
}
