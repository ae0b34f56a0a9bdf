// Time to detect: the kernel's retries bound and the detect probes' fates and table, from
// hand-built agent lines (docs/agents.md), t=0 passed in.
#include "model/detect.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

using nlohmann::json;
using ss::AgentLines;
using ss::detect_fate;
using ss::retries_timeout_ms;

namespace {

constexpr int64_t kMs = 1'000'000;        // ns
constexpr int64_t kT0 = 5'000'000 * kMs;  // a CLOCK_MONOTONIC value, well above 0
const ss::Window kWindow{kT0, kT0 + 15 * kMs, kT0 + 7'000 * kMs};  // the call took 15 ms

json line(int64_t t_ns, const std::string& kind, json fields = json::object()) {
  fields["t_ns"] = t_ns;
  fields["agent"] = "tcp-client";
  fields["kind"] = kind;
  return fields;
}

json ready(json settings = json::object()) {
  settings["local"] = "10.8.0.42:50444";
  settings["tcp_retries2"] = 15;
  return line(kT0 - 600 * kMs, "ready", settings);
}

// A client that sent right after the disconnect (send-on-signal) and never heard back.
AgentLines sent_and_waited(json settings = json::object()) {
  return {ready(std::move(settings)), line(kT0 + 16 * kMs, "sending")};
}

}  // namespace

TEST(RetriesTimeout, DefaultRetries2Is924Point6Seconds) {
  EXPECT_DOUBLE_EQ(retries_timeout_ms(15), 924'600.0);
}

TEST(RetriesTimeout, SmallValuesDoubleFromRtoMin) {
  EXPECT_DOUBLE_EQ(retries_timeout_ms(0), 200.0);       // (2 << 0) - 1 = 1 RTO
  EXPECT_DOUBLE_EQ(retries_timeout_ms(1), 600.0);       // 200 + 400
  EXPECT_DOUBLE_EQ(retries_timeout_ms(3), 3'000.0);     // 200 + 400 + 800 + 1600
  EXPECT_DOUBLE_EQ(retries_timeout_ms(9), 204'600.0);   // the last doubling: thresh = ilog2(600)
  EXPECT_DOUBLE_EQ(retries_timeout_ms(10), 324'600.0);  // then TCP_RTO_MAX each
  EXPECT_DOUBLE_EQ(retries_timeout_ms(8), 102'200.0);   // tcp_retries1's bound, for comparison
}

TEST(RetriesTimeout, ALargerRtoMinMovesTheThreshold) {
  // rto_min 1 s: thresh = ilog2(120) = 6; 127 s, then 120 s per retry
  EXPECT_DOUBLE_EQ(retries_timeout_ms(6, 1'000.0), 127'000.0);
  EXPECT_DOUBLE_EQ(retries_timeout_ms(8, 1'000.0), 367'000.0);
}

TEST(DetectFate, AnErrorInTheWindowIsTimedFromTheDisconnectsCompletion) {
  AgentLines lines = sent_and_waited({{"user_timeout_ms", 2000}});
  lines.push_back(line(kT0 + 2'215 * kMs, "error", {{"error", "ETIMEDOUT"}, {"op", "recv"}}));
  const auto f = detect_fate("detect-user-timeout", lines, kWindow);
  ASSERT_TRUE(f.error);
  EXPECT_EQ(*f.error, "ETIMEDOUT");
  EXPECT_FALSE(f.survived);
  const auto& d = f.extra["detect"];
  EXPECT_EQ(d["method"], "TCP_USER_TIMEOUT");
  EXPECT_EQ(d["how"], "ETIMEDOUT");
  EXPECT_DOUBLE_EQ(d["after_ms"].get<double>(), 2'200.0);
  EXPECT_DOUBLE_EQ(d["after_t0_ms"].get<double>(), 2'215.0);
  EXPECT_TRUE(d["sent_after_t0"].get<bool>());
  EXPECT_DOUBLE_EQ(d["predicted_ms"].get<double>(), 2'000.0);
}

TEST(DetectFate, NothingInTheWindowPredictsTheRetriesBoundForDataInFlight) {
  const auto f = detect_fate("detect-default", sent_and_waited(), kWindow);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.survived);
  const auto& d = f.extra["detect"];
  EXPECT_FALSE(d.contains("after_ms"));
  EXPECT_DOUBLE_EQ(d["predicted_ms"].get<double>(), 924'600.0);
  EXPECT_EQ(d["predicted_by"], "tcp_retries2 = 15");
}

TEST(DetectFate, KeepaliveWithDataInFlightIsBoundByTheRetriesNotTheKeepalive) {
  const json ka = {{"keepalive", {{"idle_ms", 1000}, {"intvl_ms", 1000}, {"cnt", 3}}}};
  const auto busy = detect_fate("detect-keepalive-inflight", sent_and_waited(ka), kWindow);
  EXPECT_EQ(busy.extra["detect"]["predicted_by"], "tcp_retries2 = 15");
  const auto idle = detect_fate("detect-keepalive", {ready(ka)}, kWindow);
  EXPECT_FALSE(idle.extra["detect"]["sent_after_t0"].get<bool>());
  EXPECT_DOUBLE_EQ(idle.extra["detect"]["predicted_ms"].get<double>(), 4'000.0);
}

TEST(DetectFate, AnIdleConnectionWithoutKeepaliveHasNoPrediction) {
  const auto f = detect_fate("detect-default", {ready()}, kWindow);
  EXPECT_FALSE(f.extra["detect"].contains("predicted_ms"));
  EXPECT_EQ(f.extra["detect"].value("predicted_by", ""),
            "idle without keepalive: no timer of the kernel ends it");
  // Without the client's settings in its ready line, nothing is said either way.
  json bare = ready();
  bare.erase("tcp_retries2");
  const auto g = detect_fate("detect-default", {bare}, kWindow);
  EXPECT_FALSE(g.extra["detect"].contains("predicted_ms"));
  EXPECT_FALSE(g.extra["detect"].contains("predicted_by"));
}

TEST(DetectFate, ThePathCallbackCounts) {
  AgentLines lines = sent_and_waited({{"watch_path", true}});
  lines.push_back(line(kT0 + 14 * kMs, "path_lost", {{"how", "path callback"}}));
  const auto f = detect_fate("detect-library", lines, kWindow);
  ASSERT_TRUE(f.error);
  EXPECT_EQ(*f.error, "path callback");
  // Before the disconnect's call returned: a negative time, as measured.
  EXPECT_DOUBLE_EQ(f.extra["detect"]["after_ms"].get<double>(), -1.0);
}

TEST(DetectFate, LinesBeforeT0OrAfterTheWindowDoNotCount) {
  AgentLines lines = {ready(), line(kT0 - 100 * kMs, "error", {{"error", "ECONNRESET"}}),
                      line(kT0 + 7'001 * kMs, "error", {{"error", "ETIMEDOUT"}})};
  const auto f = detect_fate("detect-default", lines, kWindow);
  EXPECT_FALSE(f.error);
}

TEST(DetectFate, NoReadyLineIsAFailedSetUp) {
  const auto f = detect_fate("detect-reap",
                             {line(kT0 - 1, "setup_failed", {{"error", "ECONNREFUSED"}})}, kWindow);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_EQ(f.error.value_or(""), "ECONNREFUSED");
}

TEST(DetectTable, RatiosAgainstThePredictedDefault) {
  ss::RunRecord r;
  r.window_ms = 7'000;
  r.probes.push_back(detect_fate("detect-default", sent_and_waited(), kWindow));
  AgentLines reaped = sent_and_waited();
  reaped.push_back(line(kT0 + 15 * kMs + 500'000, "error", {{"error", "ECONNABORTED"}}));
  r.probes.push_back(detect_fate("detect-reap", reaped, kWindow));
  ss::ProbeFate other;
  other.name = "tcp";
  r.probes.push_back(other);
  const auto t = ss::detect_table(r);
  ASSERT_EQ(t.rows.size(), 2u);
  ASSERT_TRUE(t.default_ms);
  EXPECT_TRUE(t.default_predicted);
  EXPECT_DOUBLE_EQ(*t.default_ms, 924'600.0);
  EXPECT_FALSE(t.rows[0].after_ms);
  EXPECT_DOUBLE_EQ(t.rows[0].predicted_ms.value_or(0), 924'600.0);
  EXPECT_FALSE(t.rows[0].ratio);
  EXPECT_EQ(t.rows[1].how, "ECONNABORTED");
  EXPECT_DOUBLE_EQ(t.rows[1].after_ms.value_or(0), 0.5);
  EXPECT_DOUBLE_EQ(t.rows[1].ratio.value_or(0), 924'600.0 / 0.5);
}

TEST(DetectTable, BeforeTheCallReturnedTheRatioIsFromT0) {
  ss::RunRecord r;
  r.probes.push_back(detect_fate("detect-default", sent_and_waited(), kWindow));
  AgentLines lines = sent_and_waited({{"watch_path", true}});
  lines.push_back(line(kT0 + 5 * kMs, "path_lost", {{"how", "path callback"}}));
  r.probes.push_back(detect_fate("detect-library", lines, kWindow));
  const auto t = ss::detect_table(r);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(t.rows[1].after_ms.value_or(0), -10.0);
  EXPECT_TRUE(t.rows[1].ratio_from_t0);
  EXPECT_DOUBLE_EQ(t.rows[1].ratio.value_or(0), 924'600.0 / 5.0);
}

TEST(DetectTable, AMeasuredDefaultIsUsedAsMeasured) {
  ss::RunRecord r;
  AgentLines lines = sent_and_waited();
  lines.push_back(line(kT0 + 1'015 * kMs, "error", {{"error", "EHOSTUNREACH"}}));
  r.probes.push_back(detect_fate("detect-default", lines, kWindow));
  const auto t = ss::detect_table(r);
  EXPECT_FALSE(t.default_predicted);
  EXPECT_DOUBLE_EQ(t.default_ms.value_or(0), 1'000.0);
}

TEST(DetectTable, NoDetectProbesNoRows) {
  ss::RunRecord r;
  ss::ProbeFate f;
  f.name = "tcp";
  r.probes.push_back(f);
  EXPECT_TRUE(ss::detect_table(r).rows.empty());
}
