// The article's claims against hand-built runs holding just what each claim reads, and against
// the stored real records: every verdict branch, the JSON shape and the stability of verdicts.
#include "model/claims.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

using nlohmann::json;
using ss::ClaimResult;
using ss::ClaimRuns;
using ss::evaluate_claims;
using ss::Event;
using ss::Layer;
using ss::ProbeFate;
using ss::RunRecord;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace {

RunRecord run(const std::string& mode) {
  RunRecord r;
  r.scenario = "hand";
  r.disconnect = mode;
  r.window_ms = 3000;
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  return r;
}

ProbeFate fate(const std::string& name, bool survived,
               std::optional<std::string> error = std::nullopt,
               std::optional<double> detected_ms = std::nullopt, json extra = json::object()) {
  ProbeFate f;
  f.name = name;
  f.proto = "tcp";
  f.survived = survived;
  f.error = std::move(error);
  f.detected_ms = detected_ms;
  f.extra = std::move(extra);
  return f;
}

RunRecord run_with(const std::string& mode, std::vector<ProbeFate> probes) {
  RunRecord r = run(mode);
  r.probes = std::move(probes);
  return r;
}

// Just a clean run holding these probes.
ClaimRuns clean(std::vector<ProbeFate> probes) {
  return {{"clean", run_with("clean", std::move(probes))}};
}

json wire(int segments_out, int rst_in = 0) {
  return {{"segments_out", segments_out},
          {"segments_in", rst_in},
          {"rst_in", rst_in},
          {"sources", segments_out ? json::array({"192.168.1.100"}) : json::array()}};
}

Event link_removed(int64_t t_us, const std::string& ifname) {
  return {t_us, Layer::link, "removed", {{"ifname", ifname}, {"index", 3}}};
}

Event route_removed(const std::string& dst, bool notified = true) {
  json d = {{"dst", dst}, {"dev", "tun0"}, {"table", "main"}};
  if (!notified) d["notified"] = false;
  return {14678, Layer::route, "removed", d};
}

Event dns_query(int64_t t_us, const std::string& dst, const std::string& dir = "out") {
  return {t_us, Layer::packet, "dns_plaintext", {{"dir", dir}, {"dst", dst}, {"dport", 53}}};
}

Event resolver_changed() {
  return {14837, Layer::dns, "resolver_changed", {{"from", {"10.8.0.1"}}, {"to", {"192.168.1.1"}}}};
}

ClaimResult claim(const ClaimRuns& runs, const std::string& id) {
  for (auto& c : evaluate_claims(runs))
    if (c.id == id) return c;
  ADD_FAILURE() << "no claim " << id;
  return {};
}

RunRecord stored(const std::string& name) {
  std::ifstream f(std::string(SS_TEST_DATA) + "/" + name);
  EXPECT_TRUE(f) << name;
  return ss::record_from_json(json::parse(f));
}

const std::vector<std::string> kAllIds = {
    "tunnel-removed",  "split-routes",      "send-now-reset", "idle-hangs",       "inflight-dies",
    "websocket-event", "quic-survives",     "mptcp-survives", "ssh-dies",         "mosh-survives",
    "dns-leak",        "resolver-restored", "doh-partial",    "client-ip-changes"};

}  // namespace

// ---- every claim, not measured without its run ------------------------------------------------

TEST(Claims, EveryClaimOnceInAFixedOrder) {
  const auto claims = evaluate_claims({});
  ASSERT_EQ(claims.size(), kAllIds.size());
  for (size_t i = 0; i < claims.size(); ++i) {
    EXPECT_EQ(claims[i].id, kAllIds[i]);
    EXPECT_THAT(claims[i].claim, Not(IsEmpty())) << claims[i].id;
  }
}

TEST(Claims, NoRunsMeansNothingMeasured) {
  for (const auto& c : evaluate_claims({})) {
    EXPECT_EQ(c.verdict, "not measured") << c.id;
    EXPECT_THAT(c.measured, Not(IsEmpty())) << c.id << ": says why";
    EXPECT_THAT(c.condition, IsEmpty()) << c.id;
  }
}

