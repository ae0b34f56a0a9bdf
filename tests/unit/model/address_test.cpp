#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "model/address.hpp"
#include "model/errors.hpp"
#include "model/scenario.hpp"

namespace ss {
namespace {

TEST(IpPrefix, ParsesV4AndV6WithAndWithoutPrefix) {
  auto a = IpPrefix::parse("192.168.1.100/24");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family, AF_INET);
  EXPECT_EQ(a->len, 24);
  EXPECT_EQ(a->str(), "192.168.1.100/24");
  EXPECT_EQ(a->network().str(), "192.168.1.0/24");
  auto b = IpPrefix::parse("2001:db8:1::100/64");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->family, AF_INET6);
  EXPECT_EQ(b->network().str(), "2001:db8:1::/64");
  auto host = IpPrefix::parse("10.8.0.1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->len, 32);
}

TEST(IpPrefix, RejectsWhatIsNotAnAddressOrPrefix) {
  for (const char* bad : {"", "10.8.0", "10.8.0.1/33", "10.8.0.1/", "10.8.0.1/2x", "::1/129",
                          "example.test", "10.8.0.1/-1"})
    EXPECT_FALSE(IpPrefix::parse(bad)) << bad;
}

TEST(IpPrefix, ContainsAndOverlapsFollowThePrefixLengths) {
  auto lan = *IpPrefix::parse("192.168.1.1/24");
  EXPECT_TRUE(lan.contains(*IpPrefix::parse("192.168.1.200")));
  EXPECT_FALSE(lan.contains(*IpPrefix::parse("192.168.2.1")));
  EXPECT_FALSE(lan.contains(*IpPrefix::parse("2001:db8::1")));
  auto a = *IpPrefix::parse("198.51.100.1/29"), b = *IpPrefix::parse("198.51.100.14/29");
  EXPECT_FALSE(a.overlaps(b));  // .0/29 and .8/29
  EXPECT_TRUE(a.overlaps(*IpPrefix::parse("198.51.100.0/24")));
  EXPECT_TRUE(IpPrefix::parse("198.51.100.0/24")->overlaps(a));
}

TEST(AddressConflict, TheBuiltInTopologyHasNone) {
  for (const char* name : {"disconnect", "crash", "survival"})
    EXPECT_FALSE(find_address_conflict(load_scenario(name))) << name;
}

TEST(AddressConflict, ClientAddressEqualToItsGatewayNamesBothKeys) {
  Scenario s = load_scenario("disconnect");
  s.topology.client_ip4 = s.topology.home_lan_ip4;
  auto c = find_address_conflict(s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key_a, "topology.client_ip4");
  EXPECT_EQ(c->key_b, "topology.home_lan_ip4");
  EXPECT_NE(c->why.find("192.168.1.1"), std::string::npos) << c->why;
}

TEST(AddressConflict, TheVpnServerInsideTheHomeLanIsRefused) {
  Scenario s = load_scenario("disconnect");
  s.topology.vpn_ip4 = "192.168.1.50/24";
  s.topology.inet_vpn_ip4 = "192.168.1.60/24";
  auto c = find_address_conflict(s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key_a, "topology.home_lan_ip4");
  EXPECT_EQ(c->key_b, "topology.vpn_ip4");
  EXPECT_NE(c->why.find("overlap"), std::string::npos) << c->why;
}

TEST(AddressConflict, AGatewayOutsideTheHostsNetworkIsRefused) {
  Scenario s = load_scenario("disconnect");
  s.topology.client_ip4 = "192.168.7.100/24";
  auto c = find_address_conflict(s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key_a, "topology.client_ip4");
  EXPECT_EQ(c->key_b, "topology.home_lan_ip4");
}

TEST(AddressConflict, ATunnelOverlappingTheHomeLanIsRefused) {
  Scenario s = load_scenario("disconnect");
  s.vpn.client_tunnel_ip = "192.168.1.42/24";
  s.vpn.server_tunnel_ip = "192.168.1.43/24";
  s.vpn.dns = "192.168.1.43";
  auto c = find_address_conflict(s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key_a, "topology.home_lan_ip4");
  EXPECT_EQ(c->key_b, "vpn.client_tunnel_ip");
}

TEST(AddressConflict, AVpnResolverTheServerDoesNotHaveIsRefused) {
  Scenario s = load_scenario("disconnect");
  s.vpn.dns = "10.8.0.53";
  auto c = find_address_conflict(s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key_a, "vpn.dns");
}

TEST(AddressConflict, AScenarioFileWithAConflictIsAUsageErrorNamingBothKeysAndLines) {
  const char* text = R"(name = "clash"
[topology]
client_ip4 = "192.168.1.1/24"
home_lan_ip4 = "192.168.1.1/24"
)";
  try {
    parse_scenario(text, "clash.toml");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("clash.toml:3:"), std::string::npos) << m;
    EXPECT_NE(m.find("topology.client_ip4 (line 3)"), std::string::npos) << m;
    EXPECT_NE(m.find("topology.home_lan_ip4 (line 4)"), std::string::npos) << m;
  }
}

TEST(AddressConflict, AKeyLeftAtItsDefaultIsNamedAsTheDefault) {
  const char* text = R"(name = "clash"
[topology]
client_ip4 = "192.168.1.1/24"
)";
  try {
    parse_scenario(text, "clash.toml");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("topology.home_lan_ip4 (the default)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ss
