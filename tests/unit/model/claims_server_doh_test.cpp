// The doh-partial and server-view claims, and what they read: the DoH client's plaintext DNS
// counted from a record's packets (doh_plaintext_view) and the server's sockets (half_open_ms,
// their JSON). Every verdict branch from a hand-built record where it happened.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "model/claims.hpp"
#include "model/claims_server_doh.hpp"
#include "model/doh_view.hpp"
#include "model/server_sockets.hpp"

namespace ss {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kT0 = 1'000'000'000'000;  // ns
constexpr int64_t kEnd = kT0 + 5'000'000'000;

RunRecord run(const std::string& mode) {
  RunRecord r;
  r.scenario = "hand";
  r.disconnect = mode;
  r.window_ms = 5000;
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  return r;
}

ProbeFate doh_fate(bool survived, std::optional<std::string> error, json extra) {
  ProbeFate f;
  f.name = "doh";
  f.proto = "doh";
  f.survived = survived;
  f.error = std::move(error);
  if (f.error) f.detected_ms = 2000.0;
  f.extra = std::move(extra);
  return f;
}

ClaimRuns clean_with(ProbeFate f) {
  RunRecord r = run("clean");
  r.probes = {std::move(f)};
  return {{"clean", r}};
}

json no_plaintext() {
  return {
      {"count", 0}, {"qnames", json::array()}, {"resolvers", json::array()}, {"first_ms", nullptr}};
}

json bootstrap(int resolutions) {
  return {
      {"name", "doh.splitsecond.test"}, {"dns_cache_s", 60}, {"resolutions_after_t0", resolutions}};
}

// ---- doh-partial ------------------------------------------------------------------------------

TEST(ClaimDohPlaintext, PlaintextQueriesAfterT0AreContradicted) {
  auto c = doh_claim(clean_with(doh_fate(true, std::nullopt,
                                         {{"new_connections_after", 1},
                                          {"recovered_ms", 310.2},
                                          {"plaintext_dns_after_t0",
                                           {{"count", 2},
                                            {"qnames", {"doh.splitsecond.test"}},
                                            {"resolvers", {"192.168.1.1"}},
                                            {"first_ms", 204.5}}},
                                          {"bootstrap", bootstrap(1)}})));
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_EQ(
      c.measured,
      "clean: kept working; 1 new HTTPS connections after t=0; 2 plaintext DNS queries for its "
      "names after t=0 (doh.splitsecond.test to 192.168.1.1, the first at 204 ms); "
      "doh.splitsecond.test resolved 1 times after t=0 (the client's DNS cache keeps it "
      "60 s); working again at 310 ms");
  EXPECT_THAT(c.condition, HasSubstr("in plaintext"));
}

TEST(ClaimDohPlaintext, AMissingFirstTimeIsLeftOutNotPrintedAsZero) {
  auto c = doh_claim(clean_with(doh_fate(
      true, std::nullopt,
      {{"new_connections_after", 1},
       {"plaintext_dns_after_t0",
        {{"count", 1}, {"qnames", {"doh.splitsecond.test"}}, {"resolvers", {"192.168.1.1"}}}},
       {"bootstrap", bootstrap(1)}})));
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_THAT(c.measured, HasSubstr("(doh.splitsecond.test to 192.168.1.1);"));
  EXPECT_THAT(c.measured, Not(HasSubstr("0 ms")));
}

TEST(ClaimDohPlaintext, ANewConnectionAndNoPlaintextIsConfirmed) {
  auto c = doh_claim(clean_with(doh_fate(true, std::nullopt,
                                         {{"new_connections_after", 1},
                                          {"plaintext_dns_after_t0", no_plaintext()},
                                          {"bootstrap", bootstrap(0)}})));
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("0 plaintext DNS queries for its names after t=0"));
  EXPECT_THAT(c.measured, HasSubstr("doh.splitsecond.test resolved 0 times after t=0"));
  EXPECT_THAT(c.condition, IsEmpty());
}

TEST(ClaimDohPlaintext, WaitingOnTheOldConnectionIsSaidOnlyWhenTheRecordShowsIt) {
  auto c = doh_claim(clean_with(doh_fate(false, "ETIMEDOUT",
                                         {{"new_connections_after", 0},
                                          {"plaintext_dns_after_t0", no_plaintext()},
                                          {"bootstrap", bootstrap(0)},
                                          {"old_connection",
                                           {{"failed_lookups_after_t0", 2},
                                            {"pending_at_end", true},
                                            {"waiting_since_ms", 4012.3}}}})));
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_EQ(c.condition,
            "no new connection was opened within the window: the old one was still being waited "
            "on (a lookup sent on it at 4012 ms had no answer at the end)");
}

