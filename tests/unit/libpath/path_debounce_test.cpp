// The debouncer (time passed in): a burst is released once it has been quiet, or at the latest
// max_delay after its first change.
#include "debounce.hpp"

#include <gtest/gtest.h>

namespace ss::path {
namespace {

constexpr int64_t ms = 1'000'000;

TEST(PathDebounce, NothingHeldNothingDue) {
  Debouncer d(250 * ms, 1000 * ms);
  EXPECT_FALSE(d.holding());
  EXPECT_FALSE(d.due_at());
  EXPECT_FALSE(d.due(1'000'000 * ms));
}

TEST(PathDebounce, ASingleChangeIsDueAfterTheQuietTime) {
  Debouncer d(250 * ms, 1000 * ms);
  d.note(100 * ms);
  EXPECT_EQ(*d.due_at(), 350 * ms);
  EXPECT_FALSE(d.due(349 * ms));
  EXPECT_TRUE(d.due(350 * ms));
}

TEST(PathDebounce, EachChangePushesTheDeadline) {
  Debouncer d(250 * ms, 1000 * ms);
  d.note(0);
  d.note(200 * ms);
  EXPECT_FALSE(d.due(300 * ms));
  EXPECT_EQ(*d.due_at(), 450 * ms);
  EXPECT_TRUE(d.due(450 * ms));
}

TEST(PathDebounce, AFloodIsReleasedAtMaxDelay) {
  Debouncer d(250 * ms, 1000 * ms);
  for (int64_t t = 0; t <= 2000 * ms; t += 100 * ms) {
    d.note(t);
    if (d.due(t)) {
      EXPECT_EQ(t, 1000 * ms);
      return;
    }
  }
  FAIL() << "a change every 100 ms was never released";
}

TEST(PathDebounce, ReleasedStartsANewBurst) {
  Debouncer d(250 * ms, 1000 * ms);
  d.note(0);
  ASSERT_TRUE(d.due(250 * ms));
  d.released();
  EXPECT_FALSE(d.holding());
  d.note(5000 * ms);
  EXPECT_EQ(*d.due_at(), 5250 * ms);
}

}  // namespace
}  // namespace ss::path
