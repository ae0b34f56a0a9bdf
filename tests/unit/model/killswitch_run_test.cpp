// The scenario's `killswitch` key, the wg-quick recipe's lines, the record's `killswitch`, the
// rule counters read from a listing, and the applications' view.
#include <gtest/gtest.h>

#include "model/killswitch_run.hpp"
#include "model/scenario.hpp"
#include "scenario_error.hpp"

using namespace ss;
using ss::test::scenario_error;

namespace {

TEST(KillSwitchKey, DefaultsToNone) {
  EXPECT_EQ(parse_scenario("name = \"x\"\n", "t.toml").killswitch, "none");
}

TEST(KillSwitchKey, TrueIsOursFalseIsNone) {
  EXPECT_EQ(parse_scenario("name = \"x\"\nkillswitch = true\n", "t.toml").killswitch, "ours");
  EXPECT_EQ(parse_scenario("name = \"x\"\nkillswitch = false\n", "t.toml").killswitch, "none");
  EXPECT_EQ(parse_scenario("name = \"x\"\nkillswitch = \"none\"\n", "t.toml").killswitch, "none");
  EXPECT_EQ(parse_scenario("name = \"x\"\nkillswitch = \"ours\"\n", "t.toml").killswitch, "ours");
}

TEST(KillSwitchKey, TheRecipeGoesWithWgQuick) {
  const auto s = parse_scenario(
      "name = \"x\"\nkillswitch = \"wg-quick-recipe\"\n[vpn]\nclient = \"wg-quick\"\n", "t.toml");
  EXPECT_EQ(s.killswitch, "wg-quick-recipe");
}

TEST(KillSwitchKey, TheRecipeWithAnotherClientNamesTheKeyAndTheClient) {
  const std::string e =
      scenario_error("name = \"x\"\nkillswitch = \"wg-quick-recipe\"\n", "t.toml", "accepted");
  EXPECT_NE(e.find("t.toml:2: killswitch:"), std::string::npos) << e;
  EXPECT_NE(e.find("vpn.client = \"reference\""), std::string::npos) << e;
  const std::string o =
      scenario_error("name = \"x\"\nkillswitch = \"wg-quick-recipe\"\n[vpn]\nkind = \"openvpn\"\n",
                     "t.toml", "accepted");
  EXPECT_NE(o.find("vpn.client = \"openvpn\""), std::string::npos) << o;
}

TEST(KillSwitchKey, AnythingElseIsRefusedWithTheValuesItTakes) {
  for (const char* bad : {"killswitch = \"yes\"", "killswitch = 1", "killswitch = \"Ours\""}) {
    const std::string e =
        scenario_error(std::string("name = \"x\"\n") + bad + "\n", "t.toml", "ok");
    EXPECT_NE(e.find("t.toml:2: killswitch: expected true, false"), std::string::npos) << e;
  }
}

TEST(KillSwitchKind, NamesRoundTrip) {
  for (auto k : {KillSwitchKind::none, KillSwitchKind::ours, KillSwitchKind::wg_quick_recipe})
    EXPECT_EQ(killswitch_kind_from(killswitch_kind_name(k)), k);
  EXPECT_FALSE(killswitch_kind_from("true"));
  EXPECT_EQ(killswitch_client_problem(KillSwitchKind::ours, "openvpn"), "");
  EXPECT_EQ(killswitch_client_problem(KillSwitchKind::wg_quick_recipe, "wg-quick"), "");
  EXPECT_NE(killswitch_client_problem(KillSwitchKind::wg_quick_recipe, "reference"), "");
}

TEST(WgQuickRecipe, IsTheManualPagesLinesForBothFamilies) {
  const auto lines = wgquick_recipe_lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "PostUp = iptables -I OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m "
            "addrtype ! --dst-type LOCAL -j REJECT");
  EXPECT_EQ(lines[1],
            "PreDown = iptables -D OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m "
            "addrtype ! --dst-type LOCAL -j REJECT");
  EXPECT_EQ(lines[2].substr(0, 25), "PostUp = ip6tables -I OUT");
  EXPECT_EQ(lines[3].substr(0, 26), "PreDown = ip6tables -D OUT");
}

TEST(RuleCounters, ReadFromAListing) {
  const std::string listing = R"(table inet splitsecond_killswitch {
	chain output {
		type filter hook output priority filter; policy drop;
		oifname "lo" accept
		udp dport 53 counter packets 12 bytes 840 reject with icmpx admin-prohibited
		meta l4proto tcp counter packets 3 bytes 180 reject with tcp reset
	}
	chain input {
		counter packets 0 bytes 0 drop
	}
}
)";
  const auto c = parse_rule_counters(listing);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].rule, "udp dport 53 reject with icmpx admin-prohibited");
  EXPECT_EQ(c[0].packets, 12);
  EXPECT_EQ(c[1].rule, "meta l4proto tcp reject with tcp reset");
  EXPECT_EQ(c[1].packets, 3);
  EXPECT_EQ(c[2].rule, "drop");
  EXPECT_EQ(c[2].packets, 0);
  EXPECT_TRUE(parse_rule_counters("table inet x {\n}\n").empty());
}