TEST(Claims, AProbeThatFailedSetUpIsNotMeasured) {
  ClaimRuns runs;
  for (const char* name : {"tcp-send-now", "tcp-idle", "tcp-inflight", "websocket", "quic", "mptcp",
                           "ssh", "mosh", "doh", "ip-seen"}) {
    ProbeFate f = fate(name, false, "ECONNREFUSED", 1.0);
    f.setup_ok = false;
    runs["clean"].probes.push_back(f);
  }
  for (const char* id :
       {"send-now-reset", "idle-hangs", "inflight-dies", "websocket-event", "quic-survives",
        "mptcp-survives", "ssh-dies", "mosh-survives", "doh-partial", "client-ip-changes"})
    EXPECT_EQ(claim(runs, id).verdict, "not measured") << id;
}

TEST(Claims, AProbeOnlyInAnotherRunIsNotMeasured) {
  ClaimRuns runs;
  runs["crash"] = run_with("crash", {fate("tcp-idle", false), fate("websocket", false, "EOF"),
                                     fate("quic", true), fate("ip-seen", true)});
  for (const char* id : {"idle-hangs", "websocket-event", "quic-survives", "client-ip-changes"})
    EXPECT_EQ(claim(runs, id).verdict, "not measured") << id;
}

// ---- tunnel-removed ---------------------------------------------------------------------------

TEST(ClaimTunnelRemoved, RemovedInEveryModeIsConfirmed) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  runs["clean"].events = {link_removed(14678, "tun0")};
  runs["crash"].events = {link_removed(900, "tun0")};
  auto c = claim(runs, "tunnel-removed");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_EQ(c.measured, "clean: tun0 removed; crash: tun0 removed");
  EXPECT_THAT(c.condition, IsEmpty());
}

TEST(ClaimTunnelRemoved, NeverRemovedIsContradicted) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  runs["clean"].events = {{14678, Layer::link, "down", {{"ifname", "tun0"}}},
                          link_removed(-5000, "tun0"),   // before t=0: not the disconnect
                          link_removed(14678, "tun1")};  // another interface
  auto c = claim(runs, "tunnel-removed");
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_EQ(c.measured, "clean: tun0 not removed; crash: tun0 not removed");
}

TEST(ClaimTunnelRemoved, RemovedInSomeModesDependsWithTheCondition) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  runs["clean"].events = {link_removed(14678, "tun0")};
  auto c = claim(runs, "tunnel-removed");
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_THAT(c.condition, Not(IsEmpty()));
  EXPECT_EQ(c.measured, "clean: tun0 removed; crash: tun0 not removed");
}

TEST(ClaimTunnelRemoved, OneModeIsEnough) {
  ClaimRuns runs{{"crash", run("crash")}};
  runs["crash"].events = {link_removed(0, "tun0")};
  EXPECT_EQ(claim(runs, "tunnel-removed").verdict, "confirmed");
  EXPECT_EQ(claim({{"keep-interface", run("keep-interface")}}, "tunnel-removed").verdict,
            "not measured");
}

// ---- split-routes -----------------------------------------------------------------------------

ClaimRuns split_routes_run(bool both_halves, bool default_removed, int leaked) {
  RunRecord r = run("clean");
  r.events = {route_removed("0.0.0.0/1", false)};
  if (both_halves) r.events.push_back(route_removed("128.0.0.0/1", false));
  if (default_removed) r.events.push_back(route_removed("0.0.0.0/0"));
  r.leaks.non_tunnel_packets = leaked;
  return {{"clean", r}};
}

TEST(ClaimSplitRoutes, HalvesGoneDefaultKeptTrafficOnEn0IsConfirmed) {
  auto c = claim(split_routes_run(true, false, 112), "split-routes");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("0.0.0.0/1 removed, 128.0.0.0/1 removed"));
  EXPECT_THAT(c.measured, HasSubstr("the kernel announced neither removal"));
  EXPECT_THAT(c.measured, HasSubstr("default route untouched"));
  EXPECT_THAT(c.measured, HasSubstr("112 packets left en0"));
}

TEST(ClaimSplitRoutes, DnsLeaksCountAsTrafficOnEn0) {
  auto runs = split_routes_run(true, false, 0);
  runs["clean"].leaks.dns_plaintext = 3;
  EXPECT_EQ(claim(runs, "split-routes").verdict, "confirmed");
}

