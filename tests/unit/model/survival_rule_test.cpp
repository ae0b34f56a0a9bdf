// The one survival rule, from hand-built traces: every outcome, and where the silence is.
#include "model/survival_rule.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ss {
namespace {

constexpr int64_t kMs = 1'000'000;
const Window kWindow{1'000 * kMs, 1'020 * kMs, 4'000 * kMs};  // t=0 at 1 s, trigger took 20 ms

StreamTrace every_100ms(int64_t from_ms, int64_t to_ms, int64_t rtt_ms = 1) {
  StreamTrace t;
  t.silence_bound_ns = 1'000 * kMs;
  for (int64_t at = from_ms; at < to_ms; at += 100)
    t.answers.push_back({at * kMs, (at - rtt_ms) * kMs});
  return t;
}

TEST(SurvivalRule, SteadyAnswersAreYes) {
  const Survival s = judge_stream(every_100ms(500, 4000), kWindow);
  EXPECT_EQ(s.outcome, Outcome::yes);
  EXPECT_EQ(s.round_trip_ns, 1'100 * kMs);  // the answer at 1000 ms was sent before 1020 ms
  EXPECT_EQ(s.longest_silence_ns, 100 * kMs);
  EXPECT_FALSE(s.silence_to_end);
}

TEST(SurvivalRule, OneAnswerThenSilenceIsPartial) {
  const Survival s = judge_stream(every_100ms(500, 1200), kWindow);
  EXPECT_EQ(s.outcome, Outcome::partial);
  EXPECT_EQ(s.longest_silence_ns, 2'900 * kMs);
  EXPECT_EQ(s.silence_from_ns, 1'100 * kMs);
  EXPECT_TRUE(s.silence_to_end);
}

TEST(SurvivalRule, DataSentExactlyAtTheTriggersEndCounts) {
  StreamTrace t = every_100ms(500, 1000);
  t.answers.push_back({1'021 * kMs, 1'020 * kMs});
  t.silence_bound_ns = 5'000 * kMs;
  EXPECT_EQ(judge_stream(t, kWindow).outcome, Outcome::yes);
  t.answers.back().sent_ns = 1'020 * kMs - 1;
  EXPECT_EQ(judge_stream(t, kWindow).outcome, Outcome::no);
}

TEST(SurvivalRule, AnswersWithoutASendTimeShortenTheSilenceOnly) {
  StreamTrace t = every_100ms(500, 4000);
  for (auto& a : t.answers) a.sent_ns.reset();
  const Survival s = judge_stream(t, kWindow);
  EXPECT_EQ(s.outcome, Outcome::no);
  EXPECT_EQ(s.longest_silence_ns, 100 * kMs);
}

TEST(SurvivalRule, AnErrorAfterTheRoundTripIsPartialAndBeforeT0IsIgnored) {
  StreamTrace t = every_100ms(500, 4000);
  t.error_ns = 999 * kMs;
  EXPECT_EQ(judge_stream(t, kWindow).outcome, Outcome::yes);
  t.error_ns = 3'000 * kMs;
  EXPECT_EQ(judge_stream(t, kWindow).outcome, Outcome::partial);
  t.error_ns = 4'001 * kMs;  // after the window
  EXPECT_EQ(judge_stream(t, kWindow).outcome, Outcome::yes);
}

TEST(SurvivalRule, OrderOfAnswersDoesNotMatterAndLateOnesAreLeftOut) {
  StreamTrace t = every_100ms(500, 4000);
  std::reverse(t.answers.begin(), t.answers.end());
  t.answers.push_back({4'500 * kMs, 4'499 * kMs});
  const Survival s = judge_stream(t, kWindow);
  EXPECT_EQ(s.outcome, Outcome::yes);
  EXPECT_EQ(s.longest_silence_ns, 100 * kMs);
}

TEST(SurvivalRule, QuietUntilStartsTheWatchedSpan) {
  StreamTrace t;
  t.silence_bound_ns = 1'000 * kMs;
  t.answers.push_back({3'500 * kMs, 3'499 * kMs});
  t.quiet_until_ns = 3'499 * kMs;
  Survival s = judge_stream(t, kWindow);
  EXPECT_EQ(s.outcome, Outcome::yes);
  EXPECT_EQ(s.longest_silence_ns, 500 * kMs);
  t.quiet_until_ns = kWindow.end_ns;  // never sent: nothing watched, nothing came back
  t.answers.clear();
  s = judge_stream(t, kWindow);
  EXPECT_EQ(s.outcome, Outcome::no);
  EXPECT_EQ(s.longest_silence_ns, 0);
}

TEST(SurvivalRule, TheFateCarriesTheOutcomeAndTheFigures) {
  ProbeFate f;
  const StreamTrace t = every_100ms(500, 1200);
  judge_into(f, t, kWindow);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "partial");
  EXPECT_EQ(f.extra["state"], "interrupted");
  EXPECT_DOUBLE_EQ(f.extra["trigger_end_ms"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(f.extra["silence_bound_ms"].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2900.0);
  EXPECT_DOUBLE_EQ(f.extra["silence_started_ms"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(f.extra["round_trip_after_ms"].get<double>(), 100.0);
  EXPECT_EQ(f.extra["silence_to_end"], true);
}

}  // namespace
}  // namespace ss

namespace ss {
namespace {

std::pair<int64_t, Event> link_event(int64_t t_ns, const char* kind, const char* ifname) {
  Event e;
  e.layer = Layer::link;
  e.kind = kind;
  e.detail = {{"ifname", ifname}, {"index", 3}, {"up", false}, {"lower_up", false}};
  return {t_ns, e};
}

constexpr int64_t kT0 = 1'000 * kMs, kCall = kT0 + 3 * kMs, kEnd = kT0 + 3'000 * kMs;

TEST(TriggerEnd, CleanAndKeepInterfaceEndWhenTheCallReturns) {
  const auto e =
      trigger_end(false, {link_event(kT0 + 9 * kMs, "removed", "tun0")}, "tun0", kT0, kCall, kEnd);
  EXPECT_EQ(e.at_ns, kCall);
  EXPECT_STREQ(e.by, "call");
}

TEST(TriggerEnd, ACrashEndsWhenTheTunnelLinkIsSeenRemoved) {
  const std::vector<std::pair<int64_t, Event>> events = {
      link_event(kT0 - 5 * kMs, "removed", "tun0"),  // before t=0: another run's, not this one
      link_event(kT0 + 4 * kMs, "down", "tun0"), link_event(kT0 + 5 * kMs, "removed", "veth9"),
      link_event(kT0 + 7 * kMs, "removed", "tun0"), link_event(kT0 + 8 * kMs, "removed", "tun0")};
  const auto e = trigger_end(true, events, "tun0", kT0, kCall, kEnd);
  EXPECT_EQ(e.at_ns, kT0 + 7 * kMs);
  EXPECT_STREQ(e.by, "link-removed");
}

TEST(TriggerEnd, ACrashWhoseLinkNeverGoesEndsWithTheWindow) {
  const std::vector<std::pair<int64_t, Event>> events = {link_event(kT0 + 4 * kMs, "down", "tun0"),
                                                         link_event(kEnd + 1, "removed", "tun0")};
  const auto e = trigger_end(true, events, "tun0", kT0, kCall, kEnd);
  EXPECT_EQ(e.at_ns, kEnd);
  EXPECT_STREQ(e.by, "window-end");
}

}  // namespace
}  // namespace ss
