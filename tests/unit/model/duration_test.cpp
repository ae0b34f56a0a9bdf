#include "model/duration.hpp"

#include <gtest/gtest.h>

using ss::Micros;
using ss::parse_duration;

TEST(Duration, ParsesUnitsUsersWrite) {
  EXPECT_EQ(parse_duration("200ms"), Micros(200'000));
  EXPECT_EQ(parse_duration("3s"), Micros(3'000'000));
  EXPECT_EQ(parse_duration("1.5s"), Micros(1'500'000));
  EXPECT_EQ(parse_duration("250us"), Micros(250));
  EXPECT_EQ(parse_duration("2m"), Micros(120'000'000));
}

TEST(Duration, RejectsMissingOrUnknownUnitAndNegatives) {
  EXPECT_FALSE(parse_duration("200"));
  EXPECT_FALSE(parse_duration("3 s"));
  EXPECT_FALSE(parse_duration("3h"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("ms"));
}

TEST(Duration, FormatsShortestExactForm) {
  EXPECT_EQ(ss::format_duration(Micros(3'000'000)), "3s");
  EXPECT_EQ(ss::format_duration(Micros(200'000)), "200ms");
  EXPECT_EQ(ss::format_duration(Micros(1'500'000)), "1500ms");
  EXPECT_EQ(ss::format_duration(Micros(7)), "7us");
}