TEST(ClaimSplitRoutes, AKeptHalfIsContradicted) {
  auto c = claim(split_routes_run(false, false, 10), "split-routes");
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_THAT(c.measured, HasSubstr("128.0.0.0/1 kept"));
}

TEST(ClaimSplitRoutes, ARemovedDefaultRouteIsContradicted) {
  auto c = claim(split_routes_run(true, true, 10), "split-routes");
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_THAT(c.measured, HasSubstr("default route removed"));
}

TEST(ClaimSplitRoutes, NothingOnEn0IsContradicted) {
  EXPECT_EQ(claim(split_routes_run(true, false, 0), "split-routes").verdict, "contradicted");
}

TEST(ClaimSplitRoutes, AnnouncedRemovalsAreNotCalledUnannounced) {
  RunRecord r = run("clean");
  r.events = {route_removed("0.0.0.0/1"), route_removed("128.0.0.0/1")};
  r.leaks.non_tunnel_packets = 1;
  auto c = claim({{"clean", r}}, "split-routes");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, Not(HasSubstr("announced")));
}

TEST(ClaimSplitRoutes, NeedsTheCleanRun) {
  EXPECT_EQ(claim({{"crash", run("crash")}}, "split-routes").verdict, "not measured");
}

// ---- send-now-reset ---------------------------------------------------------------------------

TEST(ClaimSendNow, ResetInEveryModeIsConfirmed) {
  ClaimRuns runs{{"clean", run_with("clean", {fate("tcp-send-now", false, "ECONNRESET", 12.3,
                                                   {{"wire_after_t0", wire(2, 1)}})})},
                 {"crash", run_with("crash", {fate("tcp-send-now", false, "ECONNRESET", 30.0)})}};
  auto c = claim(runs, "send-now-reset");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured,
              HasSubstr("clean: ECONNRESET after 12 ms (2 segments left en0, 1 RST came back)"));
  EXPECT_THAT(c.measured, HasSubstr("crash: ECONNRESET after 30 ms"));
  EXPECT_THAT(c.condition, IsEmpty());
}

TEST(ClaimSendNow, NoResetAnywhereIsContradictedWithTheCondition) {
  ClaimRuns runs{{"clean", run_with("clean", {fate("tcp-send-now", false, std::nullopt,
                                                   std::nullopt, {{"wire_after_t0", wire(0)}})})}};
  auto c = claim(runs, "send-now-reset");
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_THAT(c.measured, HasSubstr("clean: no error and no data to the end of the window (0 "
                                    "segments left en0, 0 RST came back)"));
  EXPECT_THAT(c.condition, Not(IsEmpty()));
}

TEST(ClaimSendNow, AnotherErrorIsNotAReset) {
  ClaimRuns runs{{"clean", run_with("clean", {fate("tcp-send-now", false, "ETIMEDOUT", 900.0)})}};
  EXPECT_EQ(claim(runs, "send-now-reset").verdict, "contradicted");
}

TEST(ClaimSendNow, ResetInSomeModesDependsAndNamesThem) {
  ClaimRuns runs{{"clean", run_with("clean", {fate("tcp-send-now", false, "ECONNRESET", 12.0)})},
                 {"crash", run_with("crash", {fate("tcp-send-now", false)})},
                 {"keep-interface", run_with("keep-interface", {fate("tcp-send-now", true)})}};
  auto c = claim(runs, "send-now-reset");
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_EQ(c.condition, "clean: reset; crash: no reset; keep-interface: no reset");
  EXPECT_THAT(c.measured, HasSubstr("keep-interface: kept working"));
}

TEST(ClaimSendNow, NoProbeIsNotMeasured) {
  EXPECT_EQ(claim({{"clean", run("clean")}}, "send-now-reset").verdict, "not measured");
}

// ---- idle-hangs -------------------------------------------------------------------------------

ClaimRuns idle_run(ProbeFate p) {
  RunRecord r = run_with("clean", {std::move(p)});
  r.kernel = {{"tcp_keepalive_time", 7200},
              {"tcp_keepalive_intvl", 75},
              {"tcp_keepalive_probes", 9},
              {"tcp_retries2", 15}};
  return {{"clean", r}};
}

