// vpn.dead_after (the reference client's supervisor) and vpn.reconnect_tunnel_ip.
#include <gtest/gtest.h>

#include "model/scenario.hpp"
#include "scenario_error.hpp"

namespace ss {
namespace {

using test::scenario_error;

TEST(ScenarioReconnect, DefaultsAreWireGuardsTimersAndTheSameAddress) {
  Scenario s = parse_scenario("name = \"r\"\n", "r.toml");
  EXPECT_EQ(s.vpn.dead_after, Micros(15'000'000));
  EXPECT_TRUE(s.vpn.reconnect_tunnel_ip.empty());
}

TEST(ScenarioReconnect, TakesASilenceAndANewAddress) {
  Scenario s = parse_scenario(
      "name = \"r\"\n[vpn]\ndead_after = \"100ms\"\nreconnect_tunnel_ip = \"10.8.0.43/24\"\n",
      "r.toml");
  EXPECT_EQ(s.vpn.dead_after, Micros(100'000));
  EXPECT_EQ(s.vpn.reconnect_tunnel_ip, "10.8.0.43/24");
  s = parse_scenario("name = \"r\"\n[vpn]\ndead_after = \"0s\"\n", "r.toml");
  EXPECT_EQ(s.vpn.dead_after, Micros(0));
}

TEST(ScenarioReconnect, ASilenceBelow100msIsRejectedNamingTheKey) {
  EXPECT_EQ(scenario_error("name = \"r\"\n[vpn]\ndead_after = \"50ms\"\n", "r.toml"),
            "r.toml:3: vpn.dead_after: 50ms is below 100ms (0 turns the supervisor off)");
}

TEST(ScenarioReconnect, ANewAddressOutsideTheTunnelNetworkIsRejected) {
  EXPECT_EQ(
      scenario_error("name = \"r\"\n[vpn]\nreconnect_tunnel_ip = \"10.9.0.43/24\"\n", "r.toml"),
      "r.toml:3: vpn.reconnect_tunnel_ip: '10.9.0.43/24' is not in "
      "vpn.client_tunnel_ip's network '10.8.0.42/24'");
  EXPECT_EQ(
      scenario_error("name = \"r\"\n[vpn]\nreconnect_tunnel_ip = \"10.8.0.43/16\"\n", "r.toml"),
      "r.toml:3: vpn.reconnect_tunnel_ip: '10.8.0.43/16' is not in "
      "vpn.client_tunnel_ip's network '10.8.0.42/24'");
}

TEST(ScenarioReconnect, ANewAddressEqualToATunnelAddressIsRejected) {
  EXPECT_EQ(
      scenario_error("name = \"r\"\n[vpn]\nreconnect_tunnel_ip = \"10.8.0.42/24\"\n", "r.toml"),
      "r.toml:3: vpn.reconnect_tunnel_ip: '10.8.0.42/24' is the same address as "
      "vpn.client_tunnel_ip");
  EXPECT_EQ(
      scenario_error("name = \"r\"\n[vpn]\nreconnect_tunnel_ip = \"10.8.0.1/24\"\n", "r.toml"),
      "r.toml:3: vpn.reconnect_tunnel_ip: '10.8.0.1/24' is the same address as "
      "vpn.server_tunnel_ip");
}

}  // namespace
}  // namespace ss
