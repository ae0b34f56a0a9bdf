// Built-in scenarios with a timeline of actions (flicker, reconnect): every action recorded
// with its time and duration, fates and leaks against each action, nothing left behind.
#include "lab_util.hpp"

using namespace labtest;

namespace {

std::vector<nlohmann::json> timeline_triggers(const nlohmann::json& rec) {
  std::vector<nlohmann::json> out;
  for (const auto& t : rec["triggers"])
    if (t["from_timeline"].get<bool>()) out.push_back(t);
  return out;
}

// What every timeline run must show, whatever the VPN client did.
void expect_actions(const nlohmann::json& rec, const std::vector<std::string>& actions,
                    const std::vector<int64_t>& at_ms) {
  const auto ts = timeline_triggers(rec);
  ASSERT_EQ(ts.size(), actions.size()) << rec["triggers"].dump();
  for (size_t i = 0; i < ts.size(); ++i) {
    SCOPED_TRACE(ts[i].dump());
    EXPECT_EQ(ts[i]["action"], actions[i]);
    EXPECT_FALSE(ts[i]["params"].contains("error"));
    // Each action at its time (never before it; the schedule is waited on, so not much later).
    EXPECT_GE(ts[i]["at_us"].get<int64_t>(), at_ms[i] * 1000);
    EXPECT_GE(ts[i]["completed_us"].get<int64_t>(), ts[i]["at_us"].get<int64_t>());
    // One trigger event in the timeline per action.
    EXPECT_TRUE(has_event(rec, "link", "trigger", [&](auto& e) {
      return e["action"] == actions[i] && e["t_us"] == ts[i]["at_us"];
    }));
  }
  EXPECT_EQ(ts[0]["at_us"], 0);  // t=0 is the first action
  // Leaks against each action; fates with an error say which action was in force.
  const auto& per = rec["leaks"]["per_action"];
  ASSERT_EQ(per.size(), actions.size());
  for (size_t i = 0; i < per.size(); ++i) EXPECT_EQ(per[i]["action"], actions[i]);
  for (const auto& p : rec["probes"])
    if (!p["detected_ms"].is_null() && p["detected_ms"].get<double>() >= 0) {
      EXPECT_TRUE(p.contains("after_action")) << p.dump();
    }
  EXPECT_TRUE(rec["leaks"].contains("ipv6"));
  EXPECT_EQ(rec["physical_interface"], "en0");
}

TEST(Timeline, FlickerTakesTheCarrierAwayFor200msAndBack) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  auto rec = run_json("flicker");
  ASSERT_FALSE(rec.is_discarded());
  EXPECT_EQ(rec["disconnect"], "none");
  expect_actions(rec, {"carrier-down", "carrier-up"}, {0, 200});
  // The home router's end of the link went down and up (the actions' own parameters).
  const auto ts = timeline_triggers(rec);
  EXPECT_EQ(ts[0]["params"]["peer"], "lan0");
  EXPECT_EQ(ts[1]["params"]["peer"], "lan0");
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), "");
}

TEST(Timeline, ReconnectDisconnectsThenBringsTheTunnelBack) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  auto rec = run_json("reconnect");
  ASSERT_FALSE(rec.is_discarded());
  EXPECT_EQ(rec["disconnect"], "clean");
  expect_actions(rec, {"disconnect", "vpn-restart"}, {0, 1000});
  const auto ts = timeline_triggers(rec);
  const int64_t restart_us = ts[1]["at_us"];
  // The tunnel went, and came back after the restart: routes added again, tunnel packets.
  EXPECT_TRUE(has_event(rec, "link", "removed", [](auto& e) { return e["ifname"] == "tun0"; }));
  EXPECT_TRUE(has_event(rec, "route", "added", [&](auto& e) {
    return e["dst"] == "0.0.0.0/1" && e["t_us"].template get<int64_t>() >= restart_us;
  }));
  EXPECT_TRUE(has_event(rec, "packet", "tunnel", [&](auto& e) {
    return e["dir"] == "in" && e["t_us"].template get<int64_t>() > restart_us;
  }));
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), "");
}

}  // namespace
