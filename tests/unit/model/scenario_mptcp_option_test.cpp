// The mptcp probe's subflow_on_physical option: read for mptcp, true by default, rejected on
// other probes.
#include <gtest/gtest.h>

#include "model/errors.hpp"
#include "model/scenario.hpp"

TEST(ScenarioMptcpOption, DefaultsToASubflowOnThePhysicalLink) {
  const ss::Scenario s = ss::parse_scenario("name = \"x\"\n[probes.mptcp]\n", "x.toml");
  ASSERT_EQ(s.probes.size(), 1u);
  EXPECT_TRUE(s.probes[0].subflow_on_physical);
}

TEST(ScenarioMptcpOption, FalseIsRead) {
  const ss::Scenario s =
      ss::parse_scenario("name = \"x\"\n[probes.mptcp]\nsubflow_on_physical = false\n", "x.toml");
  ASSERT_EQ(s.probes.size(), 1u);
  EXPECT_FALSE(s.probes[0].subflow_on_physical);
}

TEST(ScenarioMptcpOption, OnlyForMptcp) {
  try {
    ss::parse_scenario("name = \"x\"\n[probes.tcp]\nsubflow_on_physical = false\n", "x.toml");
    FAIL() << "accepted subflow_on_physical on tcp";
  } catch (const ss::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("probes.tcp.subflow_on_physical"), std::string::npos)
        << e.what();
  }
}

TEST(ScenarioMptcpOption, NotABooleanIsRejected) {
  EXPECT_THROW(
      ss::parse_scenario("name = \"x\"\n[probes.mptcp]\nsubflow_on_physical = 1\n", "x.toml"),
      ss::UsageError);
}
