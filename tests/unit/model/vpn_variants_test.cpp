#include "model/vpn_variants.hpp"

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

TEST(VpnVariants, ClientDefaultsToReference) {
  auto s = ss::parse_scenario("name = \"x\"\n", "lab.toml");
  EXPECT_EQ(s.vpn.kind, "wireguard");
  EXPECT_EQ(s.vpn.client, "reference");
}

TEST(VpnVariants, WgQuickIsAWireGuardClient) {
  auto s = ss::parse_scenario("name = \"x\"\n[vpn]\nclient = \"wg-quick\"\n", "lab.toml");
  EXPECT_EQ(s.vpn.client, "wg-quick");
  EXPECT_NO_THROW(ss::check_vpn_variant(s, "lab.toml"));
}

TEST(VpnVariants, UnknownClientNamesTheKeyAndTheClients) {
  EXPECT_THAT(usage_error("name = \"x\"\n[vpn]\nclient = \"tunnelblick\"\n"),
              AllOf(HasSubstr("lab.toml:3"), HasSubstr("vpn.client"), HasSubstr("tunnelblick"),
                    HasSubstr("reference"), HasSubstr("wg-quick")));
}

TEST(VpnVariants, WgQuickCannotKeepItsInterface) {
  EXPECT_THAT(usage_error("name = \"x\"\n[vpn]\nclient = \"wg-quick\"\n[disconnect]\nmode = "
                          "\"keep-interface\"\n"),
              AllOf(HasSubstr("disconnect.mode"), HasSubstr("keep-interface"),
                    HasSubstr("vpn.client 'wg-quick'")));
  // The reference client can.
  EXPECT_EQ(usage_error("name = \"x\"\n[disconnect]\nmode = \"keep-interface\"\n"), "");
}

TEST(VpnVariants, CommandLineOverrideIsCheckedToo) {
  ss::Scenario s;
  s.vpn.client = "wg-quick";
  s.disconnect = ss::DisconnectMode::keep_interface;
  try {
    ss::check_vpn_variant(s, "--client");
    FAIL() << "keep-interface with wg-quick was accepted";
  } catch (const ss::UsageError& e) {
    EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr("--client"), HasSubstr("disconnect.mode")));
  }
  s.disconnect = ss::DisconnectMode::crash;
  EXPECT_NO_THROW(ss::check_vpn_variant(s, "--client"));
  s.vpn.client = "nope";
  EXPECT_THROW(ss::check_vpn_variant(s, "--client"), ss::UsageError);
  s.vpn.kind = "ipsec";
  s.vpn.client = "reference";
  try {
    ss::check_vpn_variant(s, "--vpn");
    FAIL() << "an unknown kind was accepted";
  } catch (const ss::UsageError& e) {
    EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr("vpn.kind"), HasSubstr("ipsec")));
  }
}

}  // namespace