TEST(ClaimIdleHangs, NoErrorAndNoDataIsConfirmed) {
  auto c = claim(idle_run(fate("tcp-idle", false)), "idle-hangs");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("no error and no data to the end of the window"));
  // The namespace's sysctls: 7200 s idle, 9 probes 75 s apart.
  EXPECT_THAT(c.measured, HasSubstr("(7200 s idle, 9 x 75 s probes) give about 7875 s"));
}

TEST(ClaimIdleHangs, AnErrorIsContradicted) {
  EXPECT_EQ(claim(idle_run(fate("tcp-idle", false, "ECONNRESET", 5.0)), "idle-hangs").verdict,
            "contradicted");
}

TEST(ClaimIdleHangs, KeptWorkingIsContradicted) {
  EXPECT_EQ(claim(idle_run(fate("tcp-idle", true)), "idle-hangs").verdict, "contradicted");
}

TEST(ClaimIdleHangs, MissingSysctlsReadAsZero) {
  auto c = claim({{"clean", run_with("clean", {fate("tcp-idle", false)})}}, "idle-hangs");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("give about 0 s"));
}

TEST(ClaimIdleHangs, NeedsTheProbe) {
  EXPECT_EQ(claim(idle_run(fate("tcp", false)), "idle-hangs").verdict, "not measured");
}

// ---- inflight-dies ----------------------------------------------------------------------------

ClaimRuns inflight_run(int segments_out, bool survived = false) {
  return idle_run(fate("tcp-inflight", survived, std::nullopt, std::nullopt,
                       {{"wire_after_t0", wire(segments_out)}, {"tcp_unacked", 12}}));
}

TEST(ClaimInflight, SilentAndDeadIsConfirmedWithTheRetries2Bound) {
  auto c = claim(inflight_run(0), "inflight-dies");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("12 segments unacknowledged at the end"));
  EXPECT_THAT(c.measured, HasSubstr("tcp_retries2=15 predicts ETIMEDOUT after at least 924.6 s"));
  EXPECT_THAT(c.condition, IsEmpty());
}

TEST(ClaimInflight, SegmentsLeavingEn0IsContradicted) {
  EXPECT_EQ(claim(inflight_run(4), "inflight-dies").verdict, "contradicted");
}

TEST(ClaimInflight, SurvivingIsContradicted) {
  EXPECT_EQ(claim(inflight_run(0, true), "inflight-dies").verdict, "contradicted");
}

TEST(ClaimInflight, UserTimeoutErrorConfirmsWithTheCondition) {
  auto runs = inflight_run(0);
  runs["user-timeout"] = run_with(
      "clean", {fate("tcp-inflight", false, "ETIMEDOUT", 5012.4, {{"wire_after_t0", wire(0)}})});
  auto c = claim(runs, "inflight-dies");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("with TCP_USER_TIMEOUT set: ETIMEDOUT after 5012 ms"));
  EXPECT_THAT(c.condition, HasSubstr(">= 925 s"));
  EXPECT_THAT(c.condition, HasSubstr("TCP_USER_TIMEOUT (ETIMEDOUT after 5012 ms)"));
}

TEST(ClaimInflight, UserTimeoutRunWithSegmentsOnEn0IsContradicted) {
  auto runs = inflight_run(3);
  runs["user-timeout"] = run_with("clean", {fate("tcp-inflight", false, "ETIMEDOUT", 5000.0)});
  EXPECT_EQ(claim(runs, "inflight-dies").verdict, "contradicted");
}

TEST(ClaimInflight, NeedsTheCleanRun) {
  ClaimRuns runs{
      {"user-timeout", run_with("clean", {fate("tcp-inflight", false, "ETIMEDOUT", 5000.0)})}};
  EXPECT_EQ(claim(runs, "inflight-dies").verdict, "not measured");
}

// ---- websocket-event --------------------------------------------------------------------------

TEST(ClaimWebsocket, AnErrorEventIsConfirmed) {
  auto c = claim({{"clean", run_with("clean", {fate("websocket", false, "ECONNRESET", 40.0)})}},
                 "websocket-event");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_EQ(c.measured, "ECONNRESET after 40 ms");
  EXPECT_THAT(c.condition, IsEmpty());
}

TEST(ClaimWebsocket, HangingIsContradictedAndSaysHow) {
  auto c = claim({{"clean", run_with("clean", {fate("websocket", false)})}}, "websocket-event");
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_THAT(c.condition, HasSubstr("no close or error event within the window"));
}

