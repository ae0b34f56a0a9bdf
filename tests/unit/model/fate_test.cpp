// Probe fates from hand-built agent lines (docs/agents.md), t=0 passed in.
#include "model/fate.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

using nlohmann::json;
using ss::AgentLines;
using ss::dns_fate;
using ss::stream_fate;

namespace {

constexpr int64_t kMs = 1'000'000;           // ns
constexpr int64_t kT0 = 5'000'000 * kMs;     // a CLOCK_MONOTONIC value, well above 0
constexpr int64_t kEnd = kT0 + 3'000 * kMs;  // a 3 s window

json line(int64_t t_ns, const std::string& kind, json fields = json::object()) {
  fields["t_ns"] = t_ns;
  fields["agent"] = "tcp-client";
  fields["kind"] = kind;
  return fields;
}

json echo(int64_t t_ns, int seq) {
  return line(t_ns, "echo", {{"seq", seq}, {"rtt_us", 300}});
}

// Echoes every 100 ms from `from` to `to` (exclusive), both relative to t=0 in ms.
void echoes(AgentLines& out, int from_ms, int to_ms) {
  for (int t = from_ms; t < to_ms; t += 100) out.push_back(echo(kT0 + t * kMs, t));
}

json lookup(int64_t start_ns, double ms, bool ok, const std::string& resolver,
            const std::string& answered_by_or_error) {
  json l = {{"t_ns", start_ns + static_cast<int64_t>(ms * kMs)},
            {"agent", "dns-client"},
            {"kind", "lookup"},
            {"start_ns", start_ns},
            {"ms", ms},
            {"ok", ok},
            {"resolver", resolver}};
  if (ok)
    l["answered_by"] = answered_by_or_error;
  else
    l["error"] = answered_by_or_error;
  return l;
}

}  // namespace

TEST(StreamFate, EchoesAfterT0MeanSurvived) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready", {{"local", "10.8.0.42:50444"}})};
  echoes(lines, -500, 1000);
  auto f = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  EXPECT_EQ(f.name, "tcp");
  EXPECT_EQ(f.proto, "tcp");
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["state"], "alive");
  EXPECT_EQ(f.extra["echoes_after_t0"], 10);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 100.0);  // last at -100 ms, next at 0
}

TEST(StreamFate, ErrorAfterT0IsAFailureWithItsErrnoAndDetectionTime) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 0);
  lines.push_back(line(kT0 + 250 * kMs + 500'000, "error", {{"error", "ECONNRESET"}}));
  lines.push_back(line(kT0 + 900 * kMs, "error", {{"error", "EPIPE"}}));  // not the first
  auto f = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  ASSERT_TRUE(f.error);
  EXPECT_EQ(*f.error, "ECONNRESET");
  ASSERT_TRUE(f.detected_ms);
  EXPECT_DOUBLE_EQ(*f.detected_ms, 250.5);
  EXPECT_EQ(f.extra["state"], "failed");
  EXPECT_EQ(f.extra["echoes_after_t0"], 0);
  EXPECT_TRUE(f.extra["gap_ms"].is_null());
}

TEST(StreamFate, AnErrorEvenAfterEchoesMeansNotSurvived) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 500);
  lines.push_back(line(kT0 + 700 * kMs, "error", {{"error", "ETIMEDOUT"}}));
  auto f = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "ETIMEDOUT");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 700.0);
  EXPECT_EQ(f.extra["state"], "failed");
  EXPECT_EQ(f.extra["echoes_after_t0"], 5);
}

TEST(StreamFate, ClosedByPeerAfterT0IsAFailure) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready"), line(kT0 + 40 * kMs, "closed")};
  auto f = stream_fate("quic", "quic", lines, kT0, kEnd);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "closed by peer");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 40.0);
}

TEST(StreamFate, NoEchoAndNoErrorAfterT0IsHanging) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 0);
  auto f = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["state"], "hanging");
  EXPECT_EQ(f.extra["echoes_after_t0"], 0);
}

TEST(StreamFate, ErrorsBeforeT0AndLinesAfterTheWindowDoNotCount) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready"),
                      line(kT0 - 10 * kMs, "error", {{"error", "EAGAIN"}})};
  lines.push_back(echo(kEnd + 1, 99));  // after the window
  lines.push_back(line(kEnd + 2, "error", {{"error", "ECONNRESET"}}));
  auto f = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["state"], "hanging");
  EXPECT_EQ(f.extra["echoes_after_t0"], 0);
}

TEST(StreamFate, SetupFailedIsNotASurvivalResult) {
  AgentLines lines = {line(kT0 - 600 * kMs, "setup_failed", {{"error", "ECONNREFUSED"}})};
  auto f = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "ECONNREFUSED");
}

TEST(StreamFate, NoReadyLineIsASetupFailure) {
  AgentLines lines;
  echoes(lines, -500, 500);  // echoes without a ready line are not trusted
  auto f = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "no ready line from the agent");
}

