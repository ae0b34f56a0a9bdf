// The OpenVPN keys of a scenario's [vpn] table.
#include <gtest/gtest.h>

#include "model/errors.hpp"
#include "model/scenario.hpp"

using namespace ss;

TEST(ScenarioOpenVpn, KindSetsItsClientPortAndKeepsDefaults) {
  Scenario s = parse_scenario("name = \"o\"\n[vpn]\nkind = \"openvpn\"\n", "o.toml");
  EXPECT_EQ(s.vpn.kind, "openvpn");
  EXPECT_EQ(s.vpn.client, "openvpn");
  EXPECT_EQ(s.vpn.implementation, "openvpn");
  EXPECT_EQ(s.vpn.port, 1194);
  EXPECT_EQ(s.vpn.ping_s, 1);
  EXPECT_EQ(s.vpn.ping_restart_s, 2);
  EXPECT_FALSE(s.vpn.persist_tun);
  s = parse_scenario(
      "name = \"o\"\n[vpn]\nkind = \"openvpn\"\nport = 4000\nping = 2\nping_restart = 9\n"
      "persist_tun = true\n",
      "o.toml");
  EXPECT_EQ(s.vpn.port, 4000);
  EXPECT_EQ(s.vpn.ping_s, 2);
  EXPECT_EQ(s.vpn.ping_restart_s, 9);
  EXPECT_TRUE(s.vpn.persist_tun);
}

TEST(ScenarioOpenVpn, RestartNoLongerThanPingIsRejectedNamingTheKey) {
  try {
    parse_scenario("name = \"o\"\n[vpn]\nkind = \"openvpn\"\nping = 3\nping_restart = 3\n",
                   "o.toml");
    FAIL() << "accepted ping_restart = ping";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("o.toml:5: vpn.ping_restart"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parse_scenario("name = \"o\"\n[vpn]\nping = 0\n", "o.toml"), UsageError);
}
