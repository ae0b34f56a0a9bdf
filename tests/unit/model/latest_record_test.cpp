// The newest stored real run (tests/data/survival-latest-record.json, written by
// scripts/readme-tables.sh from a fresh `run survival`): it loads, and the fields the current
// rules write are there and agree with each other. The older stored records keep testing how
// records without them are read ("not measured", never 0).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "model/claims.hpp"
#include "model/record.hpp"

namespace ss {
namespace {

RunRecord latest() {
  std::ifstream f(std::string(SS_TEST_DATA) + "/survival-latest-record.json");
  std::stringstream s;
  s << f.rdbuf();
  return record_from_json(nlohmann::json::parse(s.str()));
}

TEST(LatestRecord, EveryStreamProbeHasAnOutcomeThatAgreesWithSurvived) {
  const RunRecord r = latest();
  const std::set<std::string> stream = {"tcp",          "tcp-send-now", "tcp-idle",
                                        "tcp-inflight", "websocket",    "quic",
                                        "mptcp",        "ssh",          "mosh"};
  int seen = 0;
  for (const auto& p : r.probes) {
    if (!stream.count(p.name) || !p.setup_ok) continue;
    ++seen;
    ASSERT_TRUE(p.extra.contains("outcome")) << p.name;
    const std::string outcome = p.extra["outcome"];
    EXPECT_TRUE(outcome == "yes" || outcome == "partial" || outcome == "no") << p.name;
    EXPECT_EQ(p.survived, outcome == "yes") << p.name;
    EXPECT_TRUE(p.extra.contains("silence_bound_ms")) << p.name;
  }
  EXPECT_EQ(seen, 9);
}

TEST(LatestRecord, TheIdleProbesLateSendWasObserved) {
  for (const auto& p : latest().probes) {
    if (p.name != "tcp-idle") continue;
    ASSERT_TRUE(p.extra.contains("late_send")) << p.extra.dump();
    const auto& l = p.extra["late_send"];
    ASSERT_TRUE(l.is_object()) << l.dump();
    const std::string outcome = l["outcome"];
    EXPECT_TRUE(outcome == "echo" || outcome == "error" || outcome == "hang") << l.dump();
    return;
  }
  FAIL() << "no tcp-idle probe in the latest record";
}

TEST(LatestRecord, ItCarriesWhatTheClaimsNeed) {
  const RunRecord r = latest();
  EXPECT_EQ(r.vpn.client, "reference");
  EXPECT_FALSE(r.vpn.resolver.empty());
  EXPECT_FALSE(r.home_resolver.empty());
  ASSERT_TRUE(r.resolver_before_vpn.has_value());
  EXPECT_FALSE(r.resolver_before_vpn->empty());
  EXPECT_TRUE(r.server_sockets.has_value());
  EXPECT_FALSE(r.triggers.empty());
  EXPECT_EQ(r.triggers.front().at_us, 0);
  // The claims that read only a clean run are decided from it, none for want of a field.
  ClaimRuns runs = {{"clean", r}};
  for (const auto& c : evaluate_claims(runs)) {
    if (c.id == "resolver-restored" || c.id == "split-routes" || c.id == "tunnel-removed" ||
        c.id == "server-view" || c.id == "idle-hangs") {
      EXPECT_NE(c.verdict, "not measured") << c.id << ": " << c.measured;
    }
  }
}

}  // namespace
}  // namespace ss
