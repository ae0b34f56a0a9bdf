// ss::notable_lines: which agent lines reach the run's timeline, from hand-built lines and t=0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/fate.hpp"

using nlohmann::json;
using ss::AgentLines;
using ss::notable_lines;

namespace {

constexpr int64_t kMs = 1'000'000;           // ns
constexpr int64_t kT0 = 7'000'000 * kMs;     // a CLOCK_MONOTONIC value, well above 0
constexpr int64_t kEnd = kT0 + 3'000 * kMs;  // a 3 s window

// A line at `ms` relative to t=0.
json line(int ms, const std::string& kind, json fields = json::object()) {
  fields["t_ns"] = kT0 + int64_t{ms} * kMs;
  fields["agent"] = "tcp-client";
  fields["kind"] = kind;
  return fields;
}

json lookup(int ms, bool ok, const std::string& resolver, const std::string& by_or_error) {
  json l = line(ms, "lookup", {{"ok", ok}, {"resolver", resolver}, {"ms", 0.4}});
  l["agent"] = "dns-client";
  l[ok ? "answered_by" : "error"] = by_or_error;
  return l;
}

// Each kept line as "kind@ms", in output order.
std::vector<std::string> kept(const AgentLines& lines) {
  std::vector<std::string> out;
  for (const auto& l : notable_lines(lines, kT0, kEnd))
    out.push_back(l.value("kind", "") + "@" +
                  std::to_string((l.value("t_ns", int64_t{0}) - kT0) / kMs));
  return out;
}

}  // namespace

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(NotableLines, NothingInNothingOut) {
  EXPECT_TRUE(notable_lines({}, kT0, kEnd).empty());
}

TEST(NotableLines, EchoesKeepTheLastBeforeAndTheFirstAfterT0) {
  AgentLines lines;
  for (int ms = -500; ms < 1000; ms += 100) lines.push_back(line(ms, "echo", {{"seq", ms}}));
  EXPECT_THAT(kept(lines), ElementsAre("echo@-100", "echo@0"));
  // The kept lines are the originals, fields and all.
  auto out = notable_lines(lines, kT0, kEnd);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], lines[4]);
  EXPECT_EQ(out[1], lines[5]);
}

TEST(NotableLines, EachRepeatingKindOnItsOwn) {
  for (const char* kind : {"echo", "recv", "request", "response", "output"}) {
    AgentLines lines = {line(-300, kind), line(-200, kind), line(50, kind), line(150, kind),
                        line(250, kind)};
    EXPECT_THAT(kept(lines), ElementsAre(std::string(kind) + "@-200", std::string(kind) + "@50"))
        << kind;
  }
}

TEST(NotableLines, RepeatingKindsAreTrackedSeparately) {
  AgentLines lines = {line(-200, "request"),  line(-200, "response"), line(-100, "request"),
                      line(-100, "response"), line(20, "request"),    line(30, "response"),
                      line(120, "request"),   line(130, "response")};
  EXPECT_THAT(kept(lines),
              ElementsAre("request@-100", "response@-100", "request@20", "response@30"));
}

TEST(NotableLines, OnlyAfterOrOnlyBeforeT0) {
  EXPECT_THAT(kept({line(10, "recv"), line(20, "recv")}), ElementsAre("recv@10"));
  EXPECT_THAT(kept({line(-20, "recv"), line(-10, "recv")}), ElementsAre("recv@-10"));
}

TEST(NotableLines, ALineAtT0IsAfterIt) {
  EXPECT_THAT(kept({line(-1, "echo"), line(0, "echo"), line(1, "echo")}),
              ElementsAre("echo@-1", "echo@0"));
}

TEST(NotableLines, OtherKindsAreAllKeptEvenRepeated) {
  AgentLines lines = {line(-900, "ready"),
                      line(-800, "accept"),
                      line(-700, "accept"),
                      line(15, "error", {{"error", "ECONNRESET"}}),
                      line(16, "error", {{"error", "EPIPE"}}),
                      line(17, "closed"),
                      line(300, "reconnect", {{"ok", true}}),
                      line(400, "reconnect", {{"ok", true}}),
                      line(500, "path_validation")};
  EXPECT_THAT(kept(lines),
              ElementsAre("ready@-900", "accept@-800", "accept@-700", "error@15", "error@16",
                          "closed@17", "reconnect@300", "reconnect@400", "path_validation@500"));
}

TEST(NotableLines, SummariesAreDropped) {
  AgentLines lines = {line(-900, "ready"), line(2900, "summary", {{"unacked", 3}}),
                      line(-100, "summary")};
  EXPECT_THAT(kept(lines), ElementsAre("ready@-900"));
}

