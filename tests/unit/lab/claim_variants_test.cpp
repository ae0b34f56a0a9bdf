// The claims' runs are what their names say: the timeline each one executes disconnects in its
// own mode (a crash run that disconnected cleanly would make every crash claim a clean one).
#include <gtest/gtest.h>

#include "lab/claims_runner.hpp"

namespace ss::lab {
namespace {

DisconnectMode executed_mode(const Scenario& s) {
  for (const auto& a : s.timeline)
    if (a.kind == ActionKind::disconnect) return a.mode;
  ADD_FAILURE() << s.name << " has no disconnect in its timeline";
  return DisconnectMode::clean;
}

TEST(ClaimVariants, EachRunExecutesItsOwnDisconnectMode) {
  const auto v = claim_variants();
  EXPECT_EQ(executed_mode(v.at("clean")), DisconnectMode::clean);
  EXPECT_EQ(executed_mode(v.at("crash")), DisconnectMode::crash);
  EXPECT_EQ(executed_mode(v.at("keep-interface")), DisconnectMode::keep_interface);
  EXPECT_EQ(executed_mode(v.at("user-timeout")), DisconnectMode::clean);
  for (const auto& [name, s] : v) EXPECT_EQ(s.disconnect, executed_mode(s)) << name;
}

TEST(ScenarioDisconnectMode, SettingItChangesTheTimelinesDisconnects) {
  Scenario s = load_scenario("disconnect");
  set_disconnect_mode(s, DisconnectMode::crash);
  EXPECT_EQ(s.disconnect, DisconnectMode::crash);
  EXPECT_EQ(executed_mode(s), DisconnectMode::crash);
  Scenario f = load_scenario("flicker");  // no disconnect action: nothing to change
  set_disconnect_mode(f, DisconnectMode::crash);
  for (const auto& a : f.timeline) EXPECT_NE(a.kind, ActionKind::disconnect);
}

}  // namespace
}  // namespace ss::lab