TEST(StreamFate, SameLinesGiveTheSameFate) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 300);
  lines.push_back(line(kT0 + 320 * kMs, "error", {{"error", "EHOSTUNREACH"}}));
  auto a = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  auto b = stream_fate("tcp", "tcp", lines, kT0, kEnd);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.detected_ms, b.detected_ms);
  EXPECT_EQ(a.extra, b.extra);
}

TEST(DnsFate, AnsweredByAnotherResolverAfterT0) {
  AgentLines lines = {{{"t_ns", kT0 - 600 * kMs}, {"agent", "dns-client"}, {"kind", "ready"}}};
  int64_t start = kT0 - 500 * kMs;
  for (; start < kT0; start += 50 * kMs)
    lines.push_back(lookup(start, 0.5, true, "10.8.0.1", "vpn-resolver"));
  for (; start < kEnd - 50 * kMs; start += 50 * kMs)
    lines.push_back(lookup(start, start == kT0 ? 1.75 : 0.6, true, "192.168.1.1", "home-resolver"));
  auto f = dns_fate(lines, kT0, kEnd);
  EXPECT_EQ(f.name, "dns");
  EXPECT_EQ(f.proto, "dns");
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["answered_by_before"], json({"vpn-resolver"}));
  EXPECT_EQ(f.extra["answered_by_after"], json({"home-resolver"}));
  EXPECT_EQ(f.extra["resolvers_after"], json({"192.168.1.1"}));
  EXPECT_EQ(f.extra["ok_after"], 59);
  EXPECT_EQ(f.extra["failed_after"], 0);
  EXPECT_DOUBLE_EQ(f.extra["slowest_after_ms"].get<double>(), 1.75);
  EXPECT_TRUE(f.extra["lookup_hanging_since_ms"].is_null());
}

TEST(DnsFate, FailedLookupsAfterT0GiveTheFirstErrorAndWhen) {
  AgentLines lines = {{{"t_ns", kT0 - 600 * kMs}, {"agent", "dns-client"}, {"kind", "ready"}}};
  int64_t start = kT0 - 500 * kMs;
  for (; start < kT0; start += 50 * kMs)
    lines.push_back(lookup(start, 0.5, true, "10.8.0.1", "vpn-resolver"));
  for (; start < kEnd - 50 * kMs; start += 50 * kMs)
    lines.push_back(
        lookup(start, 2.0, false, "10.8.0.1", start == kT0 ? "TRY_AGAIN" : "NO_RECOVERY"));
  auto f = dns_fate(lines, kT0, kEnd);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "TRY_AGAIN");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 2.0);  // the first lookup after t=0 ended 2 ms in
  EXPECT_EQ(f.extra["answered_by_before"], json({"vpn-resolver"}));
  EXPECT_EQ(f.extra["answered_by_after"], json::array());
  EXPECT_EQ(f.extra["ok_after"], 0);
  EXPECT_EQ(f.extra["failed_after"], 59);
}

TEST(DnsFate, ALookupThatNeverEndsIsHanging) {
  AgentLines lines = {{{"t_ns", kT0 - 600 * kMs}, {"agent", "dns-client"}, {"kind", "ready"}}};
  int64_t start = kT0 - 500 * kMs;
  for (; start <= kT0 + 100 * kMs; start += 50 * kMs)
    lines.push_back(lookup(start, 0.5, true, "10.8.0.1", "vpn-resolver"));
  // Nothing more: the next lookup is still waiting at the end of the window.
  auto f = dns_fate(lines, kT0, kEnd);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  ASSERT_FALSE(f.extra["lookup_hanging_since_ms"].is_null());
  EXPECT_DOUBLE_EQ(f.extra["lookup_hanging_since_ms"].get<double>(), 100.5);
  EXPECT_EQ(f.extra["ok_after"], 3);
}

TEST(DnsFate, NoReadyLineIsASetupFailure) {
  AgentLines lines = {lookup(kT0, 0.5, true, "10.8.0.1", "vpn-resolver")};
  auto f = dns_fate(lines, kT0, kEnd);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_TRUE(f.error);
}

TEST(DnsFate, OneFailureThenSilenceIsBothFailedAndHanging) {
  // What the crash capture shows: the lookup in flight at t=0 fails, the next one never ends.
  AgentLines lines = {{{"t_ns", kT0 - 600 * kMs}, {"agent", "dns-client"}, {"kind", "ready"}}};
  int64_t start = kT0 - 500 * kMs;
  for (; start < kT0; start += 50 * kMs)
    lines.push_back(lookup(start, 0.5, true, "10.8.0.1", "vpn-resolver"));
  lines.push_back(lookup(kT0 + 20 * kMs, 10.0, false, "10.8.0.1", "TRY_AGAIN"));
  auto f = dns_fate(lines, kT0, kEnd);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "TRY_AGAIN");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 30.0);
  EXPECT_DOUBLE_EQ(f.extra["lookup_hanging_since_ms"].get<double>(), 30.0);
  EXPECT_EQ(f.extra["failed_after"], 1);
}