TEST(ClaimWebsocket, KeptWorkingIsContradicted) {
  auto c = claim({{"clean", run_with("clean", {fate("websocket", true)})}}, "websocket-event");
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_EQ(c.measured, "kept working");
}

// ---- quic-survives ----------------------------------------------------------------------------

ProbeFate quic(bool survived) {
  return fate("quic", survived, std::nullopt, std::nullopt,
              {{"server_addresses", {"198.51.100.1:47133", "203.0.113.2:47133"}}});
}

TEST(ClaimQuic, SurvivingIsConfirmedAndShowsTheServersView) {
  auto c = claim({{"clean", run_with("clean", {quic(true)})}}, "quic-survives");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("server allowing migration: kept working"));
  EXPECT_THAT(c.measured, HasSubstr("198.51.100.1:47133"));
  EXPECT_THAT(c.measured, HasSubstr("203.0.113.2:47133"));
}

TEST(ClaimQuic, DyingIsContradicted) {
  EXPECT_EQ(claim({{"clean", run_with("clean", {quic(false)})}}, "quic-survives").verdict,
            "contradicted");
}

TEST(ClaimQuic, DependsOnTheServerAcceptingMigration) {
  ClaimRuns runs{{"clean", run_with("clean", {quic(true)})},
                 {"no-migration", run_with("clean", {quic(false)})}};
  auto c = claim(runs, "quic-survives");
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_THAT(c.condition, HasSubstr("disable_active_migration"));
  EXPECT_THAT(c.measured, HasSubstr("server refusing migration: no error and no data"));
}

TEST(ClaimQuic, SurvivingEvenWithoutMigrationIsConfirmed) {
  ClaimRuns runs{{"clean", run_with("clean", {quic(true)})},
                 {"no-migration", run_with("clean", {quic(true)})}};
  EXPECT_EQ(claim(runs, "quic-survives").verdict, "confirmed");
}

TEST(ClaimQuic, OnlyTheNoMigrationRunIsNotMeasured) {
  EXPECT_EQ(claim({{"no-migration", run_with("clean", {quic(true)})}}, "quic-survives").verdict,
            "not measured");
}

// ---- mptcp, ssh, mosh -------------------------------------------------------------------------

TEST(ClaimSimpleSurvival, ArticleSaysSurvivesAndItDid) {
  ClaimRuns runs{{"clean", run_with("clean", {fate("mptcp", true, std::nullopt, std::nullopt,
                                                   {{"gap_ms", 498.7}}),
                                              fate("mosh", true)})}};
  auto m = claim(runs, "mptcp-survives");
  EXPECT_EQ(m.verdict, "confirmed");
  EXPECT_EQ(m.measured, "kept working; gap 499 ms");
  EXPECT_EQ(claim(runs, "mosh-survives").verdict, "confirmed");
}

TEST(ClaimSimpleSurvival, ArticleSaysSurvivesAndItDidNot) {
  ClaimRuns runs{
      {"clean", run_with("clean", {fate("mptcp", false, "ECONNRESET", 3.0), fate("mosh", false)})}};
  EXPECT_EQ(claim(runs, "mptcp-survives").verdict, "contradicted");
  EXPECT_EQ(claim(runs, "mosh-survives").verdict, "contradicted");
}

TEST(ClaimSimpleSurvival, SshDiesIsConfirmedWhenItDoesNotSurvive) {
  auto c = claim(clean({fate("ssh", false, std::nullopt, std::nullopt, {{"gap_ms", 3045.3}})}),
                 "ssh-dies");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_EQ(c.measured, "no error and no data to the end of the window; gap 3045 ms");
}

TEST(ClaimSimpleSurvival, SshSurvivingContradicts) {
  auto c = claim(clean({fate("ssh", true, std::nullopt, std::nullopt, {{"gap_ms", nullptr}})}),
                 "ssh-dies");
  EXPECT_EQ(c.verdict, "contradicted");
  EXPECT_EQ(c.measured, "kept working") << "a null gap is not shown";
}

// ---- dns-leak ---------------------------------------------------------------------------------

