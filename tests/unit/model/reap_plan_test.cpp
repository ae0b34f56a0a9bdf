// The reaper's decisions: which removals it acts on and which sockets it destroys, each tested
// both ways (acted on / left alone, destroyed / kept).
#include "model/reap_plan.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace ss {
namespace {

LocalAddress addr(int ifindex, const std::string& ifname, const std::string& text) {
  return {ifindex, ifname, *IpPrefix::parse(text)};
}

ReapSocket tcp(const std::string& local, int state, int family = 0) {
  const IpPrefix p = *IpPrefix::parse(local);
  ReapSocket s;
  s.family = family ? family : p.family;
  s.state = state;
  s.local = p.addr;
  s.peer_port = 443;
  return s;
}

ReapSocket mapped(const std::string& ipv4, int state) {
  ReapSocket s = tcp("::ffff:" + ipv4, state);
  return s;
}

TEST(AddressBook, RemoveReturnsTheKnownEntryOnce) {
  AddressBook b;
  b.add(addr(5, "wg0", "10.9.0.2/32"));
  auto gone = b.remove(5, *IpPrefix::parse("10.9.0.2"));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->ifname, "wg0");
  EXPECT_EQ(gone->address.len, 32);
  EXPECT_FALSE(b.remove(5, *IpPrefix::parse("10.9.0.2")));
}

TEST(AddressBook, RemoveMatchesTheInterfaceToo) {
  AddressBook b;
  b.add(addr(5, "wg0", "10.9.0.2/32"));
  EXPECT_FALSE(b.remove(6, *IpPrefix::parse("10.9.0.2")));
  EXPECT_TRUE(b.has(*IpPrefix::parse("10.9.0.2")));
}

TEST(AddressBook, RemoveLinkReturnsEveryAddressOfThatLinkOnly) {
  AddressBook b;
  b.add(addr(5, "wg0", "10.9.0.2/32"));
  b.add(addr(2, "eth0", "192.168.1.10/24"));
  b.add(addr(5, "wg0", "fd00::2/128"));
  auto gone = b.remove_link(5);
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_EQ(gone[0].address.str(), "10.9.0.2/32");
  EXPECT_EQ(gone[1].address.family, AF_INET6);
  EXPECT_TRUE(b.has(*IpPrefix::parse("192.168.1.10")));
  EXPECT_TRUE(b.remove_link(5).empty());
}

TEST(AddressBook, ReplaceAllReturnsWhatVanishedWithoutNotice) {
  AddressBook b;
  b.add(addr(5, "wg0", "10.9.0.2/32"));
  b.add(addr(2, "eth0", "192.168.1.10/24"));
  auto gone = b.replace_all({addr(2, "eth0", "192.168.1.10/24"), addr(7, "eth1", "10.1.1.1/24")});
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].ifname, "wg0");
  EXPECT_TRUE(b.has(*IpPrefix::parse("10.1.1.1")));
  EXPECT_TRUE(b.replace_all(b.all()).empty());
}

TEST(ReapSkip, ActsOnEveryInterfaceByDefault) {
  AddressBook after;
  EXPECT_FALSE(reap_skip_reason(addr(5, "wg0", "10.9.0.2/32"), {}, after));
}

TEST(ReapSkip, InterfaceFilterTakesNamedAndSkipsOthers) {
  AddressBook after;
  ReapPolicy p;
  p.interfaces = {"wg0", "tun0"};
  EXPECT_FALSE(reap_skip_reason(addr(5, "tun0", "10.9.0.2/32"), p, after));
  auto skip = reap_skip_reason(addr(2, "eth0", "192.168.1.10/24"), p, after);
  ASSERT_TRUE(skip);
  EXPECT_NE(skip->find("eth0"), std::string::npos);
}

