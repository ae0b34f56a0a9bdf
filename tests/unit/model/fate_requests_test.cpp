// The request/response probes' fates (ip-seen over HTTP, DNS over HTTPS) from hand-built agent
// lines in the shapes docs/app-probes.md gives, t=0 passed in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "model/fate.hpp"

using nlohmann::json;
using ss::AgentLines;
using ss::doh_fate;
using ss::ip_seen_fate;
using ::testing::ElementsAre;

namespace {

constexpr int64_t kMs = 1'000'000;           // ns
constexpr int64_t kT0 = 9'000'000 * kMs;     // a CLOCK_MONOTONIC value, well above 0
constexpr int64_t kEnd = kT0 + 3'000 * kMs;  // a 3 s window

json line(const std::string& agent, int ms, const std::string& kind, json fields = json::object()) {
  fields["t_ns"] = kT0 + int64_t{ms} * kMs;
  fields["agent"] = agent;
  fields["kind"] = kind;
  return fields;
}

// http-client lines.
json ready(int ms) {
  return line("http-client", ms, "ready", {{"local", "10.8.0.42:40112"}, {"remote", "x"}});
}
json response(int ms, const std::string& seen_as, bool fresh = false) {
  return line("http-client", ms, "response",
              {{"seen_as", seen_as}, {"status", 200}, {"ms", 1.5}, {"new_connection", fresh}});
}
json http_error(int ms, const std::string& error, const std::string& op = "read") {
  return line("http-client", ms, "error",
              {{"error", error}, {"op", op}, {"new_connection", false}});
}
json server_request(int ms, const std::string& peer) {
  return line("http-ipseen", ms, "request", {{"peer", peer}, {"path", "/"}});
}

// doh-client lines.
json doh_ready(int ms) {
  return line("doh-client", ms, "ready", {{"url", "https://192.0.2.53/dns-query"}});
}
json doh_lookup(int ms, bool ok, bool fresh = false, const std::string& error = "") {
  json l = line(
      "doh-client", ms, "lookup",
      {{"name", "probe.splitsecond.test"}, {"ok", ok}, {"ms", 3.2}, {"new_connection", fresh}});
  if (!error.empty()) l["error"] = error;
  return l;
}

}  // namespace

// ---- ip-seen ----------------------------------------------------------------------------------

TEST(IpSeenFate, NoReadyLineIsASetupFailureWithTheAgentsError) {
  AgentLines client = {line("http-client", -900, "setup_failed", {{"error", "ECONNREFUSED"}})};
  auto f = ip_seen_fate(client, {}, kT0, kEnd);
  EXPECT_EQ(f.name, "ip-seen");
  EXPECT_EQ(f.proto, "http");
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "ECONNREFUSED");
  EXPECT_FALSE(f.detected_ms);

  auto silent = ip_seen_fate({}, {}, kT0, kEnd);
  EXPECT_FALSE(silent.setup_ok);
  EXPECT_EQ(silent.error, "no ready line from the agent");
}

TEST(IpSeenFate, ANewAddressAfterT0) {
  AgentLines client = {ready(-900), response(-600, "198.51.100.1:40112"),
                       response(-300, "198.51.100.1:40112"), response(100, "203.0.113.2:40200"),
                       response(400, "203.0.113.2:40200")};
  AgentLines server = {line("http-ipseen", -950, "ready"),
                       line("http-ipseen", -601, "accept", {{"peer", "198.51.100.1:40112"}}),
                       server_request(-600, "198.51.100.1:40112"),
                       server_request(100, "203.0.113.2:40200")};
  auto f = ip_seen_fate(client, server, kT0, kEnd);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["server_saw_before"], json({"198.51.100.1"}));
  EXPECT_EQ(f.extra["server_saw_after"], json({"203.0.113.2"}));
  EXPECT_EQ(f.extra["server_saw"], json({"198.51.100.1", "203.0.113.2"}));
  EXPECT_EQ(f.extra["address_changed"], true);
  EXPECT_EQ(f.extra["ok_after"], 2);
  EXPECT_EQ(f.extra["failed_after"], 0);
  EXPECT_FALSE(f.extra.contains("recovered_ms"));
}

TEST(IpSeenFate, TheSameAddressIsNoChange) {
  AgentLines client = {ready(-900), response(-300, "198.51.100.1:40112"),
                       response(100, "198.51.100.1:40113")};
  auto f = ip_seen_fate(client, {}, kT0, kEnd);
  EXPECT_EQ(f.extra["address_changed"], false);
  EXPECT_EQ(f.extra["server_saw_after"], json({"198.51.100.1"})) << "the port is not the address";
  EXPECT_EQ(f.extra["server_saw"], json::array());
}

