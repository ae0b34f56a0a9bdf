// The dhcp action (a roam's new lease) and the home router's pool.
#include <gtest/gtest.h>

#include "model/scenario.hpp"
#include "scenario_error.hpp"

namespace ss {
namespace {

using test::scenario_error;

TEST(DhcpPool, IsTheFiftyAddressesFrom150OfTheHomeLan) {
  const auto pool = dhcp_pool(Topology{});
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->first, "192.168.1.150");
  EXPECT_EQ(pool->last, "192.168.1.199");
  EXPECT_EQ(pool->netmask, "255.255.255.0");
  Topology wide;
  wide.home_lan_ip4 = "10.20.0.1/16";
  wide.client_ip4 = "10.20.3.7/16";
  const auto p16 = dhcp_pool(wide);
  ASSERT_TRUE(p16);
  EXPECT_EQ(p16->first, "10.20.0.150");
  EXPECT_EQ(p16->netmask, "255.255.0.0");
}

TEST(DhcpPool, NoneForANarrowLanOrWhenAStaticAddressIsInIt) {
  Topology narrow;
  narrow.home_lan_ip4 = "192.168.1.1/25";
  narrow.client_ip4 = "192.168.1.100/25";
  EXPECT_FALSE(dhcp_pool(narrow));
  Topology taken;
  taken.client_ip4 = "192.168.1.160/24";
  EXPECT_FALSE(dhcp_pool(taken));
  Topology router;
  router.home_lan_ip4 = "192.168.1.199/24";
  EXPECT_FALSE(dhcp_pool(router));
}

constexpr const char* kRoam = R"(name = "r"
)"
                              R"([[timeline]]
at = "0ms"
action = "carrier-down"
[[timeline]]
at = "200ms"
action = "carrier-up"
[[timeline]]
at = "200ms"
action = "dhcp"
)";

TEST(ScenarioDhcp, TheActionParsesInOrderAfterTheCarrierComesBack) {
  const Scenario s = parse_scenario(kRoam, "r.toml");
  ASSERT_EQ(s.timeline.size(), 3u);
  EXPECT_EQ(s.timeline[2].kind, ActionKind::dhcp);
  EXPECT_STREQ(action_name(s.timeline[2].kind), "dhcp");
  EXPECT_TRUE(has_action(s, ActionKind::dhcp));
  EXPECT_FALSE(has_action(s, ActionKind::vpn_restart));
  EXPECT_TRUE(has_action(load_scenario("roam"), ActionKind::dhcp));
}

TEST(ScenarioDhcp, WithoutCarrierItIsRefusedNamingTheAction) {
  EXPECT_EQ(scenario_error("name = \"r\"\n[[timeline]]\nat = \"0ms\"\naction = "
                           "\"carrier-down\"\n[[timeline]]\nat = \"1s\"\naction = \"dhcp\"\n",
                           "r.toml"),
            "r.toml:5: timeline: dhcp at 1s: the link has no carrier or is down: no lease can "
            "come");
}

TEST(ScenarioDhcp, ATopologyWithoutAPoolIsRefused) {
  std::string text = kRoam;
  text.insert(text.find("[[timeline]]"), "[topology]\nclient_ip4 = \"192.168.1.170/24\"\n");
  const std::string e = scenario_error(text, "r.toml");
  EXPECT_NE(e.find("timeline: dhcp at 200ms: the home router's DHCP pool is .150-.199"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace ss
