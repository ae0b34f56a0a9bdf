// The MPTCP probe's fate from stored agent lines: survival, gap, subflows before and after.
#include "model/fate_mptcp.hpp"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1000 * kMs, kEnd = 4000 * kMs;
const ss::Window kWindow{kT0, kT0 + 20 * kMs, kEnd};  // the disconnect took 20 ms
constexpr int64_t kBound = 1000 * kMs;

json line(const char* agent, const char* kind, int64_t ms, json fields = json::object()) {
  fields["agent"] = agent;
  fields["kind"] = kind;
  fields["t_ns"] = ms * kMs;
  return fields;
}

json subflows(const char* agent, int64_t ms, std::vector<std::string> list,
              json extra = json::object()) {
  json detail = json::array();
  for (const auto& p : list) detail.push_back({{"path", p}, {"probes", 0}});
  extra.update({{"count", list.size()}, {"list", list}, {"detail", detail}, {"fallback", false}});
  return line(agent, "subflows", ms, extra);
}

const std::string kTunnel = "10.8.0.42:1->198.51.100.10:7005",
                  kPhysical = "192.168.1.100:2->198.51.100.10:7005";

ss::AgentLines client_continuing_on_en0() {
  return {line("mptcp-client", "ready", 100),
          subflows("mptcp-client", 110, {kTunnel}),
          subflows("mptcp-client", 120, {kTunnel, kPhysical}),
          line("mptcp-client", "echo", 900, {{"seq", 8}, {"rtt_us", 400}}),
          subflows("mptcp-client", 1300, {kPhysical}),
          line("mptcp-client", "echo", 1400, {{"seq", 9}, {"rtt_us", 400000}}),
          line("mptcp-client", "echo", 1500, {{"seq", 10}, {"rtt_us", 400}}),
          line("mptcp-client", "echo", 2000, {{"seq", 11}, {"rtt_us", 400}}),
          line("mptcp-client", "echo", 2500, {{"seq", 12}, {"rtt_us", 400}}),
          line("mptcp-client", "echo", 3000, {{"seq", 13}, {"rtt_us", 400}}),
          line("mptcp-client", "echo", 3500, {{"seq", 14}, {"rtt_us", 400}}),
          line("mptcp-client", "echo", 3900, {{"seq", 15}, {"rtt_us", 400}}),
          subflows("mptcp-client", 4500, {}),  // after the window: not counted
          line("mptcp-client", "summary", 4600)};
}

TEST(MptcpFate, SurvivesOnTheOtherSubflowWithItsGap) {
  ss::ProbeFate f = ss::mptcp_fate(client_continuing_on_en0(), {}, kWindow, kBound);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.name, "mptcp");
  EXPECT_EQ(f.proto, "mptcp");
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 500.0);
  EXPECT_EQ(f.extra["echoes_after_t0"], 7);
  EXPECT_EQ(f.extra["outcome"], "yes");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 500.0);
  EXPECT_EQ(f.extra["subflows_before"]["count"], 2);
  EXPECT_DOUBLE_EQ(f.extra["subflows_before"]["at_ms"].get<double>(), -880.0);
  EXPECT_EQ(f.extra["subflows_after"]["list"], json({kPhysical}));
  EXPECT_EQ(f.extra["subflows_lost"], json({kTunnel}));
  EXPECT_EQ(f.extra["subflows_added"], json::array());
  ASSERT_EQ(f.extra["subflow_changes_after_t0"].size(), 1u);
  EXPECT_DOUBLE_EQ(f.extra["subflow_changes_after_t0"][0]["t_ms"].get<double>(), 300.0);
  EXPECT_EQ(f.extra["fallback_to_tcp"], false);
}

