// Probe fates from hand-built agent lines (docs/agents.md), t=0 passed in.
#include "model/fate.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

using nlohmann::json;
using ss::AgentLines;
using ss::dns_fate;
using ss::stream_fate;

namespace {

constexpr int64_t kMs = 1'000'000;                    // ns
constexpr int64_t kT0 = 5'000'000 * kMs;              // a CLOCK_MONOTONIC value, well above 0
constexpr int64_t kEnd = kT0 + 3'000 * kMs;           // a 3 s window
const ss::Window kWindow{kT0, kT0 + 15 * kMs, kEnd};  // the disconnect took 15 ms
const ss::StreamFateOptions kOneSecond{1'000 * kMs, false};
const ss::StreamFateOptions kLateSend{1'000 * kMs, true};

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

TEST(StreamFate, SteadyEchoesAfterTheDisconnectAreYes) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready", {{"local", "10.8.0.42:50444"}})};
  echoes(lines, -500, 3000);
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_EQ(f.name, "tcp");
  EXPECT_EQ(f.proto, "tcp");
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["outcome"], "yes");
  EXPECT_EQ(f.extra["state"], "alive");
  EXPECT_EQ(f.extra["echoes_after_t0"], 30);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 100.0);  // last at -100 ms, next at 0
  EXPECT_DOUBLE_EQ(f.extra["silence_bound_ms"].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(f.extra["trigger_end_ms"].get<double>(), 15.0);
  EXPECT_DOUBLE_EQ(f.extra["round_trip_after_ms"].get<double>(), 100.0);  // sent at 99.7 ms
}

TEST(StreamFate, OneEchoThenSilenceIsPartialWithTheSilenceShown) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 200);  // the last at +100 ms, sent after the disconnect completed
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "partial");
  EXPECT_EQ(f.extra["state"], "interrupted");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2900.0);
  EXPECT_DOUBLE_EQ(f.extra["silence_started_ms"].get<double>(), 100.0);
  EXPECT_EQ(f.extra["silence_to_end"], true);
}

TEST(StreamFate, EchoesOnlyDuringTheTriggerAreNo) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 0);
  lines.push_back(echo(kT0 + 10 * kMs, 1000));  // arrived during the trigger, sent before it
  lines.push_back(
      line(kT0 + 20 * kMs, "echo", {{"seq", 1001}, {"rtt_us", 19'000}}));  // sent at 1 ms
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.extra["state"], "hanging");
  EXPECT_EQ(f.extra["echoes_after_t0"], 2);
  EXPECT_TRUE(f.extra["round_trip_after_ms"].is_null());
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2980.0);
}

TEST(StreamFate, AnEchoWithoutItsSendTimeProvesNothing) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  for (int t = 100; t < 3000; t += 100)
    lines.push_back(line(kT0 + t * kMs, "echo", {{"seq", t}, {"rtt_us", -1}}));
  auto f = stream_fate("websocket", "websocket", lines, kWindow, kOneSecond);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 100.0);  // data came back
}

TEST(StreamFate, QuicEchoesCarryTheirSendTime) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  for (int t = 100; t < 3000; t += 100)
    lines.push_back(line(kT0 + t * kMs, "echo",
                         {{"seq", t}, {"rtt_us", 2000}, {"sent_t_ns", kT0 + (t - 2) * kMs}}));
  auto f = stream_fate("quic", "quic", lines, kWindow, kOneSecond);
  EXPECT_EQ(f.extra["outcome"], "yes");
  // The same echoes, of messages all sent during the trigger (at 14 ms): no round trip after it.
  for (size_t i = 1; i < lines.size(); ++i) lines[i]["sent_t_ns"] = kT0 + 14 * kMs;
  EXPECT_EQ(stream_fate("quic", "quic", lines, kWindow, kOneSecond).extra["outcome"], "no");
}

