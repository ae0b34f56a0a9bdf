// `splitsecond claims` on this kernel: every claim measured, each from runs it names, with the
// figures it measured; what was measured, not only that it is well formed. The whole report
// with the reference client, and the per-client variants of wg-quick and OpenVPN on their own.
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
  Result r = sh(bin() + " claims --clients reference --json " + path, 400);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(schema_problems(path), "");
  const auto j = nlohmann::json::parse(slurp(path), nullptr, false);
  std::remove(path.c_str());
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], "splitsecond.claims/1");
  EXPECT_TRUE(j["not_measured"].empty()) << j["not_measured"].dump(2);

  const std::regex run_name(
      R"(\b(clean|crash|keep-interface|user-timeout|no-migration|no-physical-subflow|flicker|flicker-new-ip)\b)");
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
  for (const char* id :
       {"tunnel-removed", "split-routes", "cascade-span", "send-now-reset", "idle-hangs",
        "inflight-dies", "websocket-event", "quic-survives", "mptcp-survives", "ssh-dies",
        "mosh-survives", "dns-leak", "dns-to-vpn-resolver", "resolver-restored",
        "client-ip-changes", "flicker-tcp-dies"})
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
  // The claims the client decides carry the one client that ran; the others carry none.
  for (const auto& c : j["claims"]) {
    const std::string id = c["id"];
    const std::set<std::string> client_decides = {
        "tunnel-removed",   "split-routes",         "cascade-span",      "send-now-reset",
        "dns-leak",         "dns-to-vpn-resolver",  "resolver-restored", "client-ip-changes",
        "flicker-tcp-dies", "flicker-address-twice"};
    const bool per_client = client_decides.count(id) > 0;
    EXPECT_EQ(c.contains("by_client"), per_client) << id;
    if (!c.contains("by_client")) continue;
    ASSERT_EQ(c["by_client"].size(), 1u) << id;
    EXPECT_EQ(c["by_client"][0]["client"], "reference") << id;
    EXPECT_EQ(c["by_client"][0]["verdict"], c["verdict"]) << id;
  }
  // The flicker's tcp probe was read in both flicker runs, with what the client did.
  EXPECT_NE(measured("flicker-tcp-dies").find("flicker: tcp probe: "), std::string::npos);
  EXPECT_NE(measured("flicker-tcp-dies").find("flicker-new-ip: tcp probe: "), std::string::npos);
  // The kernel's retries2 bound is shown as a prediction.
  EXPECT_NE(measured("inflight-dies").find("a prediction, not measured"), std::string::npos);
  EXPECT_EQ(host_state(), before);
}

// wg-quick and OpenVPN through the variants the client-dependent claims read (a clean and a
// crash disconnect, the two flickers): one verdict per client, the overall verdict the
// clients' common one or "depends" naming them.
TEST(Claims, PerClientVerdictsForWgQuickAndOpenvpn) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string path = temp_path("claims-clients.json");
  Result r = sh(bin() + " claims --clients wg-quick,openvpn --per-client-only --json " + path, 400);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(schema_problems(path), "");
  const auto j = nlohmann::json::parse(slurp(path), nullptr, false);
  std::remove(path.c_str());
  ASSERT_FALSE(j.is_discarded());
  for (const char* id :
       {"tunnel-removed", "split-routes", "resolver-restored", "dns-leak", "dns-to-vpn-resolver",
        "cascade-span", "send-now-reset", "client-ip-changes", "flicker-tcp-dies"}) {
    SCOPED_TRACE(id);
    const auto* c = find_claim(j, id);
    ASSERT_NE(c, nullptr) << j["not_measured"].dump(2);
    ASSERT_TRUE(c->contains("by_client"));
    const auto& each = (*c)["by_client"];
    ASSERT_EQ(each.size(), 2u);
    EXPECT_EQ(each[0]["client"], "wg-quick");
    EXPECT_EQ(each[1]["client"], "openvpn");
    std::set<std::string> verdicts;
    for (const auto& v : each) {
      const std::string verdict = v["verdict"], m = v["measured"];
      SCOPED_TRACE(v["client"].get<std::string>() + ": " + m);
      EXPECT_NE(verdict, "not measured");
      EXPECT_TRUE(std::regex_search(m, std::regex("[0-9]"))) << "holds no figure";
      verdicts.insert(verdict);
    }
    if (verdicts.size() == 1) {
      EXPECT_EQ((*c)["verdict"], *verdicts.begin());
    } else {
      EXPECT_EQ((*c)["verdict"], "depends");
      EXPECT_NE((*c)["condition"].get<std::string>().find("with wg-quick"), std::string::npos);
      EXPECT_NE((*c)["condition"].get<std::string>().find("with openvpn"), std::string::npos);
    }
  }
  // What each client did is reported as that client's doing.
  for (const char* id : {"tunnel-removed", "split-routes", "resolver-restored"}) {
    const auto* c = find_claim(j, id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_NE((*c)["by_client"][0]["measured"].get<std::string>().find("with the wg-quick client"),
              std::string::npos)
        << id;
    EXPECT_NE((*c)["by_client"][1]["measured"].get<std::string>().find("with the openvpn client"),
              std::string::npos)
        << id;
  }
  // The claims about the apps and the kernel were not run.
  const auto* idle = find_claim(j, "idle-hangs");
  EXPECT_EQ(idle, nullptr);
  EXPECT_EQ(host_state(), before);
}

}  // namespace