TEST(ClaimDnsLeak, LeaksEverywhereToDifferentResolversIsConfirmedWithWhere) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  runs["clean"].events = {dns_query(35000, "192.168.1.1"), dns_query(36000, "192.168.1.1"),
                          dns_query(36100, "10.8.0.1", "in")};
  runs["clean"].leaks.dns_plaintext = 2;
  runs["crash"].events = {dns_query(30000, "10.8.0.1")};
  runs["crash"].leaks.dns_plaintext = 1;
  auto c = claim(runs, "dns-leak");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_EQ(c.measured,
            "clean: 2 plaintext queries on en0 to 192.168.1.1; crash: 1 plaintext queries on en0 "
            "to 10.8.0.1");
  EXPECT_EQ(c.condition,
            "where they go depends on who restores the resolver: clean to 192.168.1.1, crash to "
            "10.8.0.1");
}

TEST(ClaimDnsLeak, LeaksToTheSameResolverIsConfirmedWithoutCondition) {
  ClaimRuns runs{{"clean", run("clean")}};
  runs["clean"].events = {dns_query(35000, "192.168.1.1")};
  auto c = claim(runs, "dns-leak");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.condition, IsEmpty());
}

TEST(ClaimDnsLeak, LeakingInOneModeOnlyDepends) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  runs["clean"].events = {dns_query(35000, "192.168.1.1")};
  runs["crash"].events = {dns_query(-5000, "192.168.1.1")};  // before t=0: not a leak
  auto c = claim(runs, "dns-leak");
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_THAT(c.condition, HasSubstr("clean to 192.168.1.1"));
  EXPECT_THAT(c.measured, HasSubstr("crash: 0 plaintext queries on en0 to nobody"));
}

TEST(ClaimDnsLeak, NeedsACleanOrCrashRun) {
  EXPECT_EQ(claim({{"user-timeout", run("clean")}}, "dns-leak").verdict, "not measured");
}

// ---- resolver-restored ------------------------------------------------------------------------

TEST(ClaimResolverRestored, RestoredInEveryModeIsConfirmed) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  runs["clean"].events = {resolver_changed()};
  runs["crash"].events = {resolver_changed()};
  auto c = claim(runs, "resolver-restored");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_EQ(c.measured, "clean: restored; crash: restored");
}

TEST(ClaimResolverRestored, OnlyOnCleanShutdownDepends) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  runs["clean"].events = {resolver_changed()};
  auto c = claim(runs, "resolver-restored");
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_THAT(c.condition, HasSubstr("after a crash nothing restores it"));
  EXPECT_EQ(c.measured, "clean: restored; crash: not restored (still the VPN's resolver)");
}

TEST(ClaimResolverRestored, NeverRestoredIsContradicted) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  Event before = resolver_changed();
  before.t_us = -800000;  // the VPN coming up: not a restore
  runs["clean"].events = {before};
  EXPECT_EQ(claim(runs, "resolver-restored").verdict, "contradicted");
}

// ---- doh-partial ------------------------------------------------------------------------------

TEST(ClaimDoh, ANewConnectionAfterT0IsConfirmed) {
  auto c = claim(clean({fate("doh", true, "ETIMEDOUT", 2000.0,
                             {{"new_connections_after", 1}, {"recovered_ms", 2100.4}})}),
                 "doh-partial");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_THAT(c.measured, HasSubstr("1 new HTTPS connections after t=0"));
  EXPECT_THAT(c.measured, HasSubstr("working again at 2100 ms"));
  EXPECT_THAT(c.condition, IsEmpty());
}

TEST(ClaimDoh, NoNewConnectionDependsWithTheCondition) {
  auto c = claim(clean({fate("doh", false, "ETIMEDOUT", 2125.9, {{"new_connections_after", 0}})}),
                 "doh-partial");
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_THAT(c.condition, HasSubstr("no new connection was opened within the window"));
  EXPECT_THAT(c.measured, Not(HasSubstr("working again")));
}

// ---- client-ip-changes ------------------------------------------------------------------------

TEST(ClaimIpChanges, ADifferentAddressAfterIsConfirmed) {
  auto c = claim(clean({fate("ip-seen", true, std::nullopt, std::nullopt,
                             {{"server_saw_before", {"198.51.100.1"}},
                              {"server_saw_after", {"203.0.113.2"}},
                              {"address_changed", true}})}),
                 "client-ip-changes");
  EXPECT_EQ(c.verdict, "confirmed");
  EXPECT_EQ(c.measured, R"(server saw ["198.51.100.1"] before, ["203.0.113.2"] after)");
}