TEST(StreamFate, LongSilenceThenRecoveryIsPartial) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 0);
  echoes(lines, 2000, 3000);
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "partial");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 1985.0);
  EXPECT_DOUBLE_EQ(f.extra["silence_started_ms"].get<double>(), 15.0);
  EXPECT_EQ(f.extra["silence_to_end"], false);
  // The same silence under a bound of 2 s is within it.
  EXPECT_EQ(stream_fate("tcp", "tcp", lines, kWindow, {2'000 * kMs, false}).extra["outcome"],
            "yes");
}

TEST(StreamFate, ErrorAfterT0IsAFailureWithItsErrnoAndDetectionTime) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 0);
  lines.push_back(line(kT0 + 250 * kMs + 500'000, "error", {{"error", "ECONNRESET"}}));
  lines.push_back(line(kT0 + 900 * kMs, "error", {{"error", "EPIPE"}}));  // not the first
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  ASSERT_TRUE(f.error);
  EXPECT_EQ(*f.error, "ECONNRESET");
  ASSERT_TRUE(f.detected_ms);
  EXPECT_DOUBLE_EQ(*f.detected_ms, 250.5);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.extra["state"], "failed");
  EXPECT_EQ(f.extra["echoes_after_t0"], 0);
  EXPECT_TRUE(f.extra["gap_ms"].is_null());
}

TEST(StreamFate, AnErrorAfterEchoesIsPartial) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 500);
  lines.push_back(line(kT0 + 700 * kMs, "error", {{"error", "ETIMEDOUT"}}));
  auto f = stream_fate("tcp", "tcp", lines, kWindow, {10'000 * kMs, false});
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "ETIMEDOUT");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 700.0);
  EXPECT_EQ(f.extra["outcome"], "partial");
  EXPECT_EQ(f.extra["echoes_after_t0"], 5);
}

TEST(StreamFate, ClosedByPeerAfterT0IsAFailure) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready"), line(kT0 + 40 * kMs, "closed")};
  auto f = stream_fate("quic", "quic", lines, kWindow, kOneSecond);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "closed by peer");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 40.0);
  EXPECT_EQ(f.extra["outcome"], "no");
}

TEST(StreamFate, NoEchoAndNoErrorAfterT0IsHanging) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready")};
  echoes(lines, -500, 0);
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["state"], "hanging");
  EXPECT_EQ(f.extra["echoes_after_t0"], 0);
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2985.0);
}

TEST(StreamFate, ErrorsBeforeT0AndLinesAfterTheWindowDoNotCount) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready"),
                      line(kT0 - 10 * kMs, "error", {{"error", "EAGAIN"}})};
  lines.push_back(echo(kEnd + 1, 99));  // after the window
  lines.push_back(line(kEnd + 2, "error", {{"error", "ECONNRESET"}}));
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["state"], "hanging");
  EXPECT_EQ(f.extra["echoes_after_t0"], 0);
}

TEST(StreamFate, SetupFailedIsNotASurvivalResult) {
  AgentLines lines = {line(kT0 - 600 * kMs, "setup_failed", {{"error", "ECONNREFUSED"}})};
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "ECONNREFUSED");
  EXPECT_FALSE(f.extra.contains("outcome"));
}

TEST(StreamFate, NoReadyLineIsASetupFailure) {
  AgentLines lines;
  echoes(lines, -500, 500);  // echoes without a ready line are not trusted
  auto f = stream_fate("tcp", "tcp", lines, kWindow, kOneSecond);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "no ready line from the agent");
}

// tcp-idle: one message at a set time after t=0, and what came of it.
TEST(LateSendFate, AnEchoOfTheLateMessageIsYes) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready"),
                      line(kT0 + 2000 * kMs, "late_send", {{"seq", 1}}),
                      line(kT0 + 2000 * kMs + 500'000, "echo", {{"seq", 1}, {"rtt_us", 500}})};
  auto f = stream_fate("tcp-idle", "tcp", lines, kWindow, kLateSend);
  EXPECT_TRUE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "yes");
  EXPECT_EQ(f.extra["late_send"]["outcome"], "echo");
  EXPECT_DOUBLE_EQ(f.extra["late_send"]["sent_ms"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(f.extra["late_send"]["after_ms"].get<double>(), 0.5);
  EXPECT_FALSE(f.extra["late_send"].contains("error"));
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 999.5);  // watched from the send
}

