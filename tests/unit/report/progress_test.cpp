#include "report/progress.hpp"

#include <gtest/gtest.h>

namespace {

using ss::report::progress_line;

TEST(Progress, NoEstimateBeforeTheFirstItemFinishes) {
  EXPECT_EQ(progress_line(0, 16, "running 'clean'", 0.0), "[1/16] running 'clean'");
  EXPECT_EQ(progress_line(0, 16, "running 'clean'", 12.0), "[1/16] running 'clean'");
}

TEST(Progress, TimeLeftFromTheItemsFinished) {
  // 4 of 16 in 20 s: 5 s each, 12 to go.
  EXPECT_EQ(progress_line(4, 16, "running 'crash@wg-quick'", 20.0),
            "[5/16] running 'crash@wg-quick'; about 1 min left");
  EXPECT_EQ(progress_line(1, 100, "lab 2", 6.0), "[2/100] lab 2; about 10 min left");
  EXPECT_EQ(progress_line(1, 2000, "lab 2", 6.0), "[2/2000] lab 2; about 3.3 h left");
}

TEST(Progress, NothingRunningAfterAnItemOrWhenDone) {
  EXPECT_EQ(progress_line(3, 10, "", 9.0), "[3/10]; about 21 s left");
  EXPECT_EQ(progress_line(10, 10, "", 95.2), "[10/10]; done in 2 min");
}

}  // namespace