TEST(ReapSkip, AnAddressStillPresentElsewhereIsLeftAlone) {
  AddressBook after;
  after.add(addr(7, "eth1", "10.9.0.2/24"));
  auto skip = reap_skip_reason(addr(5, "wg0", "10.9.0.2/32"), {}, after);
  ASSERT_TRUE(skip);
  EXPECT_NE(skip->find("eth1"), std::string::npos);
  AddressBook other;
  other.add(addr(7, "eth1", "10.9.0.3/24"));
  EXPECT_FALSE(reap_skip_reason(addr(5, "wg0", "10.9.0.2/32"), {}, other));
}

TEST(ReapVictims, TcpInEveryStateButTimeWait) {
  std::vector<ReapSocket> s;
  for (int state = 1; state <= 12; ++state) s.push_back(tcp("10.9.0.2", state));
  auto v = reap_victims(*IpPrefix::parse("10.9.0.2"), {}, s);
  EXPECT_EQ(v.size(), 11u);
  for (size_t i : v) EXPECT_NE(s[i].state, kTcpTimeWait);
}

TEST(ReapVictims, OnlySocketsOnTheRemovedAddress) {
  std::vector<ReapSocket> s = {tcp("10.9.0.2", 1), tcp("192.168.1.10", 1), tcp("10.9.0.20", 1),
                               tcp("0.0.0.0", 10)};
  auto v = reap_victims(*IpPrefix::parse("10.9.0.2"), {}, s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], 0u);
}

TEST(ReapVictims, IPv6SocketsWithTheV4MappedAddressCount) {
  std::vector<ReapSocket> s = {mapped("10.9.0.2", 1), mapped("10.9.0.3", 1)};
  auto v = reap_victims(*IpPrefix::parse("10.9.0.2"), {}, s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], 0u);
}

TEST(ReapVictims, IPv6AddressMatchesIPv6SocketsOnly) {
  std::vector<ReapSocket> s = {tcp("2001:db8::2", 1), tcp("2001:db8::3", 1)};
  auto v = reap_victims(*IpPrefix::parse("2001:db8::2"), {}, s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], 0u);
  // An IPv4 socket whose first bytes happen to match is not an IPv6 socket.
  std::vector<ReapSocket> v4 = {tcp("32.1.13.184", 1)};
  EXPECT_TRUE(reap_victims(*IpPrefix::parse("2001:db8::2"), {}, v4).empty());
}

TEST(ReapVictims, ConnectedUdpOnlyAndOnlyWhenThePolicyTakesUdp) {
  ReapSocket connected = tcp("10.9.0.2", kTcpEstablished);
  connected.proto = ReapSocket::Proto::udp;
  ReapSocket unconnected = connected;
  unconnected.state = 7;  // TCP_CLOSE: how sock_diag shows an unconnected UDP socket
  unconnected.peer_port = 0;
  std::vector<ReapSocket> s = {connected, unconnected};
  auto v = reap_victims(*IpPrefix::parse("10.9.0.2"), {}, s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], 0u);
  ReapPolicy no_udp;
  no_udp.udp = false;
  EXPECT_TRUE(reap_victims(*IpPrefix::parse("10.9.0.2"), no_udp, s).empty());
}

TEST(ReapVictims, PeerPortsLimitTheVictimsAndNoneMeansEvery) {
  ReapSocket https = tcp("10.9.0.2", kTcpEstablished), ssh = https;
  ssh.peer_port = 22;
  std::vector<ReapSocket> s = {https, ssh};
  EXPECT_EQ(reap_victims(*IpPrefix::parse("10.9.0.2"), {}, s).size(), 2u);
  ReapPolicy only_ssh;
  only_ssh.peer_ports = {22, 7014};
  auto v = reap_victims(*IpPrefix::parse("10.9.0.2"), only_ssh, s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], 1u);
  ReapPolicy other;
  other.peer_ports = {80};
  EXPECT_TRUE(reap_victims(*IpPrefix::parse("10.9.0.2"), other, s).empty());
}

}  // namespace
}  // namespace ss
