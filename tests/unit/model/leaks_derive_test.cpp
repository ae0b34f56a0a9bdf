// Leaks per packet and the derivation of a record, from hand-built observations.
#include <gtest/gtest.h>

#include "model/derive.hpp"
#include "model/leaks.hpp"

using namespace ss;

namespace {

constexpr int64_t kT0 = 1'000'000'000;  // ns
constexpr int64_t kEnd = kT0 + 3'000'000'000;
const TunnelEndpoint kEndpoint{"198.51.100.1", 51820};
const std::set<std::string> kOwn{"192.168.1.100", "2001:db8:1::100", "10.8.0.42"};

ObservedPacket pkt(int64_t t_ns, std::string src, std::string dst, uint8_t proto, uint16_t dport,
                   bool v6 = false) {
  ObservedPacket p;
  p.mono_ns = t_ns;
  p.info.l3 = v6 ? PacketInfo::L3::ipv6 : PacketInfo::L3::ipv4;
  p.info.src = std::move(src);
  p.info.dst = std::move(dst);
  p.info.proto = proto;
  p.info.sport = 40000;
  p.info.dport = dport;
  return p;
}

ObservedPacket dns_query(int64_t t_ns, std::string resolver, std::string qname) {
  auto p = pkt(t_ns, "192.168.1.100", std::move(resolver), 17, 53);
  p.info.dns = DnsQuestion{std::move(qname), 1, false, 7};
  return p;
}

Trigger action(int64_t at_us, std::string name) {
  Trigger t;
  t.at_us = at_us;
  t.action = std::move(name);
  t.took_us = 100;
  t.completed_us = at_us + 100;
  t.completed_by = "call";
  return t;
}

std::vector<ClassifiedPacket> classified(const std::vector<ObservedPacket>& ps) {
  return classify_packets(ps, kOwn, kEndpoint);
}

TEST(Leaks, TunnelTrafficAndIncomingAndHousekeepingAreNotLeaks) {
  auto ps = classified({
      pkt(kT0 + 1'000'000, "192.168.1.100", "198.51.100.1", 17, 51820),  // tunnel
      pkt(kT0 + 2'000'000, "198.51.100.10", "192.168.1.100", 6, 40000),  // incoming
      pkt(kT0 + 3'000'000, "fe80::1", "ff02::2", 58, 0, true),           // housekeeping
  });
  ps[2].info.link_local_or_multicast = true;
  ps[2].cls = classify(ps[2].info, kEndpoint);
  auto d = leaks_per_packet(ps, {action(0, "disconnect")}, kT0, kEnd);
  EXPECT_EQ(d.tcp.ipv4 + d.udp.ipv4 + d.icmp.ipv6 + d.dns.ipv4, 0);
  ASSERT_EQ(d.per_action.size(), 1u);
  EXPECT_EQ(d.per_action[0].count, 0);
  EXPECT_FALSE(d.per_action[0].first_ms.has_value());
}

TEST(Leaks, CountedByKindAndFamilyWithQueriesAndBeforeT0) {
  auto ps = classified({
      pkt(kT0 - 5'000'000, "2001:db8:1::100", "2001:db8:100::10", 6, 7001, true),  // before t0
      pkt(kT0 - 4'000'000, "192.168.1.100", "198.51.100.10", 6, 7001),             // before t0
      dns_query(kT0 + 10'000'000, "192.168.1.1", "whoami.splitsecond.test"),
      pkt(kT0 + 20'000'000, "192.168.1.100", "198.51.100.10", 6, 7001),
      pkt(kT0 + 30'000'000, "192.168.1.100", "198.51.100.10", 17, 7004),
      pkt(kT0 + 40'000'000, "192.168.1.100", "198.51.100.10", 1, 0),
      pkt(kT0 + 50'000'000, "2001:db8:1::100", "2001:db8:100::10", 6, 7001, true),
      pkt(kEnd + 1, "192.168.1.100", "198.51.100.10", 6, 7001),  // after the window
  });
  auto d = leaks_per_packet(ps, {action(0, "disconnect")}, kT0, kEnd);
  EXPECT_EQ(d.before_t0, 2);
  EXPECT_EQ(d.before_t0_ipv6, 1);
  EXPECT_EQ(d.dns.ipv4, 1);
  EXPECT_EQ(d.tcp.ipv4, 1);
  EXPECT_EQ(d.tcp.ipv6, 1);
  EXPECT_EQ(d.udp.ipv4, 1);
  EXPECT_EQ(d.icmp.ipv4, 1);
  EXPECT_EQ(d.ipv6_total(), 1);
  ASSERT_EQ(d.dns_queries.size(), 1u);
  EXPECT_EQ(d.dns_queries[0].qname, "whoami.splitsecond.test");
  EXPECT_EQ(d.dns_queries[0].resolver, "192.168.1.1");
  EXPECT_EQ(d.dns_queries[0].t_us, 10'000);
  auto totals = leak_totals(ps, kT0, kEnd);
  EXPECT_EQ(totals.dns_plaintext, 1);
  EXPECT_EQ(totals.non_tunnel_packets, 4);
}

TEST(Leaks, EachActionHasItsOwnWindowRelativeToIt) {
  auto ps = classified({
      pkt(kT0 + 30'000'000, "192.168.1.100", "198.51.100.10", 6, 7001),
      pkt(kT0 + 90'000'000, "192.168.1.100", "198.51.100.10", 6, 7001),
      pkt(kT0 + 1'250'000'000, "2001:db8:1::100", "2001:db8:100::10", 17, 7004, true),
  });
  std::vector<Trigger> ts = {action(0, "disconnect"), action(500'000, "probe-signal"),
                             action(1'000'000, "vpn-restart")};
  ts[1].from_timeline = false;  // a probe's signal opens no window
  auto d = leaks_per_packet(ps, ts, kT0, kEnd);
  ASSERT_EQ(d.per_action.size(), 2u);
  EXPECT_EQ(d.per_action[0].trigger, 0u);
  EXPECT_EQ(d.per_action[0].count, 2);
  EXPECT_DOUBLE_EQ(*d.per_action[0].first_ms, 30.0);
  EXPECT_DOUBLE_EQ(*d.per_action[0].last_ms, 90.0);
  EXPECT_EQ(d.per_action[1].trigger, 2u);
  EXPECT_EQ(d.per_action[1].action, "vpn-restart");
  EXPECT_EQ(d.per_action[1].count, 1);
  EXPECT_EQ(d.per_action[1].ipv6, 1);
  EXPECT_DOUBLE_EQ(*d.per_action[1].first_ms, 250.0);
}

TEST(Leaks, AnAddressGainedDuringTheRunIsTheClients) {
  auto p = pkt(kT0 + 1'000'000, "192.168.1.77", "198.51.100.10", 6, 7001);
  EXPECT_FALSE(classify_packets({p}, kOwn, kEndpoint)[0].outgoing);
  auto own = kOwn;
  own.insert("192.168.1.77");
  auto c = classify_packets({p}, own, kEndpoint);
  EXPECT_TRUE(c[0].outgoing);
  EXPECT_EQ(leaks_per_packet(c, {action(0, "address-change")}, kT0, kEnd).tcp.ipv4, 1);
}

RunFacts facts(std::vector<Trigger> ts) {
  RunFacts f;
  f.t0_ns = kT0;
  f.end_ns = kEnd;
  f.triggers = std::move(ts);
  f.own_addresses = kOwn;
  f.endpoint = kEndpoint;
  f.tunnel_if = "tun7";
  return f;
}

Event link_removed(const std::string& name) {
  Event e;
  e.layer = Layer::link;
  e.kind = "removed";
  e.detail = {{"ifname", name}, {"index", 3}, {"up", false}, {"lower_up", false}};
  return e;
}

TEST(Derive, ACrashCompletesWhenItsTunnelLinkIsRemoved) {
  Observations obs;
  obs.events.emplace_back(kT0 + 14'000'000, link_removed("tun7"));
  auto t = action(0, "disconnect");
  t.params = {{"mode", "crash"}};
  RunRecord r;
  derive_record(r, obs, {}, {}, facts({t}));
  ASSERT_EQ(r.triggers.size(), 1u);
  EXPECT_EQ(r.triggers[0].completed_us, 14'000);
  EXPECT_EQ(r.triggers[0].completed_by, "link-removed");
}

TEST(Derive, ACrashWhoseLinkNeverGoesCompletesAtTheWindowEnd) {
  Observations obs;
  obs.events.emplace_back(kT0 + 14'000'000, link_removed("en0"));  // not the tunnel
  auto t = action(0, "disconnect");
  t.params = {{"mode", "crash"}};
  RunRecord r;
  derive_record(r, obs, {}, {}, facts({t}));
  EXPECT_EQ(r.triggers[0].completed_by, "window-end");
  EXPECT_EQ(r.triggers[0].completed_us, 3'000'000);
}

TEST(Derive, TimelineEventsTriggersLeaksAndFatesAgainstActions) {
  Observations obs;
  obs.packets.push_back(dns_query(kT0 + 1'100'000'000, "192.168.1.1", "a.test"));
  obs.pcap_dropped = 2;
  obs.netlink_lost = 5;
  std::vector<Trigger> ts = {action(0, "carrier-down"), action(200'000, "carrier-up")};
  ts[0].params = {{"peer", "lan0"}};
  ProbeOutput probe;
  probe.name = "tcp";
  probe.proto = "tcp";
  Window seen{};
  probe.fate = [&seen](const AgentLines&, const AgentLines&, const Window& w) {
    seen = w;
    ProbeFate f;
    f.name = "tcp";
    f.proto = "tcp";
    f.error = "ETIMEDOUT";
    f.detected_ms = 450.0;
    return f;
  };
  ProbeOutput broken;
  broken.name = "quic";
  broken.proto = "quic";
  broken.setup_error = "handshake timeout";
  RunRecord r;
  derive_record(r, obs, {}, {probe, broken}, facts(ts));
  // The fates' window: t=0 and the first action's completion.
  EXPECT_EQ(seen.t0_ns, kT0);
  EXPECT_EQ(seen.trigger_end_ns, kT0 + 100'000);
  ASSERT_EQ(r.probes.size(), 2u);
  EXPECT_EQ(r.probes[0].extra["after_action"]["action"], "carrier-up");
  EXPECT_DOUBLE_EQ(r.probes[0].extra["after_action"]["ms"].get<double>(), 250.0);
  EXPECT_FALSE(r.probes[1].setup_ok);
  EXPECT_EQ(r.probes[1].error, "handshake timeout");
  int trigger_events = 0;
  for (const auto& e : r.events) trigger_events += e.kind == "trigger" ? 1 : 0;
  EXPECT_EQ(trigger_events, 2);
  ASSERT_TRUE(r.leaks.detail.has_value());
  EXPECT_EQ(r.leaks.dns_plaintext, 1);
  EXPECT_EQ(r.leaks.detail->per_action[1].count, 1);
  EXPECT_DOUBLE_EQ(*r.leaks.detail->per_action[1].first_ms, 900.0);
  EXPECT_EQ(r.netlink_events_lost, 5);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("dropped 2 packets"), std::string::npos);
}

TEST(Derive, ActionAtPicksTheLastTimelineActionAtOrBefore) {
  std::vector<Trigger> ts = {action(0, "disconnect"), action(100, "probe-signal"),
                             action(1'000'000, "vpn-restart")};
  ts[1].from_timeline = false;
  EXPECT_FALSE(action_at(ts, -1).has_value());
  EXPECT_EQ(*action_at(ts, 500), 0u);
  EXPECT_EQ(*action_at(ts, 1'000'000), 2u);
}

}  // namespace
