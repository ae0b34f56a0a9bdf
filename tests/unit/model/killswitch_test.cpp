#include <gtest/gtest.h>

#include "model/killswitch.hpp"

namespace ss {
namespace {

KillSwitchSpec connected() {
  KillSwitchSpec s;
  s.state = TunnelState::connected;
  s.endpoints = {*parse_endpoint("198.51.100.1:51820")};
  s.tunnel_if = "tun0";
  s.tunnel_addrs = {*IpPrefix::parse("10.8.0.42")};
  s.tunnel_dns = {*IpPrefix::parse("10.8.0.1")};
  return s;
}

bool has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(KillSwitch, ConnectedRulesetIsExactlyThis) {
  EXPECT_EQ(killswitch_ruleset(connected()),
            R"(table inet splitsecond_killswitch {}
delete table inet splitsecond_killswitch
table inet splitsecond_killswitch {
  comment "splitsecond kill switch: connected"
  chain output {
    type filter hook output priority filter; policy drop;
    # always: loopback, DHCP, IPv6 router and neighbour discovery
    oifname "lo" accept
    udp sport 68 udp dport 67 accept
    udp sport 546 udp dport 547 accept
    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept
    # the VPN endpoints, over the physical link
    ip daddr 198.51.100.1 udp dport 51820 accept
    # DNS only to the tunnel's resolvers, through the tunnel
    oifname "tun0" ip daddr 10.8.0.1 udp dport 53 accept
    oifname "tun0" ip daddr 10.8.0.1 tcp dport 53 accept
    # any other DNS is refused
    udp dport 53 counter reject with icmpx admin-prohibited
    tcp dport 53 counter reject with tcp reset
    # everything else through the tunnel
    oifname "tun0" accept
    # nothing else leaves
    meta l4proto tcp counter reject with tcp reset
    counter reject with icmpx admin-prohibited
  }
  chain input {
    type filter hook input priority filter; policy drop;
    # always: loopback, DHCP, IPv6 router and neighbour discovery
    iifname "lo" accept
    # the tunnel's addresses are reachable only through the tunnel
    iifname != "tun0" ip daddr 10.8.0.42 drop
    udp sport 67 udp dport 68 accept
    udp sport 547 udp dport 546 accept
    icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
    # the VPN endpoints, over the physical link
    ip saddr 198.51.100.1 udp sport 51820 accept
    # everything through the tunnel
    iifname "tun0" accept
    # nothing else comes in
    counter drop
  }
}
)");
}

TEST(KillSwitch, ConnectingOpensOnlyTheEndpointAndRefusesDns) {
  auto s = connected();
  s.state = TunnelState::connecting;
  const std::string r = killswitch_ruleset(s);
  EXPECT_TRUE(has(r, "ip daddr 198.51.100.1 udp dport 51820 accept"));
  EXPECT_TRUE(has(r, "udp dport 53 counter reject"));
  EXPECT_FALSE(has(r, "oifname \"tun0\" accept"));
  EXPECT_FALSE(has(r, "daddr 10.8.0.1 udp dport 53 accept"));
}

TEST(KillSwitch, DisconnectingAndBlockedLetNothingOutButHousekeeping) {
  for (auto state : {TunnelState::disconnecting, TunnelState::blocked}) {
    auto s = connected();
    s.state = state;
    const std::string r = killswitch_ruleset(s);
    EXPECT_FALSE(has(r, "198.51.100.1")) << tunnel_state_name(state);
    EXPECT_FALSE(has(r, "oifname \"tun0\" accept")) << tunnel_state_name(state);
    EXPECT_TRUE(has(r, "oifname \"lo\" accept"));
    EXPECT_TRUE(has(r, "udp sport 68 udp dport 67 accept"));
    EXPECT_TRUE(has(r, "policy drop"));
  }
}

TEST(KillSwitch, BlockedNeedsNoEndpointButConnectedDoes) {
  KillSwitchSpec s;
  EXPECT_NO_THROW(killswitch_ruleset(s));
  s.state = TunnelState::connecting;
  EXPECT_THROW(killswitch_ruleset(s), std::invalid_argument);
  s = connected();
  s.tunnel_if.clear();
  EXPECT_THROW(killswitch_ruleset(s), std::invalid_argument);
}

TEST(KillSwitch, AllowLanKeepsTheLanResolverRefused) {
  auto s = connected();
  s.allow_lan = true;
  const std::string r = killswitch_ruleset(s);
  const auto dns = r.find("udp dport 53 counter reject"), lan = r.find("ip daddr { 10.0.0.0/8");
  ASSERT_NE(dns, std::string::npos);
  ASSERT_NE(lan, std::string::npos);
  EXPECT_LT(dns, lan);  // the DNS refusal comes first
  EXPECT_TRUE(has(r, "ip6 daddr { fe80::/10, fc00::/7, ff02::/16 } accept"));
}

TEST(KillSwitch, Ipv6OffCarriesOnlyIpv4ThroughTheTunnel) {
  auto s = connected();
  s.ipv6 = false;
  s.endpoints.push_back(*parse_endpoint("[2001:db8:3::1]:51820"));
  const std::string r = killswitch_ruleset(s);
  EXPECT_TRUE(has(r, "oifname \"tun0\" meta nfproto ipv4 accept"));
  EXPECT_FALSE(has(r, "2001:db8:3::1"));
  s.ipv6 = true;
  EXPECT_TRUE(has(killswitch_ruleset(s), "ip6 daddr 2001:db8:3::1 udp dport 51820 accept"));
}

TEST(KillSwitch, DropInsteadOfReject) {
  auto s = connected();
  s.reject = false;
  const std::string r = killswitch_ruleset(s);
  EXPECT_FALSE(has(r, "reject"));
  EXPECT_TRUE(has(r, "udp dport 53 counter drop"));
}

TEST(KillSwitch, OffRemovesOnlyItsTable) {
  EXPECT_EQ(killswitch_off(),
            "table inet splitsecond_killswitch {}\n"
            "delete table inet splitsecond_killswitch\n");
}

TEST(Endpoint, ParsesAddressPortAndProtocol) {
  auto e = parse_endpoint("198.51.100.1:443/tcp");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->proto, "tcp");
  auto v6 = parse_endpoint("[2001:db8::1]:51820/udp");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address.str(), "2001:db8::1/128");
  for (const char* bad :
       {"198.51.100.1", "198.51.100.1:", "198.51.100.1:0", "198.51.100.1:70000",
        "2001:db8::1:51820", "host.test:51820", "198.51.100.1:51820/sctp", "198.51.100.0/24:51820"})
    EXPECT_FALSE(parse_endpoint(bad)) << bad;
}

TEST(TunnelState, NamesRoundTripAndUnknownIsRefused) {
  for (auto s : {TunnelState::connecting, TunnelState::connected, TunnelState::disconnecting,
                 TunnelState::blocked})
    EXPECT_EQ(tunnel_state_from(tunnel_state_name(s)), s);
  EXPECT_FALSE(tunnel_state_from("up"));
}

}  // namespace
}  // namespace ss