TEST(ClaimIpChanges, TheSameAddressIsContradicted) {
  auto c = claim(clean({fate("ip-seen", true, std::nullopt, std::nullopt,
                             {{"server_saw_before", {"198.51.100.1"}},
                              {"server_saw_after", {"198.51.100.1"}},
                              {"address_changed", false}})}),
                 "client-ip-changes");
  EXPECT_EQ(c.verdict, "contradicted");
}

// ---- the stored real records ------------------------------------------------------------------

TEST(ClaimsStored, VerdictsFromTheRealCleanAndCrashRuns) {
  ClaimRuns runs{{"clean", stored("survival-record.json")}, {"crash", stored("crash-record.json")}};
  const auto claims = evaluate_claims(runs);
  auto verdict = [&](const std::string& id) {
    for (const auto& c : claims)
      if (c.id == id) return c.verdict;
    return std::string("missing");
  };
  // What these records hold: the tunnel deleted in the clean run, the split routes removed
  // unannounced with traffic on en0 after, idle and in-flight TCP silent, quic migrating, the
  // server seeing a new address, ssh frozen, mosh alive, no mptcp probe in the run.
  EXPECT_EQ(verdict("split-routes"), "confirmed");
  EXPECT_EQ(verdict("idle-hangs"), "confirmed");
  EXPECT_EQ(verdict("inflight-dies"), "confirmed");
  EXPECT_EQ(verdict("websocket-event"), "contradicted");
  EXPECT_EQ(verdict("send-now-reset"), "contradicted");
  EXPECT_EQ(verdict("quic-survives"), "confirmed");
  EXPECT_EQ(verdict("client-ip-changes"), "confirmed");
  EXPECT_EQ(verdict("ssh-dies"), "confirmed");
  EXPECT_EQ(verdict("mosh-survives"), "confirmed");
  EXPECT_EQ(verdict("mptcp-survives"), "not measured");
  EXPECT_EQ(verdict("doh-partial"), "depends");
  for (const auto& c : claims) {
    if (c.id == "inflight-dies") {
      EXPECT_THAT(c.measured, HasSubstr("tcp_retries2=15 predicts ETIMEDOUT after at least 924.6"));
    }
  }
}

TEST(ClaimsStored, SameInputSameVerdicts) {
  ClaimRuns runs{{"clean", stored("survival-record.json")}, {"crash", stored("crash-record.json")}};
  const auto a = evaluate_claims(runs), b = evaluate_claims(runs);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].verdict, b[i].verdict) << a[i].id;
    EXPECT_EQ(a[i].measured, b[i].measured) << a[i].id;
    EXPECT_EQ(a[i].condition, b[i].condition) << a[i].id;
  }
  EXPECT_EQ(ss::claims_to_json(a), ss::claims_to_json(b));
}

// ---- retries2_timeout_s -----------------------------------------------------------------------

TEST(Retries2Timeout, LinuxBounds) {
  // RTO 200 ms doubling: 0.2 + 0.4 + ... + 102.4 = 204.6 s over ten, then six at the 120 s cap.
  EXPECT_NEAR(ss::retries2_timeout_s(15), 924.6, 1e-9);
  EXPECT_NEAR(ss::retries2_timeout_s(0), 0.2, 1e-12);
  EXPECT_NEAR(ss::retries2_timeout_s(1), 0.6, 1e-12);
  EXPECT_NEAR(ss::retries2_timeout_s(8), 102.2, 1e-9);  // the kernel's own comment: ~100 s
  EXPECT_NEAR(ss::retries2_timeout_s(16), 1044.6, 1e-9);
}

// ---- claims_to_json / render_claims -----------------------------------------------------------