TEST(NotableLines, LinesAfterTheWindowAreDropped) {
  AgentLines lines = {line(-900, "ready"), line(3000, "error", {{"error", "ETIMEDOUT"}}),
                      line(3001, "error", {{"error", "ECONNRESET"}}), line(3500, "echo"),
                      line(4000, "closed")};
  // The window's end itself is inside it.
  EXPECT_THAT(kept(lines), ElementsAre("ready@-900", "error@3000"));
}

TEST(NotableLines, AnEchoAfterTheWindowIsNotTheFirstAfterT0) {
  EXPECT_THAT(kept({line(-100, "echo"), line(3100, "echo")}), ElementsAre("echo@-100"));
}

TEST(NotableLines, LookupsKeepEachChangeOnly) {
  AgentLines lines = {
      lookup(-300, true, "10.8.0.1", "vpn-resolver"),      // first: kept
      lookup(-200, true, "10.8.0.1", "vpn-resolver"),      // same: dropped
      lookup(20, false, "10.8.0.1", "TRY_AGAIN"),          // failed: kept
      lookup(40, false, "10.8.0.1", "TRY_AGAIN"),          // same: dropped
      lookup(60, false, "10.8.0.1", "SERVFAIL"),           // another error: kept
      lookup(80, true, "192.168.1.1", "home-resolver"),    // resolver and answer: kept
      lookup(100, true, "192.168.1.1", "home-resolver"),   // same: dropped
      lookup(120, true, "192.168.1.1", "other-resolver"),  // another answer: kept
      lookup(140, true, "192.168.1.2", "other-resolver"),  // another resolver: kept
  };
  EXPECT_THAT(kept(lines), ElementsAre("lookup@-300", "lookup@20", "lookup@60", "lookup@80",
                                       "lookup@120", "lookup@140"));
}

TEST(NotableLines, ALookupBackToAnEarlierStateIsAChange) {
  AgentLines lines = {lookup(-100, true, "10.8.0.1", "vpn-resolver"),
                      lookup(10, false, "10.8.0.1", "TRY_AGAIN"),
                      lookup(20, true, "10.8.0.1", "vpn-resolver")};
  EXPECT_THAT(kept(lines), ElementsAre("lookup@-100", "lookup@10", "lookup@20"));
}

TEST(NotableLines, LookupsAfterTheWindowAreDropped) {
  AgentLines lines = {lookup(-100, true, "10.8.0.1", "vpn-resolver"),
                      lookup(3200, false, "10.8.0.1", "TRY_AGAIN")};
  EXPECT_THAT(kept(lines), ElementsAre("lookup@-100"));
}

TEST(NotableLines, OrderOfAMixedStreamIsKept) {
  AgentLines lines = {line(-900, "ready", {{"local", "10.8.0.42:50444"}})};
  for (int ms = -500; ms < 0; ms += 100) lines.push_back(line(ms, "echo"));
  lines.push_back(lookup(-50, true, "10.8.0.1", "vpn-resolver"));
  lines.push_back(line(12, "error", {{"error", "ECONNRESET"}}));
  lines.push_back(line(300, "reconnect", {{"ok", true}}));
  for (int ms = 400; ms < 1000; ms += 100) lines.push_back(line(ms, "echo"));
  lines.push_back(line(2900, "summary"));
  EXPECT_THAT(kept(lines), ElementsAre("ready@-900", "echo@-100", "lookup@-50", "error@12",
                                       "reconnect@300", "echo@400"));
}

TEST(NotableLines, KeepsTheLastEchoBeforeAndTheFirstAfterAroundAnError) {
  AgentLines lines = {line(-900, "ready"), line(-100, "echo"),
                      line(-50, "echo"),   line(20, "error", {{"error", "ECONNRESET"}}),
                      line(30, "echo"),    line(40, "echo")};
  EXPECT_THAT(kept(lines), ElementsAre("ready@-900", "echo@-50", "error@20", "echo@30"));
}

// ---- candidates: expected behaviour the code may not have -------------------------------------

TEST(NotableLines, OrderIsKeptWhenOtherLinesComeBetweenRepeats) {
  // An echo, an accept, another echo, all before t=0: the kept echo is the later one, and it
  // came after the accept.
  AgentLines lines = {line(-300, "echo"), line(-200, "accept"), line(-100, "echo")};
  EXPECT_THAT(kept(lines), ElementsAre("accept@-200", "echo@-100"));
}