TEST(IpSeenFate, NothingSeenBeforeIsNoChange) {
  AgentLines client = {ready(-900), response(100, "203.0.113.2:40200")};
  auto f = ip_seen_fate(client, {}, kT0, kEnd);
  EXPECT_EQ(f.extra["address_changed"], false);
  EXPECT_EQ(f.extra["server_saw_before"], json::array());
}

TEST(IpSeenFate, IPv6AddressesLoseOnlyThePort) {
  AgentLines client = {ready(-900), response(-300, "[2001:db8::1]:40112"),
                       response(100, "[2001:db8::2]:40200")};
  AgentLines server = {server_request(-300, "[2001:db8::1]:40112")};
  auto f = ip_seen_fate(client, server, kT0, kEnd);
  EXPECT_EQ(f.extra["server_saw_before"], json({"[2001:db8::1]"}));
  EXPECT_EQ(f.extra["server_saw_after"], json({"[2001:db8::2]"}));
  EXPECT_EQ(f.extra["server_saw"], json({"[2001:db8::1]"}));
  EXPECT_EQ(f.extra["address_changed"], true);
}

TEST(IpSeenFate, AnErrorAfterT0ThenASuccessIsARecovery) {
  AgentLines client = {ready(-900),
                       response(-300, "198.51.100.1:40112"),
                       http_error(2138, "The socket was closed due to a timeout"),
                       http_error(2138, "ECONNRESET", "connect"),
                       response(2139, "203.0.113.2:40200", true),
                       response(2500, "203.0.113.2:40200")};
  auto f = ip_seen_fate(client, {}, kT0, kEnd);
  EXPECT_EQ(f.error, "The socket was closed due to a timeout") << "the first error after t=0";
  ASSERT_TRUE(f.detected_ms);
  EXPECT_DOUBLE_EQ(*f.detected_ms, 2138.0);
  ASSERT_TRUE(f.extra.contains("recovered_ms"));
  EXPECT_DOUBLE_EQ(f.extra["recovered_ms"].get<double>(), 2139.0);
  EXPECT_TRUE(f.survived) << "working again at the end";
  EXPECT_EQ(f.extra["ok_after"], 2);
  EXPECT_EQ(f.extra["failed_after"], 2);
  EXPECT_EQ(f.extra["address_changed"], true);
}

TEST(IpSeenFate, AnErrorAfterT0WithoutASuccessAfterIt) {
  AgentLines client = {ready(-900), response(-300, "198.51.100.1:40112"),
                       response(100, "198.51.100.1:40112"), http_error(700, "ETIMEDOUT")};
  auto f = ip_seen_fate(client, {}, kT0, kEnd);
  EXPECT_FALSE(f.survived) << "the last request failed";
  EXPECT_EQ(f.error, "ETIMEDOUT");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 700.0);
  EXPECT_FALSE(f.extra.contains("recovered_ms")) << "a success before the failure is no recovery";
  EXPECT_EQ(f.extra["ok_after"], 1);
  EXPECT_EQ(f.extra["failed_after"], 1);
}

TEST(IpSeenFate, ErrorsBeforeT0AndLinesAfterTheWindowDoNotCount) {
  AgentLines client = {ready(-900),
                       http_error(-500, "ECONNREFUSED", "connect"),
                       response(-300, "198.51.100.1:40112"),
                       response(100, "198.51.100.1:40112"),
                       http_error(3001, "ETIMEDOUT"),
                       response(3200, "203.0.113.2:40200"),
                       line("http-client", 3300, "summary", {{"requests", 5}})};
  auto f = ip_seen_fate(client, {}, kT0, kEnd);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["failed_after"], 0);
  EXPECT_EQ(f.extra["ok_after"], 1);
  EXPECT_EQ(f.extra["server_saw_after"], json({"198.51.100.1"}));
  EXPECT_EQ(f.extra["address_changed"], false);
}

TEST(IpSeenFate, NoRequestAfterT0IsNotSurvival) {
  AgentLines client = {ready(-900), response(-300, "198.51.100.1:40112")};
  auto f = ip_seen_fate(client, {}, kT0, kEnd);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["ok_after"], 0);
}

TEST(IpSeenFate, SameLinesSameFate) {
  AgentLines client = {ready(-900), response(-300, "198.51.100.1:40112"),
                       http_error(50, "ECONNRESET"), response(90, "203.0.113.2:1")};
  AgentLines server = {server_request(90, "203.0.113.2:1")};
  auto a = ip_seen_fate(client, server, kT0, kEnd), b = ip_seen_fate(client, server, kT0, kEnd);
  EXPECT_EQ(a.extra, b.extra);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.detected_ms, b.detected_ms);
  EXPECT_EQ(a.survived, b.survived);
}

// ---- DoH --------------------------------------------------------------------------------------