TEST(ClaimsJson, SchemaListedClaimsAndNotMeasured) {
  ClaimRuns runs{{"clean", run_with("clean", {fate("websocket", false, "ECONNRESET", 40.0),
                                              fate("tcp-idle", false), fate("ssh", true)})}};
  runs["clean"].events = {link_removed(100, "tun0")};
  const auto claims = evaluate_claims(runs);
  const json j = ss::claims_to_json(claims);
  EXPECT_EQ(j.at("schema"), "splitsecond.claims/1");
  ASSERT_TRUE(j.at("claims").is_array());
  ASSERT_TRUE(j.at("not_measured").is_array());
  EXPECT_EQ(j["claims"].size() + j["not_measured"].size(), claims.size());
  const std::set<std::string> verdicts = {"confirmed", "contradicted", "depends"};
  std::set<std::string> listed;
  for (const auto& c : j["claims"]) {
    for (const char* k : {"id", "claim", "measured", "verdict", "condition"})
      EXPECT_TRUE(c.contains(k)) << c.dump() << " lacks " << k;
    EXPECT_TRUE(verdicts.count(c.at("verdict").get<std::string>())) << c.dump();
    EXPECT_TRUE(c["condition"].is_null() || c["condition"].is_string()) << c.dump();
    listed.insert(c.at("id").get<std::string>());
  }
  for (const auto& c : j["not_measured"]) {
    EXPECT_TRUE(c.contains("id") && c.contains("claim") && c.contains("why")) << c.dump();
    EXPECT_FALSE(listed.count(c.at("id").get<std::string>())) << c.dump();
  }
  // What this run held decides which are listed.
  EXPECT_EQ(listed, (std::set<std::string>{"tunnel-removed", "split-routes", "idle-hangs",
                                           "websocket-event", "ssh-dies", "dns-leak",
                                           "resolver-restored"}));
}

TEST(ClaimsJson, ConditionIsNullWhenEmptyAndTextWhenSet) {
  const std::vector<ClaimResult> claims = {
      {"a", "claim a", "seen a", "confirmed", ""},
      {"b", "claim b", "seen b", "depends", "when b"},
      {"c", "claim c", "no run", "not measured", ""},
  };
  const json j = ss::claims_to_json(claims);
  ASSERT_EQ(j["claims"].size(), 2u);
  EXPECT_TRUE(j["claims"][0]["condition"].is_null());
  EXPECT_EQ(j["claims"][1]["condition"], "when b");
  ASSERT_EQ(j["not_measured"].size(), 1u);
  EXPECT_EQ(j["not_measured"][0], (json{{"id", "c"}, {"claim", "claim c"}, {"why", "no run"}}));
}

TEST(RenderClaims, OneBlockPerClaimWithItsCondition) {
  const std::vector<ClaimResult> claims = {
      {"a", "claim a", "seen a", "confirmed", ""},
      {"b", "claim b", "seen b", "depends", "when b"},
  };
  EXPECT_EQ(ss::render_claims(claims),
            "[confirmed] a\n  claim:    claim a\n  measured: seen a\n"
            "[depends] b\n  claim:    claim b\n  measured: seen b\n  when:     when b\n");
}

// ---- candidates: expected behaviour the code may not have -------------------------------------

TEST(ClaimDnsLeak, NoLeakInAnyModeIsContradicted) {
  ClaimRuns runs{{"clean", run("clean")}, {"crash", run("crash")}};
  runs["clean"].events = {dns_query(-5000, "192.168.1.1"), dns_query(5000, "10.8.0.1", "in")};
  auto c = claim(runs, "dns-leak");
  EXPECT_EQ(c.verdict, "contradicted") << c.measured << " / " << c.condition;
}

TEST(ClaimInflight, DependsOnlyWithItsCondition) {
  auto runs = inflight_run(0);
  runs["user-timeout"] = run_with("clean", {fate("tcp-inflight", false, std::nullopt, std::nullopt,
                                                 {{"wire_after_t0", wire(0)}})});
  auto c = claim(runs, "inflight-dies");
  EXPECT_EQ(c.verdict, "depends");
  EXPECT_THAT(c.condition, Not(IsEmpty())) << c.measured;
}

TEST(ClaimInflight, WithoutAWireViewSilenceIsNotMeasured) {
  // A run without a capture has no wire_after_t0: nothing says whether segments left en0, so
  // "no segment left en0" cannot confirm the claim (and the key must not be indexed).
  auto c = claim(idle_run(fate("tcp-inflight", false)), "inflight-dies");
  EXPECT_NE(c.verdict, "confirmed") << c.measured;
}
