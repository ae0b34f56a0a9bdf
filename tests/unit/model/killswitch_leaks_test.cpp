// What the kill switch's lab tests count on: an RST that carries the tunnel's address out of
// the physical interface, and any IPv6 packet, are leaks of their kind and family.
#include <gtest/gtest.h>

#include "model/leaks.hpp"

using namespace ss;

namespace {

constexpr int64_t kT0 = 1'000'000'000;  // ns
constexpr int64_t kEnd = kT0 + 3'000'000'000;
const TunnelEndpoint kEndpoint{"198.51.100.1", 51820};
const std::set<std::string> kOwn{"192.168.1.100", "2001:db8:1::100", "10.8.0.42"};

ObservedPacket tcp(int64_t t_ns, std::string src, std::string dst, uint8_t flags, bool v6 = false) {
  ObservedPacket p;
  p.mono_ns = t_ns;
  p.info.l3 = v6 ? PacketInfo::L3::ipv6 : PacketInfo::L3::ipv4;
  p.info.src = std::move(src);
  p.info.dst = std::move(dst);
  p.info.proto = 6;
  p.info.sport = 40000;
  p.info.dport = 7001;
  p.info.tcp_flags = flags;
  return p;
}

Trigger action(int64_t at_us, std::string name) {
  Trigger t;
  t.at_us = at_us;
  t.action = std::move(name);
  t.completed_us = at_us;
  t.completed_by = "call";
  return t;
}

LeakDetail leaks_of(const std::vector<ObservedPacket>& ps) {
  return leaks_per_packet(classify_packets(ps, kOwn, kEndpoint), {action(0, "disconnect")}, kT0,
                          kEnd);
}

TEST(KillSwitchLeaks, AnRstCarryingTheTunnelAddressIsATcpLeak) {
  const auto d = leaks_of({tcp(kT0 + 5'000'000, "10.8.0.42", "198.51.100.10", 0x04)});
  EXPECT_EQ(d.tcp.ipv4, 1);
  ASSERT_EQ(d.per_action.size(), 1u);
  EXPECT_EQ(d.per_action[0].count, 1);
  EXPECT_DOUBLE_EQ(*d.per_action[0].first_ms, 5.0);
}

TEST(KillSwitchLeaks, AnRstAnsweringTheServerFromThePhysicalAddressIsALeakToo) {
  const auto d = leaks_of({tcp(kT0 + 1'000'000, "192.168.1.100", "198.51.100.10", 0x14)});
  EXPECT_EQ(d.tcp.ipv4, 1);
}

TEST(KillSwitchLeaks, IPv6LeaksCountInTheirOwnFamily) {
  const auto d =
      leaks_of({tcp(kT0 + 1'000'000, "2001:db8:1::100", "2001:db8:100::10", 0x02, true),
                tcp(kT0 + 2'000'000, "2001:db8:1::100", "2001:db8:100::10", 0x04, true)});
  EXPECT_EQ(d.tcp.ipv6, 2);
  EXPECT_EQ(d.tcp.ipv4, 0);
  EXPECT_EQ(d.ipv6_total(), 2);
  EXPECT_EQ(d.per_action[0].ipv6, 2);
}

TEST(KillSwitchLeaks, AnRstFromTheServerToTheTunnelAddressIsNotTheClientsLeak) {
  // Incoming: the server's RST arriving at the physical interface is not the client sending.
  const auto d = leaks_of({tcp(kT0 + 1'000'000, "198.51.100.10", "10.8.0.42", 0x04)});
  EXPECT_EQ(d.tcp.ipv4, 0);
}

TEST(KillSwitchLeaks, NothingOnTheWireIsZeroLeaksOfEveryKind) {
  // What a kill switch that held shows: the capture saw nothing of the client's.
  const auto d = leaks_of({});
  EXPECT_EQ(d.dns.ipv4 + d.dns.ipv6 + d.tcp.ipv4 + d.tcp.ipv6 + d.udp.ipv4 + d.udp.ipv6 +
                d.icmp.ipv4 + d.icmp.ipv6 + d.other.ipv4 + d.other.ipv6,
            0);
  EXPECT_EQ(d.per_action[0].count, 0);
}

}  // namespace
