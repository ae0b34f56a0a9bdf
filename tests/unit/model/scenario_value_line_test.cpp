// A bad value (an address, an interface name) must be reported at the line of its own key, not
// at the line of the table that holds it: a user fixes the line the message names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenario_error.hpp"

#include <string>

#include "model/errors.hpp"
#include "model/scenario.hpp"

using ::testing::HasSubstr;

namespace {

std::string usage_error(const std::string& text) {
  return ss::test::scenario_error(text, "v.toml", "(accepted)");
}

}  // namespace

TEST(ScenarioValueLine, PublicAddressNamesTheLineOfItsKey) {
  EXPECT_THAT(
      usage_error("name = \"x\"\n[topology]\nhome_nat = true\nclient_ip4 = \"8.8.8.8/24\"\n"),
      HasSubstr("v.toml:4: topology.client_ip4:"));
  EXPECT_THAT(usage_error("name = \"x\"\n[vpn]\nport = 1\n\ndns = \"1.1.1.1\"\n"),
              HasSubstr("v.toml:5: vpn.dns:"));
}

TEST(ScenarioValueLine, MalformedAddressNamesTheLineOfItsKey) {
  EXPECT_THAT(usage_error("name = \"x\"\n[topology]\nclient_ip4 = \"home/24\"\n"),
              HasSubstr("v.toml:3: topology.client_ip4:"));
}

TEST(ScenarioValueLine, BadInterfaceNameNamesTheLineOfItsKey) {
  EXPECT_THAT(usage_error("name = \"x\"\n[vpn]\n\nserver_if = \"wg 0\"\n"),
              HasSubstr("v.toml:4: vpn.server_if:"));
  EXPECT_THAT(usage_error("name = \"x\"\n[topology]\nclient_if = \"abcdefghijklmnop\"\n"),
              HasSubstr("v.toml:3: topology.client_if:"));
}
