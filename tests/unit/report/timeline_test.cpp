// The terminal report: what it says about the stored lab records and about hand-built events.
#include "report/timeline.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

using nlohmann::json;
using ss::Event;
using ss::Layer;
using ss::RunRecord;
using ss::report::describe_event;
using ss::report::render_run;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

RunRecord stored(const std::string& name) {
  std::ifstream f(std::string(SS_TEST_DATA) + "/" + name);
  EXPECT_TRUE(f) << name;
  return ss::record_from_json(json::parse(f));
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

RunRecord minimal() {
  RunRecord r;
  r.scenario = "hand";
  r.disconnect = "clean";
  r.window_ms = 3000;
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  return r;
}

Event packet(int64_t t_us, const std::string& cls, int sport) {
  return {t_us,
          Layer::packet,
          cls,
          {{"dir", "out"},
           {"proto", 17},
           {"src", "192.168.1.100"},
           {"sport", sport},
           {"dst", "198.51.100.10"},
           {"dport", 9000}}};
}

}  // namespace

TEST(Timeline, DisconnectRecordSummary) {
  const std::string out = render_run(stored("disconnect-record.json"));
  EXPECT_THAT(out, HasSubstr("scenario 'disconnect' (clean disconnect), wireguard via wireguard-go "
                             "(tun0 10.8.0.42 -> 198.51.100.1:51820)"));
  EXPECT_THAT(out, HasSubstr("lab up 9.3 ms, VPN up 14.1 ms (handshake done), teardown 43.0 ms; "
                             "window 3000 ms"));
  EXPECT_THAT(out, HasSubstr("+0.000 ms  link   DISCONNECT (clean), the trigger took 26113 us"));
  EXPECT_THAT(out, HasSubstr("1 tunnel interface: tun0 removed at +26.118 ms"));
  EXPECT_THAT(out, HasSubstr("2 routes: 6 main-table routes removed after t=0 (fe80::/64, "
                             "0.0.0.0/1, 10.8.0.0/24, 128.0.0.0/1, 198.51.100.1/32"));
  EXPECT_THAT(out, HasSubstr("dns probe: survived"));
  EXPECT_THAT(out, HasSubstr("answered by vpn-resolver before, by home-resolver after; 0 failed "
                             "lookups after t=0"));
  EXPECT_THAT(out, HasSubstr("tcp probe: no error and no data: still hanging"));
  EXPECT_THAT(out, HasSubstr("4 resolver: 10.8.0.1 -> 192.168.1.1 at +26.301 ms"));
  EXPECT_THAT(out, HasSubstr("after t=0: 0 tunnel, 120 plaintext DNS, 0 bypassing the tunnel, 9 "
                             "link housekeeping"));
  EXPECT_THAT(out, HasSubstr("leaks in the window: 60 plaintext DNS queries, 0 other packets"));
  // 20 of the 120 plaintext DNS packets are listed, the rest counted.
  EXPECT_EQ(count(out, "  packet "), 20);
  EXPECT_THAT(out, HasSubstr("... and 100 more packets outside the tunnel"));
  EXPECT_THAT(out, HasSubstr("DNS query whoami.splitsecond.test"));
  EXPECT_THAT(out, Not(HasSubstr("WARNING")));
}