TEST(ClaimDohPlaintext, NoNewConnectionAndNothingPendingDependsWithoutTheWaitingText) {
  auto c = doh_claim(clean_with(doh_fate(false, "ETIMEDOUT",
                                         {{"new_connections_after", 0},
                                          {"plaintext_dns_after_t0", no_plaintext()},
                                          {"old_connection",
                                           {{"failed_lookups_after_t0", 3},
                                            {"pending_at_end", false},
                                            {"waiting_since_ms", nullptr}}}})));
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_EQ(c.condition,
            "no new connection was opened within the window: 3 lookups failed on the old "
            "connection");
  EXPECT_THAT(c.measured, HasSubstr("failed at 2000 ms (ETIMEDOUT); 0 new HTTPS connections"));
  EXPECT_THAT(c.condition, Not(HasSubstr("waited on")));
  // Without the bootstrap field the record says nothing about a name to resolve.
  EXPECT_THAT(c.measured, HasSubstr("by address"));
}

TEST(ClaimDohPlaintext, AMissingPlaintextCountIsNotMeasuredNotZero) {
  auto c = doh_claim(clean_with(doh_fate(true, std::nullopt, {{"new_connections_after", 1}})));
  EXPECT_EQ(c.verdict, "not measured");
  EXPECT_THAT(c.measured, HasSubstr("plaintext_dns_after_t0"));
  auto no_fresh = doh_claim(
      clean_with(doh_fate(true, std::nullopt, {{"plaintext_dns_after_t0", no_plaintext()}})));
  EXPECT_EQ(no_fresh.verdict, "not measured");
  EXPECT_THAT(no_fresh.measured, HasSubstr("new_connections_after"));
  EXPECT_EQ(doh_claim({{"clean", run("clean")}}).verdict, "not measured");
}

TEST(ClaimDohPlaintext, EvaluateClaimsUsesIt) {
  auto runs = clean_with(doh_fate(true, std::nullopt,
                                  {{"new_connections_after", 1},
                                   {"plaintext_dns_after_t0",
                                    {{"count", 1},
                                     {"qnames", {"doh-probe.splitsecond.test"}},
                                     {"resolvers", {"192.168.1.1"}},
                                     {"first_ms", 20.0}}}}));
  int found = 0;
  for (const auto& c : evaluate_claims(runs))
    if (c.id == "doh-partial") {
      ++found;
      EXPECT_EQ(c.verdict, "contradicted");
    }
  EXPECT_EQ(found, 1);
}

// ---- doh_plaintext_view ------------------------------------------------------------------------

json line(int64_t ms, const std::string& kind, json fields = json::object()) {
  fields["t_ns"] = kT0 + ms * 1'000'000;
  fields["agent"] = "doh-client";
  fields["kind"] = kind;
  return fields;
}

Event dns_out(int64_t ms, const std::string& qname, bool response = false,
              const std::string& dir = "out") {
  return {
      ms * 1000,
      Layer::packet,
      "dns_plaintext",
      {{"dir", dir}, {"dst", "192.168.1.1"}, {"dns", {{"qname", qname}, {"response", response}}}}};
}

AgentLines doh_client_lines() {
  return {line(-900, "resolve", {{"name", "doh.splitsecond.test"}}),
          line(-880, "ready",
               {{"name", "doh-probe.splitsecond.test"},
                {"bootstrap_name", "doh.splitsecond.test"},
                {"dns_cache_s", 0}}),
          line(-100, "lookup", {{"ok", true}, {"new_connection", false}}),
          line(100, "resolve", {{"name", "doh.splitsecond.test"}}),
          line(2100, "lookup", {{"ok", false}, {"new_connection", false}}),
          line(4600, "waiting", {{"since_ms", 500}, {"on", "old connection"}}),
          line(5200, "lookup", {{"ok", false}, {"new_connection", false}})};
}

TEST(DohPlaintextView, CountsTheClientsNamesSentInPlaintextAfterT0) {
  const std::vector<Event> events = {
      dns_out(-500, "doh.splitsecond.test"),       // before t=0
      dns_out(120, "doh.splitsecond.test."),       // counted (trailing dot)
      dns_out(121, "DOH.splitsecond.test"),        // counted (case)
      dns_out(122, "doh.splitsecond.test", true),  // a response
      dns_out(123, "doh.splitsecond.test", false, "in"),
      dns_out(130, "whoami.splitsecond.test"),     // another probe's name
      dns_out(300, "doh-probe.splitsecond.test"),  // counted: the lookup name itself
      dns_out(5001, "doh.splitsecond.test")};      // after the window
  const json v = doh_plaintext_view(doh_client_lines(), events, kT0, kEnd);
  const auto& p = v.at("plaintext_dns_after_t0");
  EXPECT_EQ(p.at("count"), 3);
  EXPECT_EQ(p.at("qnames"), json({"doh-probe.splitsecond.test", "doh.splitsecond.test"}));
  EXPECT_EQ(p.at("resolvers"), json({"192.168.1.1"}));
  EXPECT_DOUBLE_EQ(p.at("first_ms").get<double>(), 120.0);
  EXPECT_EQ(
      v.at("bootstrap"),
      json({{"name", "doh.splitsecond.test"}, {"dns_cache_s", 0}, {"resolutions_after_t0", 1}}));
}

