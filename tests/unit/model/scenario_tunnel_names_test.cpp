// A tunnel interface named like an interface its namespace already has is bad input (exit 2),
// named by both keys, not a wireguard-go failure at start.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenario_error.hpp"

#include <string>

#include "model/errors.hpp"
#include "model/scenario.hpp"

using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

std::string usage_error(const std::string& text) {
  return ss::test::scenario_error(text, "lab.toml");
}

TEST(ScenarioTunnelNames, ClientTunnelNamedLikeThePhysicalInterfaceIsRejected) {
  EXPECT_THAT(
      usage_error("name = \"x\"\n[vpn]\nclient_if = \"en0\"\n"),
      AllOf(HasSubstr("lab.toml:3: vpn.client_if: 'en0'"), HasSubstr("topology.client_if")));
}

TEST(ScenarioTunnelNames, PhysicalInterfaceRenamedOntoTheTunnelsNameIsRejected) {
  // Only the topology names it: the tunnel keeps its default name, tun0.
  EXPECT_THAT(
      usage_error("name = \"x\"\n[topology]\nclient_if = \"tun0\"\n"),
      AllOf(HasSubstr("lab.toml:3: vpn.client_if: 'tun0'"), HasSubstr("topology.client_if")));
}

TEST(ScenarioTunnelNames, LoopbackNamesAreRejectedOnBothSides) {
  EXPECT_THAT(usage_error("name = \"x\"\n[vpn]\nclient_if = \"lo\"\n"),
              AllOf(HasSubstr("vpn.client_if: 'lo'"), HasSubstr("loopback")));
  EXPECT_THAT(usage_error("name = \"x\"\n[vpn]\nserver_if = \"lo\"\n"),
              AllOf(HasSubstr("vpn.server_if: 'lo'"), HasSubstr("loopback")));
}

TEST(ScenarioTunnelNames, ServerTunnelNamedLikeTheServersEth0IsRejected) {
  EXPECT_THAT(usage_error("name = \"x\"\n[vpn]\nserver_if = \"eth0\"\n"),
              HasSubstr("lab.toml:3: vpn.server_if: 'eth0'"));
}

TEST(ScenarioTunnelNames, DistinctNamesAreAccepted) {
  EXPECT_EQ(usage_error("name = \"x\"\n[topology]\nclient_if = \"wlan0\"\n[vpn]\nclient_if = "
                        "\"en0\"\nserver_if = \"wg1\"\n"),
            "");
}

}  // namespace