TEST(MptcpFate, AnErrorAfterT0IsNotSurvival) {
  ss::AgentLines client = {
      line("mptcp-client", "ready", 100), subflows("mptcp-client", 110, {kTunnel}),
      line("mptcp-client", "echo", 900),
      line("mptcp-client", "error", 2500, {{"error", "ETIMEDOUT"}, {"op", "recv"}})};
  ss::ProbeFate f = ss::mptcp_fate(client, {}, kWindow, kBound);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.error, "ETIMEDOUT");
  EXPECT_DOUBLE_EQ(*f.detected_ms, 1500.0);
  EXPECT_EQ(f.extra["subflows_after"]["list"], json({kTunnel}));  // nothing changed
  EXPECT_EQ(f.extra["subflows_lost"], json::array());
}

TEST(MptcpFate, NoEchoAndNoErrorIsHanging) {
  ss::AgentLines client = {line("mptcp-client", "ready", 100),
                           subflows("mptcp-client", 110, {kTunnel}),
                           line("mptcp-client", "echo", 900)};
  ss::ProbeFate f = ss::mptcp_fate(client, {}, kWindow, kBound);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["state"], "hanging");
  EXPECT_TRUE(f.extra["gap_ms"].is_null());
}

TEST(MptcpFate, ARefusedMptcpSocketIsAFailedSetUp) {
  ss::AgentLines client = {line("mptcp-client", "setup_failed", 100, {{"error", "ENOPROTOOPT"}})};
  ss::ProbeFate f = ss::mptcp_fate(client, {}, kWindow, kBound);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "ENOPROTOOPT");
  EXPECT_FALSE(f.extra.contains("subflows_before"));
}

TEST(MptcpFate, OneEchoAfterTheDisconnectThenSilenceIsPartial) {
  ss::AgentLines client = {line("mptcp-client", "ready", 100),
                           subflows("mptcp-client", 110, {kTunnel}),
                           line("mptcp-client", "echo", 900, {{"seq", 8}, {"rtt_us", 400}}),
                           line("mptcp-client", "echo", 1100, {{"seq", 9}, {"rtt_us", 400}})};
  ss::ProbeFate f = ss::mptcp_fate(client, {}, kWindow, kBound);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "partial");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2900.0);
  EXPECT_DOUBLE_EQ(f.extra["silence_started_ms"].get<double>(), 100.0);
}

TEST(MptcpFate, AFallbackToTcpIsReported) {
  ss::AgentLines client = {line("mptcp-client", "ready", 100),
                           subflows("mptcp-client", 110, {kTunnel})};
  client[1]["fallback"] = true;
  ss::ProbeFate f = ss::mptcp_fate(client, {}, kWindow, kBound);
  EXPECT_EQ(f.extra["fallback_to_tcp"], true);
}

TEST(MptcpFate, TheServersViewPerConnectionBeforeAndAfter) {
  const std::string peer = "198.51.100.1:1";
  const std::string via_vpn = "198.51.100.10:7005->198.51.100.1:1",
                    via_home = "198.51.100.10:7005->203.0.113.2:2";
  ss::AgentLines server = {
      line("mptcp-server", "ready", 50),
      line("mptcp-server", "accept", 110, {{"peer", peer}}),
      subflows("mptcp-server", 111, {via_vpn}, {{"peer", peer}}),
      subflows("mptcp-server", 130, {via_vpn, via_home}, {{"peer", peer}}),
      subflows("mptcp-server", 1800, {via_home}, {{"peer", peer}}),
      line("mptcp-server", "close", 3900, {{"peer", peer}, {"error", nullptr}})};
  ss::ProbeFate f = ss::mptcp_fate(client_continuing_on_en0(), server, kWindow, kBound);
  ASSERT_EQ(f.extra["server_view"].size(), 1u);
  const json& v = f.extra["server_view"][0];
  EXPECT_EQ(v["peer"], peer);
  EXPECT_EQ(v["before"]["list"], json({via_vpn, via_home}));
  EXPECT_EQ(v["after"]["list"], json({via_home}));
  EXPECT_DOUBLE_EQ(v["closed_ms"].get<double>(), 2900.0);
}

}  // namespace
