// `splitsecond claims` on this kernel: every claim measured, each from runs it names, with the
// figures it measured; what was measured, not only that it is well formed.
#include <regex>
#include <set>

#include "lab_util.hpp"

using namespace labtest;

namespace {

const nlohmann::json* find_claim(const nlohmann::json& j, const std::string& id) {
  for (const auto& c : j["claims"])
    if (c.value("id", "") == id) return &c;
  return nullptr;
}

TEST(Claims, EveryClaimMeasuredFromNamedRunsWithFigures) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string path = temp_path("claims.json");
  Result r = sh(bin() + " claims --json " + path, 400);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(schema_problems(path), "");
  const auto j = nlohmann::json::parse(slurp(path), nullptr, false);
  std::remove(path.c_str());
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], "splitsecond.claims/1");
  EXPECT_TRUE(j["not_measured"].empty()) << j["not_measured"].dump(2);

  const std::regex run_name(
      R"(\b(clean|crash|keep-interface|user-timeout|no-migration|no-physical-subflow)\b)");
  const std::regex figure(R"([0-9])");
  std::set<std::string> ids;
  for (const auto& c : j["claims"]) {
    const std::string id = c["id"], verdict = c["verdict"], measured = c["measured"];
    ids.insert(id);
    SCOPED_TRACE(id + ": " + measured);
    EXPECT_TRUE(verdict == "confirmed" || verdict == "contradicted" || verdict == "depends");
    EXPECT_TRUE(std::regex_search(measured, run_name)) << "names no run";
    EXPECT_TRUE(std::regex_search(measured, figure)) << "holds no figure";
    if (verdict == "depends") {
      EXPECT_TRUE(c["condition"].is_string()) << "depends on nothing";
    }
  }
  for (const char* id : {"tunnel-removed", "split-routes", "cascade-span", "send-now-reset",
                         "idle-hangs", "inflight-dies", "websocket-event", "quic-survives",
                         "mptcp-survives", "ssh-dies", "mosh-survives", "dns-leak",
                         "dns-to-vpn-resolver", "resolver-restored", "client-ip-changes"})
    EXPECT_TRUE(ids.count(id)) << id << " is not among the measured claims";

  auto measured = [&](const std::string& id) {
    const auto* c = find_claim(j, id);
    return c ? (*c)["measured"].get<std::string>() : std::string();
  };
  // What the client did is reported as this client's doing.
  for (const char* id : {"tunnel-removed", "split-routes", "resolver-restored"})
    EXPECT_NE(measured(id).find("with the reference client"), std::string::npos) << id;
  // Each layer of the cascade was timed in the clean run.
  EXPECT_NE(measured("cascade-span").find("clean: tunnel link gone at"), std::string::npos);
  EXPECT_NE(measured("cascade-span").find("; span "), std::string::npos);
  // Both sides of mptcp-survives ran; the late send of tcp-idle was observed.
  EXPECT_NE(measured("mptcp-survives").find("no-physical-subflow"), std::string::npos);
  EXPECT_NE(measured("idle-hangs").find("idle until a message sent at"), std::string::npos);
  // The kernel's retries2 bound is shown as a prediction.
  EXPECT_NE(measured("inflight-dies").find("a prediction, not measured"), std::string::npos);
  EXPECT_EQ(host_state(), before);
}

}  // namespace