TEST(LateSendFate, AnErrorOfTheLateSendIsNoWithItsErrno) {
  AgentLines lines = {
      line(kT0 - 600 * kMs, "ready"), line(kT0 + 2000 * kMs, "late_send", {{"seq", 1}}),
      line(kT0 + 2000 * kMs + 100'000, "error", {{"error", "EHOSTUNREACH"}, {"op", "recv"}})};
  auto f = stream_fate("tcp-idle", "tcp", lines, kWindow, kLateSend);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.extra["late_send"]["outcome"], "error");
  EXPECT_EQ(f.extra["late_send"]["error"], "EHOSTUNREACH");
  EXPECT_DOUBLE_EQ(f.extra["late_send"]["after_ms"].get<double>(), 0.1);
  EXPECT_EQ(f.error, "EHOSTUNREACH");
}

TEST(LateSendFate, NothingBackByTheEndIsAHang) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready"),
                      line(kT0 + 2000 * kMs, "late_send", {{"seq", 1}})};
  auto f = stream_fate("tcp-idle", "tcp", lines, kWindow, kLateSend);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.extra["late_send"]["outcome"], "hang");
  EXPECT_FALSE(f.extra["late_send"].contains("after_ms"));
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 1000.0);
}

TEST(LateSendFate, NoLateSendLineIsNullAndNo) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready"),
                      line(kT0 + 300 * kMs, "error", {{"error", "ECONNRESET"}})};
  auto f = stream_fate("tcp-idle", "tcp", lines, kWindow, kLateSend);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_TRUE(f.extra["late_send"].is_null());
}

