// vpn.client = "wg-quick": Debian's wg-quick as the lab's client, through a clean disconnect
// and a crash, asserted from the record; nothing left behind, the host's /etc untouched.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "lab_util.hpp"

using namespace labtest;
using nlohmann::json;

namespace {

json run_wgquick(const std::string& mode, const std::string& name) {
  const std::string file = temp_path(name + ".toml"), out = temp_path(name + ".json");
  std::ofstream(file) << "name = \"" << name << "\"\n[vpn]\nclient = \"wg-quick\"\n"
                      << "[disconnect]\nmode = \"" << mode << "\"\n[record]\nwindow = \"2s\"\n"
                      << "[probes.dns]\ninterval = \"50ms\"\n[probes.tcp]\ninterval = \"100ms\"\n";
  // Anything the run writes into /etc is newer than this marker.
  const std::string marker = temp_path(name + ".marker");
  std::ofstream(marker) << "x";
  Result r = sh(bin() + " run " + file + " --json " + out, 120);
  Result changed = sh("find /etc -xdev -newer " + marker + " ! -path /etc ! -path '/etc/netns*'");
  std::remove(file.c_str());
  std::remove(marker.c_str());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(changed.out, "") << "written into the host's /etc during the run";
  EXPECT_EQ(schema_problems(out), "");
  json rec = json::parse(slurp(out), nullptr, false);
  std::remove(out.c_str());
  return rec;
}

int count(
    const json& rec, const std::string& layer, const std::string& kind,
    const std::function<bool(const json&)>& pred = [](const json&) { return true; }) {
  int n = 0;
  for (const auto& e : rec["events"])
    if (e.value("layer", "") == layer && e.value("kind", "") == kind && pred(e)) ++n;
  return n;
}

// The tcp probe's connection used the tunnel's address: its traffic went through the tunnel.
void expect_tunnel_before_t0(const json& rec) {
  EXPECT_EQ(count(rec, "probe", "ready",
                  [](const json& e) {
                    return e.value("agent", "") == "tcp-client" &&
                           e.value("local", "").rfind("10.8.0.42:", 0) == 0 &&
                           e.value("t_us", 0) < 0;
                  }),
            1);
  EXPECT_EQ(count(rec, "dns", "lookup",
                  [](const json& e) {
                    return e.value("t_us", 0) < 0 && e.value("ok", false) &&
                           e.value("answered_by", "") == "vpn-resolver";
                  }) > 0,
            true);
}

TEST(WgQuick, CleanDisconnectRemovesRulesLinkAndRestoresTheResolver) {
  REQUIRE_ROOT();
  const std::string before = host_state(), procs = lab_processes();
  json rec = run_wgquick("clean", "wgq-clean");
  ASSERT_FALSE(rec.is_discarded());
  EXPECT_EQ(rec["vpn"]["client"], "wg-quick");
  expect_tunnel_before_t0(rec);
  // wg-quick's fwmark policy routing, taken down by wg-quick down: both rules, both families.
  for (const char* fam : {"inet", "inet6"}) {
    EXPECT_EQ(count(rec, "route", "rule-removed",
                    [&](const json& e) {
                      return e["family"] == fam && e["table"] == 51820 && e["fwmark"] == 51820 &&
                             e["invert"] == true;
                    }),
              1)
        << fam;
    EXPECT_EQ(count(rec, "route", "rule-removed",
                    [&](const json& e) {
                      return e["family"] == fam && e["table"] == "main" &&
                             e["suppress_prefixlength"] == 0;
                    }),
              1)
        << fam;
  }
  // Its default route lives in table 51820, not as 0/1 + 128/1 in main.
  EXPECT_EQ(count(rec, "route", "removed",
                  [](const json& e) { return e["dst"] == "0.0.0.0/0" && e["table"] == 51820; }),
            1);
  EXPECT_EQ(count(rec, "route", "removed", [](const json& e) { return e["dst"] == "0.0.0.0/1"; }),
            0);
  EXPECT_EQ(count(rec, "link", "removed", [](const json& e) { return e["ifname"] == "tun0"; }), 1);
  // openresolv (resolvconf -d) puts back the resolver it backed up.
  EXPECT_EQ(count(rec, "dns", "resolver_changed",
                  [](const json& e) { return e["to"] == json::array({"192.168.1.1"}); }),
            1);
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), procs);
}

TEST(WgQuick, CrashLeavesRulesAndResolver) {
  REQUIRE_ROOT();
  const std::string before = host_state(), procs = lab_processes();
  json rec = run_wgquick("crash", "wgq-crash");
  ASSERT_FALSE(rec.is_discarded());
  EXPECT_EQ(rec["vpn"]["client"], "wg-quick");
  expect_tunnel_before_t0(rec);
  // The killed wireguard-go takes its interface with it; nobody removes the rules or
  // restores the resolver.
  EXPECT_EQ(count(rec, "link", "removed", [](const json& e) { return e["ifname"] == "tun0"; }), 1);
  EXPECT_EQ(count(rec, "route", "rule-removed"), 0);
  EXPECT_EQ(count(rec, "dns", "resolver_changed"), 0);
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), procs);
}

TEST(WgQuick, KeepInterfaceIsRefused) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string file = temp_path("wgq-keep.toml");
  std::ofstream(file) << "name = \"k\"\n[vpn]\nclient = \"wg-quick\"\n[disconnect]\nmode = "
                         "\"keep-interface\"\n";
  Result r = sh(bin() + " run " + file);
  std::remove(file.c_str());
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("disconnect.mode"), std::string::npos) << r.err;
  EXPECT_EQ(host_state(), before);
}

}  // namespace