TEST(Timeline, CrashRecordSummary) {
  const std::string out = render_run(stored("crash-record.json"));
  EXPECT_THAT(out, HasSubstr("(crash disconnect)"));
  EXPECT_THAT(out, HasSubstr("1 tunnel interface: tun0 removed at +14.619 ms"));
  EXPECT_THAT(out, HasSubstr("2 routes: 4 main-table routes removed after t=0"));
  EXPECT_THAT(out, HasSubstr("dns probe: failed: TRY_AGAIN at +30.3 ms"));
  EXPECT_THAT(out, HasSubstr("answered by vpn-resolver before, by (none) after; 1 failed lookups"));
  EXPECT_THAT(out, HasSubstr("a lookup was still waiting for an answer at the end of the window "
                             "(since +30.3 ms)"));
  EXPECT_THAT(out, HasSubstr("4 resolver: resolv.conf did not change in the window"));
  EXPECT_THAT(out, HasSubstr("after t=0: 0 tunnel, 3 plaintext DNS, 2 bypassing the tunnel, 9 link "
                             "housekeeping"));
  EXPECT_THAT(out, HasSubstr("lookup via 10.8.0.1 FAILED TRY_AGAIN after 0.6 ms"));
  EXPECT_THAT(out, Not(HasSubstr("more packets outside the tunnel")));
}

TEST(Timeline, DescribesEachLayer) {
  EXPECT_EQ(describe_event({412, Layer::link, "removed", {{"ifname", "tun0"}}}),
            "    +0.412 ms  link   tun0 removed");
  EXPECT_EQ(describe_event({-1500, Layer::link, "up", {{"ifname", "en0"}}}),
            "    -1.500 ms  link   en0 up");
  EXPECT_EQ(describe_event({0, Layer::link, "trigger", {{"mode", "crash"}, {"took_us", 637}}}),
            "    +0.000 ms  link   DISCONNECT (crash), the trigger took 637 us");
  EXPECT_EQ(
      describe_event({500, Layer::addr, "removed", {{"address", "10.8.0.42/24"}, {"dev", "tun0"}}}),
      "    +0.500 ms  addr   10.8.0.42/24 removed on tun0");
  EXPECT_EQ(describe_event({26118,
                            Layer::route,
                            "removed",
                            {{"dst", "198.51.100.1/32"},
                             {"dev", "en0"},
                             {"gateway", "192.168.1.1"},
                             {"table", "main"},
                             {"type", "unicast"}}}),
            "   +26.118 ms  route  198.51.100.1/32 dev en0 via 192.168.1.1 (table main, unicast) "
            "removed");
  EXPECT_EQ(describe_event({1,
                            Layer::route,
                            "added",
                            {{"dst", "0.0.0.0/1"},
                             {"dev", "tun0"},
                             {"gateway", nullptr},
                             {"table", 1000},
                             {"type", "unicast"}}}),
            "    +0.001 ms  route  0.0.0.0/1 dev tun0 (table 1000, unicast) added");
  EXPECT_EQ(describe_event({26301,
                            Layer::dns,
                            "resolver_changed",
                            {{"from", {"10.8.0.1"}}, {"to", {"192.168.1.1", "2001:db8:1::1"}}}}),
            "   +26.301 ms  dns    resolv.conf nameservers 10.8.0.1 -> 192.168.1.1, 2001:db8:1::1");
  EXPECT_EQ(
      describe_event(
          {2, Layer::dns, "resolver_changed", {{"from", json::array()}, {"to", {"10.8.0.1"}}}}),
      "    +0.002 ms  dns    resolv.conf nameservers (none) -> 10.8.0.1");
  EXPECT_EQ(describe_event({41270,
                            Layer::dns,
                            "lookup",
                            {{"ok", true},
                             {"resolver", "192.168.1.1"},
                             {"answered_by", "home-resolver"},
                             {"ms", 0.432719}}}),
            "   +41.270 ms  dns    lookup via 192.168.1.1 answered by home-resolver in 0.4 ms");
  EXPECT_EQ(describe_event({7,
                            Layer::probe,
                            "error",
                            {{"agent", "tcp-client"}, {"error", "ECONNRESET"}, {"seq", 12}}}),
            "    +0.007 ms  probe  tcp-client error error=ECONNRESET seq=12");
}

