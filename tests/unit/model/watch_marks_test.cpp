// Disconnect and reconnect marks, and the leak alarm's rule, each outcome both ways.
#include <gtest/gtest.h>

#include "model/watch_marks.hpp"
#include "watch_events.hpp"

using namespace watchtest;

namespace {

ss::TunnelStatus up() {
  ss::WatchState s;
  s.apply(en0());
  s.apply(link("added", "tun0", "tun", true, true));
  s.apply(route("added", "198.51.100.1/32", "en0", "main", "192.168.1.1"));
  s.apply(route("added", "0.0.0.0/1", "tun0"));
  s.apply(route("added", "128.0.0.0/1", "tun0"));
  return s.status();
}

ss::TunnelStatus routes_gone() {
  ss::WatchState s;
  s.apply(link("added", "tun0", "tun", true, true));
  return s.status();
}

ss::PacketInfo dns_query(const std::string& src, const std::string& dst) {
  ss::PacketInfo p;
  p.l3 = ss::PacketInfo::L3::ipv4;
  p.src = src;
  p.dst = dst;
  p.proto = 17;
  p.sport = 40000;
  p.dport = 53;
  p.dns = ss::DnsQuestion{"whoami.splitsecond.test", 1, false, 7};
  return p;
}

ss::PacketInfo udp(const std::string& src, const std::string& dst, uint16_t dport) {
  ss::PacketInfo p = dns_query(src, dst);
  p.dns.reset();
  p.dport = dport;
  return p;
}

const std::set<std::string> kOwn = {"192.168.1.100"};

}  // namespace

TEST(DisconnectMarker, ATunnelUpAtTheStartIsFoundNotConnected) {
  ss::DisconnectMarker m;
  auto marks = m.update(up());
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].kind, "tunnel-found");
  EXPECT_EQ(marks[0].dev, "tun0");
  EXPECT_TRUE(m.update(up()).empty()) << "no change, no mark";
}

TEST(DisconnectMarker, NoTunnelAtTheStartThenOneIsAConnect) {
  ss::DisconnectMarker m;
  EXPECT_TRUE(m.update(ss::TunnelStatus{}).empty());
  EXPECT_FALSE(m.ever_protected());
  auto marks = m.update(up());
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].kind, "connect");
  EXPECT_TRUE(m.ever_protected());
}

TEST(DisconnectMarker, DisconnectsAndReconnectsAreCounted) {
  ss::DisconnectMarker m;
  m.update(up());
  auto d = m.update(ss::TunnelStatus{});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, "disconnect");
  EXPECT_EQ(d[0].ordinal, 1);
  EXPECT_EQ(d[0].how, "tun0 gone or down");
  auto r = m.update(up());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, "reconnect");
  EXPECT_EQ(r[0].ordinal, 1);
  auto d2 = m.update(routes_gone());
  ASSERT_EQ(d2.size(), 1u);
  EXPECT_EQ(d2[0].ordinal, 2);
  EXPECT_EQ(d2[0].how, "inet split-routes removed (0.0.0.0/1 + 128.0.0.0/1)")
      << "the link stayed: the routing went";
  EXPECT_EQ(m.disconnects(), 2);
  EXPECT_EQ(m.reconnects(), 1);
}

TEST(LeakAlarm, DnsOutOfThePhysicalLinkWhileTheTunnelCarriesEverything) {
  auto a = ss::leak_alarm(dns_query("192.168.1.100", "192.168.1.1"), kOwn, up(), true, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, "dns");
  EXPECT_EQ(a->why, "while tun0 carries everything");
  auto other = ss::leak_alarm(udp("192.168.1.100", "203.0.113.9", 443), kOwn, up(), true, {});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->kind, "other");
}

TEST(LeakAlarm, NoAlarmWithoutATunnelMeantToBeUp) {
  EXPECT_FALSE(ss::leak_alarm(dns_query("192.168.1.100", "192.168.1.1"), kOwn, {}, false, {}));
  EXPECT_FALSE(ss::leak_alarm(dns_query("192.168.1.100", "192.168.1.1"), kOwn, {}, true, {}))
      << "after a disconnect, only with expect_tunnel";
  ss::AlarmPolicy expect;
  expect.expect_tunnel = true;
  auto a = ss::leak_alarm(dns_query("192.168.1.100", "192.168.1.1"), kOwn, {}, true, expect);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->why, "while the tunnel is expected up (it went away)");
  EXPECT_FALSE(ss::leak_alarm(dns_query("192.168.1.100", "192.168.1.1"), kOwn, {}, false, expect))
      << "never a tunnel: nothing expected";
}

TEST(LeakAlarm, TheTunnelsOwnTrafficIncomingAndHousekeepingAreNotLeaks) {
  EXPECT_FALSE(ss::leak_alarm(udp("192.168.1.100", "198.51.100.1", 51820), kOwn, up(), true, {}))
      << "to the endpoint (its host route)";
  ss::AlarmPolicy given;
  given.endpoints = {"203.0.113.5"};
  EXPECT_FALSE(ss::leak_alarm(udp("192.168.1.100", "203.0.113.5", 1194), kOwn, up(), true, given));
  EXPECT_TRUE(ss::leak_alarm(udp("192.168.1.100", "203.0.113.5", 1194), kOwn, up(), true, {}));
  EXPECT_TRUE(ss::leak_alarm(dns_query("192.168.1.100", "198.51.100.1"), kOwn, up(), true, {}))
      << "DNS to the endpoint's address still leaves in the clear";
  EXPECT_FALSE(ss::leak_alarm(dns_query("192.168.1.1", "192.168.1.100"), kOwn, up(), true, {}))
      << "incoming";
  auto mcast = udp("192.168.1.100", "224.0.0.251", 5353);
  mcast.link_local_or_multicast = true;
  EXPECT_FALSE(ss::leak_alarm(mcast, kOwn, up(), true, {}));
  ss::PacketInfo arp;
  arp.l3 = ss::PacketInfo::L3::arp;
  arp.src = "192.168.1.100";
  EXPECT_FALSE(ss::leak_alarm(arp, kOwn, up(), true, {}));
}

TEST(AlarmThrottle, OneLinePerFlowBounded) {
  ss::AlarmThrottle t(2);
  ss::LeakAlarm a{"dns", "x"};
  auto p = dns_query("192.168.1.100", "192.168.1.1");
  EXPECT_TRUE(t.first_of_flow(a, p));
  EXPECT_FALSE(t.first_of_flow(a, p));
  EXPECT_TRUE(t.first_of_flow(a, udp("192.168.1.100", "192.168.1.1", 54)));
  EXPECT_FALSE(t.first_of_flow(a, udp("192.168.1.100", "192.168.1.1", 55))) << "over the bound";
  EXPECT_EQ(t.suppressed(), 1u);
  t.reset();
  EXPECT_TRUE(t.first_of_flow(a, p));
}