KillSwitchRun sample() {
  KillSwitchRun k;
  k.kind = "ours";
  k.tunnel_match = "interface name";
  k.refusal = "reject";
  k.changes = {{-812345, "applied", "connected", "before the VPN client starts", 1234}};
  k.counters_at_end = std::vector<RuleCounter>{{"udp dport 53 reject", 12}, {"reject", 5}};
  return k;
}

TEST(KillSwitchRecord, JsonRoundTrips) {
  const auto k = sample();
  const auto j = killswitch_run_json(k);
  EXPECT_EQ(j["kind"], "ours");
  EXPECT_EQ(j["changes"][0]["at_us"], -812345);
  EXPECT_EQ(j["counters_at_end"][1]["packets"], 5);
  const auto back = killswitch_run_from_json(j);
  EXPECT_EQ(killswitch_run_json(back), j);
  EXPECT_EQ(back.refused_packets(), 17);
}

TEST(KillSwitchRecord, RulesGoneAtTheEndIsNullNotZero) {
  auto k = sample();
  k.kind = "wg-quick-recipe";
  k.counters_at_end.reset();
  const auto j = killswitch_run_json(k);
  EXPECT_TRUE(j["counters_at_end"].is_null());
  EXPECT_FALSE(killswitch_run_from_json(j).counters_at_end.has_value());
  EXPECT_NE(render_killswitch(k).find("its rules were gone"), std::string::npos);
}

TEST(KillSwitchRecord, TheReportSaysWhatItRefused) {
  const std::string text = render_killswitch(sample());
  EXPECT_NE(text.find("kill switch: ours (tunnel matched by interface name"), std::string::npos)
      << text;
  EXPECT_NE(text.find("applied (connected)"), std::string::npos) << text;
  EXPECT_NE(text.find("had refused 17 packets"), std::string::npos) << text;
}

TEST(AppView, OutcomeLinesParse) {
  auto o = app_outcome_from(nlohmann::json::parse(
      R"({"t_ns":1,"agent":"ks-app","kind":"outcome","op":"send","error":"EPERM","after_ms":0.04,"bound_ms":3000,"detail":"then EHOSTUNREACH after 0.1 ms"})"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->op, "send");
  EXPECT_EQ(o->error, "EPERM");
  EXPECT_DOUBLE_EQ(*o->after_ms, 0.04);
  auto hung = app_outcome_from(nlohmann::json::parse(
      R"({"kind":"outcome","op":"connect","error":"","after_ms":null,"bound_ms":3000})"));
  ASSERT_TRUE(hung);
  EXPECT_FALSE(hung->after_ms);
  EXPECT_FALSE(app_outcome_from(nlohmann::json::parse(R"({"kind":"ready"})")));
}

TEST(AppView, TheTableShowsErrorsTimesAndHangs) {
  std::vector<AppView> v = {
      {"ours (reject)", {{"connect", "ECONNREFUSED", 0.2, 3000, ""}}},
      {"ours (drop)", {{"connect", "", std::nullopt, 3000, ""}}},
  };
  const std::string t = render_app_views(v);
  EXPECT_NE(t.find("ECONNREFUSED after 0.2 ms"), std::string::npos) << t;
  EXPECT_NE(t.find("hung (3000 ms bound)"), std::string::npos) << t;
  const auto j = app_views_json(v);
  EXPECT_TRUE(j[1]["outcomes"][0]["after_ms"].is_null());
}

}  // namespace

namespace {

TEST(KillSwitchOverride, TheOptionReplacesTheKey) {
  Scenario s = parse_scenario("name = \"x\"\n", "t.toml");
  override_killswitch(s, "ours");
  EXPECT_EQ(s.killswitch, "ours");
  override_killswitch(s, "");  // no option: kept
  EXPECT_EQ(s.killswitch, "ours");
  override_killswitch(s, "none");
  EXPECT_EQ(s.killswitch, "none");
}

TEST(KillSwitchOverride, AnUnknownValueOrTheRecipeWithAnotherClientIsExit2) {
  Scenario s = parse_scenario("name = \"x\"\n", "t.toml");
  try {
    override_killswitch(s, "yes");
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--killswitch yes: expected ours"), std::string::npos);
  }
  try {
    override_killswitch(s, "wg-quick-recipe");
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--killswitch wg-quick-recipe: killswitch:"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("vpn.client = \"reference\""), std::string::npos);
  }
  // A file's recipe, then --client moving it off wg-quick: refused naming the file.
  Scenario w = parse_scenario(
      "name = \"x\"\nkillswitch = \"wg-quick-recipe\"\n[vpn]\nclient = \"wg-quick\"\n", "w.toml");
  w.vpn.client = "reference";
  try {
    override_killswitch(w, "");
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("w.toml: killswitch:"), std::string::npos) << e.what();
  }
}

}  // namespace