TEST(DohFate, NoReadyLineIsASetupFailure) {
  auto f =
      doh_fate({line("doh-client", -900, "setup_failed", {{"error", "ECONNREFUSED"}})}, kT0, kEnd);
  EXPECT_EQ(f.name, "doh");
  EXPECT_EQ(f.proto, "doh");
  EXPECT_FALSE(f.setup_ok);
  EXPECT_EQ(f.error, "ECONNREFUSED");
  EXPECT_EQ(doh_fate({doh_lookup(-900, true, true)}, kT0, kEnd).error,
            "no ready line from the agent");
}

TEST(DohFate, LookupsKeepSucceedingOnTheOldConnection) {
  AgentLines client = {doh_ready(-900), doh_lookup(-900, true, true), doh_lookup(-400, true),
                       doh_lookup(100, true), doh_lookup(600, true)};
  auto f = doh_fate(client, kT0, kEnd);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["ok_after"], 2);
  EXPECT_EQ(f.extra["failed_after"], 0);
  EXPECT_EQ(f.extra["new_connections_after"], 0) << "the connection made before t=0 is not one";
  EXPECT_FALSE(f.extra.contains("recovered_ms"));
}

TEST(DohFate, AFailedLookupThenANewConnection) {
  AgentLines client = {doh_ready(-900),
                       doh_lookup(-900, true, true),
                       doh_lookup(-400, true),
                       doh_lookup(2125, false, false, "ETIMEDOUT"),
                       doh_lookup(2180, true, true),
                       doh_lookup(2600, true)};
  auto f = doh_fate(client, kT0, kEnd);
  EXPECT_EQ(f.error, "ETIMEDOUT");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 2125.0);
  EXPECT_DOUBLE_EQ(f.extra.value("recovered_ms", -1.0), 2180.0);
  EXPECT_TRUE(f.survived);
  EXPECT_EQ(f.extra["new_connections_after"], 1);
  EXPECT_EQ(f.extra["ok_after"], 2);
  EXPECT_EQ(f.extra["failed_after"], 1);
}

TEST(DohFate, AnErrorLineIsAFailureToo) {
  AgentLines client = {doh_ready(-900), doh_lookup(-400, true),
                       line("doh-client", 300, "error", {{"error", "ENETUNREACH"}})};
  auto f = doh_fate(client, kT0, kEnd);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "ENETUNREACH");
  EXPECT_DOUBLE_EQ(f.detected_ms.value_or(-1), 300.0);
  EXPECT_EQ(f.extra["failed_after"], 1);
}

TEST(DohFate, AFailureWithoutErrorTextIsNamedGenerically) {
  AgentLines client = {doh_ready(-900), doh_lookup(100, false)};
  auto f = doh_fate(client, kT0, kEnd);
  EXPECT_EQ(f.error, "request failed");
  EXPECT_FALSE(f.survived);
}

TEST(DohFate, StillFailingAtTheEndIsNotSurvival) {
  AgentLines client = {doh_ready(-900), doh_lookup(-400, true),
                       doh_lookup(100, false, false, "ETIMEDOUT"), doh_lookup(300, true, true),
                       doh_lookup(900, false, true, "ECONNREFUSED")};
  auto f = doh_fate(client, kT0, kEnd);
  EXPECT_FALSE(f.survived) << "the last lookup failed";
  EXPECT_EQ(f.error, "ETIMEDOUT") << "the first error after t=0";
  EXPECT_DOUBLE_EQ(f.extra.value("recovered_ms", -1.0), 300.0);
  EXPECT_EQ(f.extra["new_connections_after"], 2) << "counted on failed lookups too";
}

TEST(DohFate, ErrorsBeforeT0AndLookupsAfterTheWindowDoNotCount) {
  AgentLines client = {doh_ready(-900), doh_lookup(-600, false, true, "ECONNREFUSED"),
                       doh_lookup(-300, true, true), doh_lookup(200, true),
                       doh_lookup(3100, false, true, "ETIMEDOUT")};
  auto f = doh_fate(client, kT0, kEnd);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["new_connections_after"], 0);
  EXPECT_EQ(f.extra["failed_after"], 0);
  EXPECT_FALSE(f.extra.contains("recovered_ms"));
}

// ---- candidates: expected behaviour the code may not have -------------------------------------

// The agent writes "seen_as": null when a body is not an ip-seen answer (docs/app-probes.md).
TEST(IpSeenFate, AResponseWithoutAnAddressIsNoAddress) {
  json odd = response(200, "");
  odd["seen_as"] = nullptr;
  AgentLines client = {ready(-900), response(-300, "198.51.100.1:40112"), odd,
                       response(400, "198.51.100.1:40112")};
  auto f = ip_seen_fate(client, {}, kT0, kEnd);
  EXPECT_EQ(f.extra["server_saw_after"], json({"198.51.100.1"}));
  EXPECT_EQ(f.extra["address_changed"], false);
}