TEST(DohPlaintextView, NoneSentIsAZeroCountWithNoFirstTime) {
  const json v =
      doh_plaintext_view(doh_client_lines(), {dns_out(130, "whoami.splitsecond.test")}, kT0, kEnd);
  EXPECT_EQ(v.at("plaintext_dns_after_t0").at("count"), 0);
  EXPECT_TRUE(v.at("plaintext_dns_after_t0").at("first_ms").is_null());
}

TEST(DohPlaintextView, ALookupWaitingOnTheOldConnectionAtTheEndIsPending) {
  const json o = doh_plaintext_view(doh_client_lines(), {}, kT0, kEnd).at("old_connection");
  EXPECT_EQ(o.at("failed_lookups_after_t0"), 1);  // the one at 5200 ms is after the window
  EXPECT_EQ(o.at("pending_at_end"), true);
  EXPECT_DOUBLE_EQ(o.at("waiting_since_ms").get<double>(), 4100.0);
}

TEST(DohPlaintextView, AWaitAnsweredBeforeTheEndIsNotPending) {
  AgentLines lines = doh_client_lines();
  lines.insert(lines.end() - 1, line(4800, "lookup", {{"ok", true}, {"new_connection", false}}));
  const json o = doh_plaintext_view(lines, {}, kT0, kEnd).at("old_connection");
  EXPECT_EQ(o.at("pending_at_end"), false);
  EXPECT_TRUE(o.at("waiting_since_ms").is_null());
  // Waiting on a new connection is not waiting on the old one.
  AgentLines fresh = doh_client_lines();
  fresh[5] = line(4600, "waiting", {{"since_ms", 500}, {"on", "new connection"}});
  EXPECT_EQ(doh_plaintext_view(fresh, {}, kT0, kEnd).at("old_connection").at("pending_at_end"),
            false);
}

TEST(DohPlaintextView, NoReadyLineGivesNothing) {
  EXPECT_TRUE(doh_plaintext_view({line(-900, "setup_failed")}, {}, kT0, kEnd).empty());
}

// ---- server sockets ----------------------------------------------------------------------------

ServerSocket sock(const std::string& state, std::optional<int64_t> last_data_recv_ms,
                  const std::string& peer = "192.168.1.100:40000") {
  ServerSocket s;
  s.local = "203.0.113.10:7001";
  s.peer = peer;
  s.state = state;
  s.last_data_recv_ms = last_data_recv_ms;
  s.last_ack_recv_ms = last_data_recv_ms;
  s.last_data_sent_ms = last_data_recv_ms;
  if (last_data_recv_ms) s.unacked = 0, s.retransmits = 0, s.total_retrans = 0;
  return s;
}

ServerSockets view(std::vector<ServerSocket> sockets) {
  return {5003.0, 15.0, {7001, 7002}, std::move(sockets)};
}

TEST(ServerSocketsHalfOpen, EstablishedAndSilentSinceBeforeT0CountsFromT0) {
  const auto v = view({sock("ESTABLISHED", 5303)});  // last data at -300 ms
  EXPECT_DOUBLE_EQ(*half_open_ms(v.sockets[0], v), 5003.0);
  EXPECT_DOUBLE_EQ(*last_data_at_ms(v.sockets[0], v), -300.0);
}

TEST(ServerSocketsHalfOpen, DataDuringTheDisconnectCountsFromThatData) {
  const auto v = view({sock("ESTABLISHED", 4993)});  // at 10 ms, before the 15 ms completion
  EXPECT_DOUBLE_EQ(*half_open_ms(v.sockets[0], v), 4993.0);
}

TEST(ServerSocketsHalfOpen, DataAfterTheDisconnectOtherStatesOrNoTcpInfoAreNot) {
  const auto v =
      view({sock("ESTABLISHED", 200), sock("CLOSE_WAIT", 5303), sock("ESTABLISHED", std::nullopt)});
  for (const auto& s : v.sockets) EXPECT_FALSE(half_open_ms(s, v)) << s.state;
}

