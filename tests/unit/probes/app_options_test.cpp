#include "probes/app_options.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "model/errors.hpp"

namespace ss::probes {
namespace {

using namespace std::chrono_literals;

ReconnectPolicy backoff(Micros base, Micros cap) {
  ReconnectPolicy p;
  p.kind = ReconnectPolicy::Kind::backoff;
  p.base = base;
  p.cap = cap;
  return p;
}

TEST(ReconnectKind, ParsesTheTwoPolicies) {
  EXPECT_EQ(parse_reconnect_kind("none", "--reconnect"), ReconnectPolicy::Kind::none);
  EXPECT_EQ(parse_reconnect_kind("backoff", "--reconnect"), ReconnectPolicy::Kind::backoff);
}

TEST(ReconnectKind, RejectsAnythingElseNamingTheOption) {
  try {
    parse_reconnect_kind("sometimes", "--reconnect");
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--reconnect"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("sometimes"), std::string::npos);
  }
}

TEST(Backoff, CeilingDoublesFromBaseUpToCap) {
  auto p = backoff(100ms, 2s);
  EXPECT_EQ(backoff_ceiling(p, 1), 100ms);
  EXPECT_EQ(backoff_ceiling(p, 2), 200ms);
  EXPECT_EQ(backoff_ceiling(p, 5), 1600ms);
  EXPECT_EQ(backoff_ceiling(p, 6), 2s);
  EXPECT_EQ(backoff_ceiling(p, 7), 2s);
}

TEST(Backoff, CeilingNeverOverflowsForLargeAttempts) {
  auto p = backoff(1ms, 10s);
  EXPECT_EQ(backoff_ceiling(p, 1000), 10s);
  EXPECT_EQ(backoff_ceiling(p, 0), 0us);
}

TEST(Backoff, FullJitterScalesTheCeilingByTheUnitDraw) {
  auto p = backoff(100ms, 2s);
  EXPECT_EQ(backoff_delay(p, 3, 0.0), 0us);
  EXPECT_EQ(backoff_delay(p, 3, 0.5), 200ms);
  EXPECT_EQ(backoff_delay(p, 10, 0.25), 500ms);
  EXPECT_LE(backoff_delay(p, 10, 7.0), 2s);  // an out-of-range draw is clamped
}

TEST(ErrorLabel, ErrnoValuesGetTheirNames) {
  EXPECT_EQ(error_label(true, ECONNRESET, "Connection reset by peer"), "ECONNRESET");
  EXPECT_EQ(error_label(true, ETIMEDOUT, "Connection timed out"), "ETIMEDOUT");
}

TEST(ErrorLabel, OtherCategoriesKeepTheLibraryMessage) {
  EXPECT_EQ(error_label(false, 2, "End of file"), "End of file");
}

}  // namespace
}  // namespace ss::probes