TEST(LateSendFate, TheInflightProbesBulkEchoesAreDataBackWithoutASendTime) {
  AgentLines lines = {line(kT0 - 600 * kMs, "ready"), line(kT0 - 1 * kMs, "burst"),
                      line(kT0 + 200 * kMs, "echo", {{"bytes", 65536}}),
                      line(kT0 + 2000 * kMs, "late_send", {{"seq", 1}}),
                      line(kT0 + 2001 * kMs, "echo", {{"seq", 1}, {"rtt_us", 1000}})};
  auto f = stream_fate("tcp-inflight", "tcp", lines, kWindow, kLateSend);
  EXPECT_EQ(f.extra["outcome"], "yes");
  EXPECT_EQ(f.extra["late_send"]["outcome"], "echo");
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

// The stored real run (tests/data/survival-record.json) keeps, per agent, the last echo before
// t=0 and the first after it: judged again, those lines are one echo, then silence.
namespace {

json stored_record() {
  std::ifstream f(std::string(SS_TEST_DATA) + "/survival-record.json");
  return json::parse(f);
}

}  // namespace

TEST(StreamFateStored, TheStoredNotableLinesAreOneEchoThenSilence) {
  const json rec = stored_record();
  int64_t trigger_us = -1;
  for (const auto& e : rec["events"])
    if (e["kind"] == "trigger") trigger_us = e.value("completed_us", e.value("took_us", -1));
  ASSERT_GE(trigger_us, 0);
  const int64_t end = kT0 + static_cast<int64_t>(rec["window_ms"].get<double>()) * kMs;
  const ss::Window w{kT0, kT0 + trigger_us * 1000, end};
  int judged = 0;
  for (const char* agent : {"quic-client", "ws-client"}) {
    SCOPED_TRACE(agent);
    AgentLines lines = {line(kT0 - 1000 * kMs, "ready")};
    std::optional<int64_t> first_after_sent_us, first_after_us;
    for (const auto& e : rec["events"]) {
      if (e.value("agent", "") != agent || e["kind"] != "echo") continue;
      const int64_t t_us = e["t_us"], rtt_us = e["rtt_us"];
      lines.push_back(line(kT0 + t_us * 1000, "echo", {{"seq", e["seq"]}, {"rtt_us", rtt_us}}));
      if (t_us >= 0 && !first_after_us) first_after_us = t_us, first_after_sent_us = t_us - rtt_us;
    }
    const auto f = stream_fate(agent, "x", lines, w, kOneSecond);
    // Written out: a round trip only if the first echo after t=0 was sent after the trigger's end.
    const bool round_trip = first_after_sent_us && *first_after_sent_us >= trigger_us;
    EXPECT_EQ(f.extra["outcome"], round_trip ? "partial" : "no") << f.extra.dump();
    EXPECT_FALSE(f.survived);
    if (round_trip) {
      EXPECT_NEAR(f.extra["longest_silence_ms"].get<double>(),
                  rec["window_ms"].get<double>() - *first_after_us / 1000.0, 0.001);
    }
    ++judged;
  }
  EXPECT_EQ(judged, 2);
}

TEST(QuicFate, TheServersViewOfTheMoveAndTheRule) {
  AgentLines client = {line(kT0 - 600 * kMs, "ready")};
  for (int t = -500; t < 3000; t += 100)
    client.push_back(
        line(kT0 + t * kMs, "echo",
             {{"seq", t}, {"rtt_us", 1800}, {"sent_t_ns", kT0 + t * kMs - 1'800'000}}));
  const AgentLines server = {
      line(kT0 - 900 * kMs, "client_address", {{"addr", "198.51.100.1:47133"}}),
      line(kT0 + 65 * kMs, "client_address", {{"addr", "203.0.113.2:47133"}}),
      line(kT0 + 66 * kMs, "path_validation",
           {{"result", "success"}, {"addr", "203.0.113.2:47133"}}),
      line(kEnd + kMs, "client_address", {{"addr", "192.0.2.9:1"}})};  // after the window
  auto f = ss::quic_fate(client, server, kWindow, 1'000 * kMs, false);
  EXPECT_EQ(f.name, "quic");
  EXPECT_EQ(f.extra["outcome"], "yes");
  EXPECT_EQ(f.extra["server_addresses"], json({"198.51.100.1:47133", "203.0.113.2:47133"}));
  EXPECT_EQ(f.extra["path_validation"], json({"success 203.0.113.2:47133"}));
  EXPECT_EQ(f.extra["server_migration"], false);
  // Echoes stop at +1 s: partial under a 1 s bound.
  client.resize(1 + 15);  // -500 .. +900 ms
  EXPECT_EQ(ss::quic_fate(client, server, kWindow, 1'000 * kMs, true).extra["outcome"], "partial");
}

// The QUIC client's `closed` line names why the connection ended; the fate keeps that text.
TEST(QuicFate, TheClosedLinesReasonIsTheError) {
  AgentLines client = {line(kT0 - 600 * kMs, "ready")};
  for (int t = -500; t < 1000; t += 100)
    client.push_back(
        line(kT0 + t * kMs, "echo",
             {{"seq", t}, {"rtt_us", 1800}, {"sent_t_ns", kT0 + t * kMs - 1'800'000}}));
  const AgentLines server;
  {
    SCOPED_TRACE("the peer's CONNECTION_CLOSE, with its code and reason");
    AgentLines c = client;
    c.push_back(line(kT0 + 1200 * kMs, "closed",
                     {{"error", "peer closed: transport error 0xa (protocol violation)"}}));
    auto f = ss::quic_fate(c, server, kWindow, 1'000 * kMs, true);
    EXPECT_EQ(f.error, "peer closed: transport error 0xa (protocol violation)");
    EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 1200.0);
    EXPECT_EQ(f.extra["outcome"], "partial");
  }
  {
    SCOPED_TRACE("the client's own close at the end of its --duration, inside the window");
    AgentLines c = client;
    c.push_back(line(kT0 + 1100 * kMs, "closed", {{"error", "local close (end of --duration)"}}));
    auto f = ss::quic_fate(c, server, kWindow, 1'000 * kMs, true);
    EXPECT_EQ(f.error, "local close (end of --duration)");
    EXPECT_FALSE(f.survived);
  }
  {
    SCOPED_TRACE("a closed line without a reason (an older agent)");
    AgentLines c = client;
    c.push_back(line(kT0 + 1100 * kMs, "closed"));
    EXPECT_EQ(ss::quic_fate(c, server, kWindow, 1'000 * kMs, true).error, "closed by peer");
  }
  {
    SCOPED_TRACE("a send error first: the errno stays the error");
    AgentLines c = client;
    c.push_back(line(kT0 + 1000 * kMs, "error", {{"error", "ENETUNREACH"}, {"call", "sendto"}}));
    c.push_back(line(kT0 + 1100 * kMs, "closed", {{"error", "idle timeout"}}));
    EXPECT_EQ(ss::quic_fate(c, server, kWindow, 1'000 * kMs, true).error, "ENETUNREACH");
  }
  {
    SCOPED_TRACE("the teardown's close after the window is not the fate's");
    AgentLines c = client;
    for (int t = 1000; t < 3000; t += 100)
      c.push_back(line(kT0 + t * kMs, "echo",
                       {{"seq", t}, {"rtt_us", 1800}, {"sent_t_ns", kT0 + t * kMs - 1'800'000}}));
    c.push_back(line(kEnd + 5 * kMs, "closed", {{"error", "local close (signal)"}}));
    auto f = ss::quic_fate(c, server, kWindow, 1'000 * kMs, true);
    EXPECT_FALSE(f.error);
    EXPECT_EQ(f.extra["outcome"], "yes");
  }
}