TEST(ServerSocketsJson, RoundTripsWithTheDerivedFigures) {
  RunRecord r = run("clean");
  r.server_sockets = view({sock("ESTABLISHED", 5303), sock("CLOSE_WAIT", std::nullopt)});
  const json j = to_json(r);
  const auto& s0 = j.at("server_sockets").at("sockets").at(0);
  EXPECT_EQ(s0.at("state"), "ESTABLISHED");
  EXPECT_EQ(s0.at("last_data_recv_ms"), 5303);
  EXPECT_DOUBLE_EQ(s0.at("half_open_ms").get<double>(), 5003.0);
  EXPECT_DOUBLE_EQ(s0.at("last_data_at_ms").get<double>(), -300.0);
  EXPECT_TRUE(j.at("server_sockets").at("sockets").at(1).at("unacked").is_null());
  EXPECT_EQ(j.at("server_sockets").at("ports"), json({7001, 7002}));

  const RunRecord back = record_from_json(j);
  ASSERT_TRUE(back.server_sockets);
  EXPECT_DOUBLE_EQ(back.server_sockets->read_at_ms, 5003.0);
  EXPECT_DOUBLE_EQ(back.server_sockets->disconnect_done_ms, 15.0);
  ASSERT_EQ(back.server_sockets->sockets.size(), 2u);
  EXPECT_EQ(back.server_sockets->sockets[0].last_data_recv_ms, 5303);
  EXPECT_FALSE(back.server_sockets->sockets[1].last_data_recv_ms);
  EXPECT_FALSE(record_from_json(to_json(run("clean"))).server_sockets);  // absent stays absent
}

// ---- server-view -------------------------------------------------------------------------------

Event server_close(int64_t ms, const std::string& agent, json error) {
  return {ms * 1000,
          Layer::probe,
          "close",
          {{"agent", agent}, {"peer", "192.168.1.100:40000"}, {"error", error}}};
}

RunRecord with_sockets(const std::string& mode, std::vector<ServerSocket> sockets) {
  RunRecord r = run(mode);
  r.server_sockets = view(std::move(sockets));
  return r;
}

TEST(ClaimServerView, AHalfOpenSocketIsConfirmed) {
  auto c = server_view_claim(
      {{"clean", with_sockets("clean", {sock("ESTABLISHED", 5303), sock("ESTABLISHED", 4993),
                                        sock("ESTABLISHED", 30, "203.0.113.2:41000")})}});
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_EQ(c.measured,
            "clean: at 5003 ms the server held 3 probe connections, 2 half-open (no data since "
            "the disconnect, for 4993-5003 ms): :7001 x2; not half-open: 203.0.113.2:41000 -> "
            ":7001 ESTABLISHED, last data at 4973 ms; no server agent saw a reset");
}

TEST(ClaimServerView, AResetSeenByAServerAgentIsConfirmed) {
  RunRecord r = with_sockets("clean", {});
  r.events = {server_close(212, "tcp-server", "ECONNRESET"),
              server_close(-50, "ws-server", "ECONNRESET"),    // before t=0
              server_close(300, "tcp-client", "ECONNRESET")};  // a client's
  auto c = server_view_claim({{"clean", r}});
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("the server held 0 probe connections, 0 half-open;"));
  EXPECT_THAT(c.measured, HasSubstr("server agents saw ECONNRESET: tcp-server at 212 ms"));
  EXPECT_THAT(c.measured, Not(HasSubstr("ws-server")));
}

TEST(ClaimServerView, LiveOrClosedSocketsAndNoResetAreContradicted) {
  RunRecord r = with_sockets("clean", {sock("ESTABLISHED", 20), sock("CLOSE_WAIT", 5303)});
  r.events = {server_close(400, "tcp-server", nullptr)};  // an orderly close
  auto c = server_view_claim({{"clean", r}});
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_THAT(c.measured, HasSubstr("0 half-open; not half-open: 192.168.1.100:40000 -> :7001 "
                                    "ESTABLISHED, last data at 4983 ms"));
  EXPECT_THAT(c.measured, HasSubstr("CLOSE_WAIT, last data at -300 ms"));
  EXPECT_THAT(c.measured, HasSubstr("no server agent saw a reset"));
}

TEST(ClaimServerView, SomeRunsOnlyDependWithEachRunNamed) {
  auto c = server_view_claim({{"clean", with_sockets("clean", {sock("ESTABLISHED", 5303)})},
                              {"crash", with_sockets("crash", {sock("ESTABLISHED", 30)})}});
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_EQ(c.condition, "clean: half-open; crash: neither");
}

TEST(ClaimServerView, NoSocketsReadIsNotMeasured) {
  auto c = server_view_claim({{"clean", run("clean")}});
  EXPECT_EQ(c.verdict, "not measured");
  EXPECT_THAT(c.measured, HasSubstr("server_sockets"));
}

}  // namespace
}  // namespace ss