TEST(Timeline, DescribesPackets) {
  EXPECT_EQ(
      describe_event({100,
                      Layer::packet,
                      "bypass",
                      {{"dir", "out"},
                       {"proto", 6},
                       {"src", "192.168.1.100"},
                       {"sport", 50444},
                       {"dst", "198.51.100.10"},
                       {"dport", 7001},
                       {"tcp_flags", 4 | 16}}}),
      "    +0.100 ms  packet bypass: out TCP 192.168.1.100:50444 -> 198.51.100.10:7001 [RST ACK]");
  EXPECT_EQ(
      describe_event({200,
                      Layer::packet,
                      "dns_plaintext",
                      {{"dir", "out"},
                       {"proto", 17},
                       {"src", "192.168.1.100"},
                       {"sport", 40000},
                       {"dst", "192.168.1.1"},
                       {"dport", 53},
                       {"dns", {{"qname", "whoami.splitsecond.test"}, {"response", false}}}}}),
      "    +0.200 ms  packet dns_plaintext: out UDP 192.168.1.100:40000 -> 192.168.1.1:53 DNS "
      "query whoami.splitsecond.test");
  EXPECT_THAT(describe_event({1, Layer::packet, "bypass", {{"proto", 1}}}),
              HasSubstr("ICMP -:- -> -:-"));
  EXPECT_THAT(describe_event({1, Layer::packet, "link_control", {{"proto", 0}}}),
              HasSubstr("proto 0"));
}

TEST(Timeline, ListsAtMostTwentyPacketsAfterT0AndNeverTunnelOrHousekeeping) {
  RunRecord r = minimal();
  r.events.push_back(packet(-10, "bypass", 1));  // before t=0: not listed, not counted
  for (int i = 0; i < 25; ++i) r.events.push_back(packet(100 + i, "bypass", 2000 + i));
  for (int i = 0; i < 5; ++i) r.events.push_back(packet(200 + i, "tunnel", 41754));
  for (int i = 0; i < 3; ++i) r.events.push_back(packet(300 + i, "link_control", 0));
  const std::string out = render_run(r);
  EXPECT_EQ(count(out, "packet bypass:"), 20);
  EXPECT_THAT(out, HasSubstr(":2019 ->"));
  EXPECT_THAT(out, Not(HasSubstr(":2020 ->")));
  EXPECT_THAT(out, Not(HasSubstr(":1 ->")));
  EXPECT_EQ(count(out, "packet tunnel:"), 0);
  EXPECT_EQ(count(out, "packet link_control:"), 0);
  EXPECT_THAT(out, HasSubstr("... and 5 more packets outside the tunnel"));
  EXPECT_THAT(out,
              HasSubstr("after t=0: 5 tunnel, 0 plaintext DNS, 25 bypassing the tunnel, 3 link "
                        "housekeeping"));
}

TEST(Timeline, ProbeFatesAreWordedByWhatHappened) {
  RunRecord r = minimal();
  ss::ProbeFate failed;
  failed.name = "tcp";
  failed.proto = "tcp";
  failed.error = "ECONNRESET";
  failed.detected_ms = 250.04;
  ss::ProbeFate setup;
  setup.name = "quic";
  setup.proto = "quic";
  setup.setup_ok = false;
  setup.error = "ECONNREFUSED";
  ss::ProbeFate alive;
  alive.name = "ws";
  alive.proto = "tcp";
  alive.survived = true;
  r.probes = {failed, setup, alive};
  const std::string out = render_run(r);
  EXPECT_THAT(out, HasSubstr("tcp probe: failed: ECONNRESET at +250.0 ms"));
  EXPECT_THAT(out, HasSubstr("quic probe: SET-UP FAILED (ECONNREFUSED)"));
  EXPECT_THAT(out, HasSubstr("ws probe: survived"));
  EXPECT_THAT(out, HasSubstr("1 tunnel interface: no removal of tun0 seen in the window"));
  EXPECT_THAT(out, HasSubstr("2 routes: 0 main-table routes removed after t=0\n"));
}

