// The timeline of actions: parsed, sorted, and every bad timeline refused with its line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenario_error.hpp"

#include <string>

#include "model/errors.hpp"
#include "model/scenario.hpp"

using ss::ActionKind;
using ss::DisconnectMode;
using ss::Micros;
using ss::parse_scenario;
using ::testing::HasSubstr;

namespace {

std::string error_of(const std::string& text) {
  return ss::test::scenario_error(text, "t.toml");
}

const char* kHead = "name = \"x\"\n[record]\nwindow = \"3s\"\n";

TEST(ScenarioTimeline, WithoutATimelineTheDisconnectIsTheOneActionAtZero) {
  auto s = parse_scenario("name = \"x\"\n[disconnect]\nmode = \"crash\"\n", "t.toml");
  ASSERT_EQ(s.timeline.size(), 1u);
  EXPECT_EQ(s.timeline[0].kind, ActionKind::disconnect);
  EXPECT_EQ(s.timeline[0].mode, DisconnectMode::crash);
  EXPECT_EQ(s.timeline[0].at, Micros(0));
}

TEST(ScenarioTimeline, ActionsAreSortedByTimeAndKeepTheirParameters) {
  auto s = parse_scenario(std::string(kHead) +
                              "[[timeline]]\nat = \"1s\"\naction = \"vpn-restart\"\n"
                              "[[timeline]]\nat = \"0ms\"\naction = \"disconnect\"\nmode = "
                              "\"keep-interface\"\n"
                              "[[timeline]]\nat = \"2s\"\naction = \"address-change\"\n"
                              "address = \"192.168.1.77/24\"\n",
                          "t.toml");
  ASSERT_EQ(s.timeline.size(), 3u);
  EXPECT_EQ(s.timeline[0].kind, ActionKind::disconnect);
  EXPECT_EQ(s.timeline[0].mode, DisconnectMode::keep_interface);
  EXPECT_EQ(s.disconnect, DisconnectMode::keep_interface);
  EXPECT_EQ(s.timeline[1].kind, ActionKind::vpn_restart);
  EXPECT_EQ(s.timeline[1].at, Micros(1'000'000));
  EXPECT_EQ(s.timeline[2].address, "192.168.1.77/24");
  EXPECT_EQ(s.timeline[2].line, 11);  // its [[timeline]] header
}

TEST(ScenarioTimeline, BadTimelinesNameTheKeyAndTheLine) {
  const std::string h = kHead;
  struct Case {
    std::string toml, expect;
  } cases[] = {
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"explode\"\n", "t.toml:6: timeline[0].action"},
      {h + "[[timeline]]\nat = \"3s\"\naction = \"link-down\"\n",
       "timeline[0].at: 3s is not inside"},
      {h + "[[timeline]]\nat = \"100ms\"\naction = \"link-down\"\n", "the first action is t=0"},
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"carrier-up\"\n",
       "t.toml:4: timeline: carrier-up at 0s: no carrier-down before it"},
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"vpn-restart\"\n", "the VPN is connected"},
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"disconnect\"\n[[timeline]]\nat = \"1s\"\n"
           "action = \"disconnect\"\n",
       "t.toml:7: timeline: disconnect at 1s: the VPN is already disconnected"},
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"link-down\"\n[[timeline]]\nat = \"1s\"\n"
           "action = \"link-down\"\n",
       "the link is already down"},
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"disconnect\"\nmode = \"gentle\"\n",
       "timeline[0].mode: 'gentle'"},
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"address-change\"\n",
       "timeline[0].address: missing"},
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"address-change\"\naddress = \"10.1.2.3/24\"\n",
       "not in the home LAN"},
      {h + "[[timeline]]\nat = \"0ms\"\naction = \"link-down\"\nmode = \"clean\"\n",
       "timeline[0].mode: unknown key"},
      {h + "[[timeline]]\naction = \"link-down\"\n", "timeline[0].at: missing"},
      {h + "[disconnect]\nmode = \"clean\"\n[[timeline]]\nat = \"0ms\"\naction = \"link-down\"\n",
       "disconnect: give the disconnect as a [[timeline]] action"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.toml);
    EXPECT_THAT(error_of(c.toml), HasSubstr(c.expect));
  }
}

TEST(ScenarioTimeline, BuiltinFlickerAndReconnect) {
  auto f = ss::load_scenario("flicker");
  ASSERT_EQ(f.timeline.size(), 2u);
  EXPECT_EQ(f.timeline[0].kind, ActionKind::carrier_down);
  EXPECT_EQ(f.timeline[1].kind, ActionKind::carrier_up);
  EXPECT_EQ(f.timeline[1].at, Micros(200'000));
  auto r = ss::load_scenario("reconnect");
  ASSERT_EQ(r.timeline.size(), 2u);
  EXPECT_EQ(r.timeline[0].kind, ActionKind::disconnect);
  EXPECT_EQ(r.timeline[1].kind, ActionKind::vpn_restart);
  EXPECT_EQ(r.timeline[1].at, Micros(1'000'000));
}

}  // namespace
