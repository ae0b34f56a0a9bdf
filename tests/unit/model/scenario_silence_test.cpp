// The survival rule's scenario options: silence_factor on the stream probes (the silence bound
// is factor x interval) and late_send_at on tcp-idle and tcp-inflight.
#include <gtest/gtest.h>

#include "scenario_error.hpp"

#include "model/errors.hpp"
#include "model/scenario.hpp"

namespace {

ss::ProbeSpec only_probe(const std::string& toml) {
  const ss::Scenario s = ss::parse_scenario("name = \"x\"\n" + toml, "x.toml");
  EXPECT_EQ(s.probes.size(), 1u);
  return s.probes.empty() ? ss::ProbeSpec{} : s.probes[0];
}

std::string usage_error(const std::string& toml) {
  return ss::test::scenario_error("name = \"x\"\n" + toml, "x.toml", "accepted");
}

}  // namespace

TEST(ScenarioSilence, DefaultBoundIsTenIntervalsAndMoshsIsAboveItsHeartbeat) {
  EXPECT_EQ(ss::silence_bound(only_probe("[probes.tcp]\n")), ss::Micros(1'000'000));
  EXPECT_EQ(ss::silence_bound(only_probe("[probes.quic]\ninterval = \"50ms\"\n")),
            ss::Micros(500'000));
  EXPECT_EQ(ss::silence_bound(only_probe("[probes.mosh]\n")), ss::Micros(3'500'000));
}

TEST(ScenarioSilence, TheFactorIsRead) {
  const auto p = only_probe("[probes.ssh]\ninterval = \"200ms\"\nsilence_factor = 4\n");
  EXPECT_EQ(p.silence.factor, 4);
  EXPECT_EQ(ss::silence_bound(p), ss::Micros(800'000));
}

TEST(ScenarioSilence, TheFactorIsForStreamProbesOnlyAndInRange) {
  EXPECT_NE(usage_error("[probes.dns]\nsilence_factor = 3\n").find("probes.dns.silence_factor"),
            std::string::npos);
  EXPECT_NE(usage_error("[probes.tcp]\nsilence_factor = 0\n").find("out of range"),
            std::string::npos);
  EXPECT_NE(usage_error("[probes.websocket]\nsilence_factor = \"x\"\n").find("an integer"),
            std::string::npos);
}

TEST(ScenarioSilence, LateSendDefaultsToOneSecondBeforeTheEnd) {
  const auto p = only_probe("[probes.tcp-idle]\n");
  EXPECT_EQ(ss::late_send_at(p, ss::Micros(5'000'000)), ss::Micros(4'000'000));
  EXPECT_EQ(ss::late_send_at(p, ss::Micros(1'000'000)), ss::Micros(500'000));  // short window
}

TEST(ScenarioSilence, LateSendAtIsReadAndMustFallInsideTheWindow) {
  const auto p = only_probe("[probes.tcp-inflight]\nlate_send_at = \"2s\"\n");
  EXPECT_EQ(p.silence.late_send_at, ss::Micros(2'000'000));
  EXPECT_EQ(ss::late_send_at(p, ss::Micros(5'000'000)), ss::Micros(2'000'000));
  EXPECT_EQ(ss::late_send_at(p, ss::Micros(2'000'000)), ss::Micros(1'000'000));  // not inside
}

TEST(ScenarioSilence, LateSendAtIsOnlyForTheIdleAndInflightProbes) {
  EXPECT_NE(usage_error("[probes.tcp]\nlate_send_at = \"2s\"\n").find("probes.tcp.late_send_at"),
            std::string::npos);
  EXPECT_NE(usage_error("[probes.tcp-idle]\nlate_send_at = \"soon\"\n").find("not a duration"),
            std::string::npos);
}