TEST(Timeline, RemovalsBeforeT0AndOfOtherLinksAreNotTheTunnelGoing) {
  RunRecord r = minimal();
  r.events.push_back({-5000, Layer::link, "removed", {{"ifname", "tun0"}}});
  r.events.push_back({1000, Layer::link, "removed", {{"ifname", "en0"}}});
  r.events.push_back({-10, Layer::route, "removed", {{"dst", "0.0.0.0/1"}, {"table", "main"}}});
  r.events.push_back({10, Layer::route, "removed", {{"dst", "10.8.0.42/32"}, {"table", "local"}}});
  const std::string out = render_run(r);
  EXPECT_THAT(out, HasSubstr("no removal of tun0 seen in the window"));
  EXPECT_THAT(out, HasSubstr("2 routes: 0 main-table routes removed after t=0"));
}

TEST(Timeline, LostNetlinkEventsAndNotesAreShown) {
  RunRecord r = minimal();
  r.netlink_events_lost = 2;
  r.notes = {"resolv.conf not restored", "wireguard-go exited with status 1"};
  const std::string out = render_run(r);
  EXPECT_THAT(out, HasSubstr("WARNING: the kernel dropped netlink events 2 time(s) (ENOBUFS)"));
  EXPECT_THAT(out, HasSubstr("  note: resolv.conf not restored\n"));
  EXPECT_THAT(out, HasSubstr("  note: wireguard-go exited with status 1\n"));
}

namespace {

TEST(LeakDetailSummary, ActionsLeaksByKindIpv6AndEachActionsWindow) {
  ss::RunRecord r;
  ss::Trigger down, up;
  down.action = "carrier-down";
  down.took_us = 3702;
  up.action = "carrier-up";
  up.at_us = 200'000;
  up.took_us = 239;
  up.params = {{"error", "set lan0 up: ENODEV"}};
  r.triggers = {down, up};
  ss::LeakDetail d;
  d.dns = {2, 0};
  d.tcp = {1, 3};
  d.before_t0 = 4;
  d.before_t0_ipv6 = 2;
  d.dns_queries = {{10, "a.test", "192.168.1.1"}, {20, "a.test", "192.168.1.1"}};
  ss::ActionLeaks a0, a1;
  a0.trigger = 0;
  a0.action = "carrier-down";
  a1.trigger = 1;
  a1.action = "carrier-up";
  a1.count = 6;
  a1.ipv6 = 3;
  a1.first_ms = 5.0;
  a1.last_ms = 250.5;
  d.per_action = {a0, a1};
  r.leaks.detail = d;
  const std::string s = ss::report::leak_detail_summary(r);
  EXPECT_THAT(s, ::testing::HasSubstr(
                     "actions: carrier-down at +0.000 ms (took 3702 us); carrier-up at +200.000 ms "
                     "(took 239 us, failed: set lan0 up: ENODEV);"));
  EXPECT_THAT(s, ::testing::HasSubstr("by kind (IPv4/IPv6): dns 2/0, tcp 1/3, udp 0/0, icmp 0/0, "
                                      "other 0/0; 4 before t=0"));
  EXPECT_THAT(s, ::testing::HasSubstr("IPv6 outside the tunnel: 2 packets before t=0 (while the "
                                      "VPN was up), 3 after"));
  EXPECT_THAT(s, ::testing::HasSubstr("plaintext DNS: 2 x a.test to 192.168.1.1"));
  EXPECT_THAT(s, ::testing::HasSubstr("after carrier-down (+0.000 ms): no leak"));
  EXPECT_THAT(s, ::testing::HasSubstr(
                     "after carrier-up (+200.000 ms): 6 leaked (3 IPv6), from +5.0 to +250.5 ms"));
}

TEST(LeakDetailSummary, AnOlderRecordHasNoneOfIt) {
  ss::RunRecord r;
  r.leaks.dns_plaintext = 3;
  EXPECT_EQ(ss::report::leak_detail_summary(r), "");
}

}  // namespace
