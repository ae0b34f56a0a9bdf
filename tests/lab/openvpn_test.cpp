// The real OpenVPN (server and client, Debian's openvpn 2.6) disconnected: what the client
// did while connecting (its routes, its up script) and what its clean exit and a crash left,
// layer by layer; nothing left on the host.
#include "lab_util.hpp"

using namespace labtest;

namespace {

std::string scenario_file(const std::string& mode, bool persist_tun) {
  const std::string path = temp_path("openvpn-" + mode + ".toml");
  std::ofstream(path) << "name = \"openvpn-" << mode << "\"\n"
                      << "[vpn]\nkind = \"openvpn\"\nping = 1\nping_restart = 3\n"
                      << "persist_tun = " << (persist_tun ? "true" : "false") << "\n"
                      << "[disconnect]\nmode = \"" << mode << "\"\n"
                      << "[record]\nwindow = \"2s\"\n"
                      << "[probes.dns]\ninterval = \"50ms\"\n"
                      << "[probes.tcp]\ninterval = \"100ms\"\nport = 7001\n";
  return path;
}

std::string notes_text(const nlohmann::json& rec) {
  std::string out;
  for (const auto& n : rec["notes"]) out += n.get<std::string>() + "\n";
  return out;
}

bool route_event(const nlohmann::json& rec, const std::string& kind, const std::string& dst,
                 bool after_t0) {
  return has_event(rec, "route", kind, [&](auto& e) {
    return e["dst"] == dst && (e["t_us"].template get<int64_t>() >= 0) == after_t0;
  });
}

std::string openvpn_processes() {
  return sh("ps -eo pid=,comm= | awk '$2 == \"openvpn\" {print $1}'").out;
}

// What the client installed while connecting: redirect-gateway def1's routes and the
// endpoint's host route via the home router, before t=0 (from the driver's own monitor).
void expect_full_tunnel_routes_before_t0(const std::string& notes) {
  EXPECT_NE(notes.find("before t=0:"), std::string::npos) << notes;
  for (const char* r : {"route added 0.0.0.0/1 via 10.8.0.1 dev tun0",
                        "route added 128.0.0.0/1 via 10.8.0.1 dev tun0",
                        "route added 198.51.100.1/32 via 192.168.1.1 dev en0"})
    EXPECT_NE(notes.find(r), std::string::npos) << r << "\n" << notes;
  // The up script applied the pushed resolver.
  EXPECT_NE(notes.find(R"("action":"applied","event":"openvpn-dns","nameservers":["10.8.0.1"])"),
            std::string::npos)
      << notes;
}

}  // namespace

TEST(OpenVpn, CleanExitIsRecordedLayerByLayer) {
  REQUIRE_ROOT();
  const std::string before = host_state(), processes = openvpn_processes();
  auto rec = run_json(scenario_file("clean", false));
  ASSERT_FALSE(rec.is_discarded());
  EXPECT_EQ(rec["vpn"]["kind"], "openvpn");
  EXPECT_EQ(rec["vpn"]["client"], "openvpn");
  EXPECT_EQ(rec["vpn"]["endpoint"], "198.51.100.1:1194");
  const std::string notes = notes_text(rec);
  expect_full_tunnel_routes_before_t0(notes);
  // The tunnel carried traffic before t=0 (UDP to the endpoint's port 1194).
  EXPECT_TRUE(has_event(rec, "packet", "tunnel", [](auto& e) { return e["t_us"] < 0; }));
  // SIGTERM: OpenVPN exits by itself, removing the TUN device (and its routes with it) and
  // the endpoint route it added outside it.
  EXPECT_NE(notes.find("clean: SIGTERM to the client openvpn"), std::string::npos) << notes;
  EXPECT_NE(notes.find("it exited (exit status 0)"), std::string::npos) << notes;
  EXPECT_TRUE(has_event(rec, "link", "removed",
                        [](auto& e) { return e["ifname"] == "tun0" && e["t_us"] >= 0; }));
  for (const char* dst : {"0.0.0.0/1", "128.0.0.0/1", "198.51.100.1/32"})
    EXPECT_TRUE(route_event(rec, "removed", dst, true)) << dst;
  // Its down script put the home resolver back.
  EXPECT_NE(notes.find(R"("action":"restored")"), std::string::npos) << notes;
  // The script writes the file in place (truncate, then write): the recorder, reading while
  // the disconnect runs, may see the empty file between the two, so the change can come as
  // 10.8.0.1 -> (none) -> 192.168.1.1 as well as in one step.
  int64_t left_vpn_us = -1;
  for (const auto& e : rec["events"])
    if (e["layer"] == "dns" && e["kind"] == "resolver_changed" && e["t_us"] >= 0 &&
        e["from"].dump().find("10.8.0.1") != std::string::npos) {
      left_vpn_us = e["t_us"];
      break;
    }
  ASSERT_GE(left_vpn_us, 0) << "the resolver never left 10.8.0.1 after t=0";
  EXPECT_TRUE(has_event(rec, "dns", "resolver_changed", [&](auto& e) {
    return e["t_us"] >= left_vpn_us && e["to"].dump().find("192.168.1.1") != std::string::npos;
  }));
  auto* tcp = probe(rec, "tcp");
  ASSERT_NE(tcp, nullptr);
  EXPECT_TRUE((*tcp)["setup_ok"].get<bool>()) << tcp->dump();
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(openvpn_processes(), processes);
}

TEST(OpenVpn, CrashLeavesTheEndpointRouteAndTheResolver) {
  REQUIRE_ROOT();
  const std::string before = host_state(), processes = openvpn_processes();
  auto rec = run_json(scenario_file("crash", true));
  ASSERT_FALSE(rec.is_discarded());
  const std::string notes = notes_text(rec);
  expect_full_tunnel_routes_before_t0(notes);
  EXPECT_NE(notes.find("crash: SIGKILL to the client openvpn"), std::string::npos) << notes;
  // The kernel closes the TUN device with the process: the link and the split routes go.
  EXPECT_TRUE(has_event(rec, "link", "removed",
                        [](auto& e) { return e["ifname"] == "tun0" && e["t_us"] >= 0; }));
  for (const char* dst : {"0.0.0.0/1", "128.0.0.0/1"})
    EXPECT_TRUE(route_event(rec, "removed", dst, true)) << dst;
  // Nobody removes the endpoint route or runs the down script.
  EXPECT_FALSE(route_event(rec, "removed", "198.51.100.1/32", true));
  EXPECT_EQ(notes.find(R"("script_type":"down")"), std::string::npos) << notes;
  EXPECT_FALSE(has_event(rec, "dns", "resolver_changed", [](auto& e) { return e["t_us"] >= 0; }));
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(openvpn_processes(), processes);
}

TEST(OpenVpn, KeepInterfaceIsNotSomethingOpenVpnDoes) {
  REQUIRE_ROOT();
  const std::string path = scenario_file("keep-interface", false);
  Result r = sh(bin() + " run " + path);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("keep-interface"), std::string::npos) << r.err;
}

TEST(OpenVpn, VpnRestartStartsTheClientAgainWithItsRoutesAndResolver) {
  REQUIRE_ROOT();
  const std::string before = host_state(), processes = openvpn_processes();
  auto rec = run_json("reconnect --vpn openvpn");
  ASSERT_FALSE(rec.is_discarded());
  EXPECT_EQ(rec["vpn"]["client"], "openvpn");
  const std::string notes = notes_text(rec);
  // The second client installed the same routes, and its up script applied the resolver.
  const auto again = notes.find("openvpn-client-2 (pid");
  ASSERT_NE(again, std::string::npos) << notes;
  const std::string second = notes.substr(again, notes.find('\n', again) - again);
  EXPECT_NE(second.find("while reconnecting (vpn-restart)"), std::string::npos) << second;
  EXPECT_NE(second.find("route added 0.0.0.0/1 via 10.8.0.1 dev tun0"), std::string::npos)
      << second;
  EXPECT_NE(notes.find(R"(openvpn-client-2 up/down script: {"action":"applied")"),
            std::string::npos)
      << notes;
  EXPECT_TRUE(has_event(rec, "dns", "resolver_changed", [](auto& e) {
    return e["t_us"] >= 1'000'000 && e["to"].dump().find("10.8.0.1") != std::string::npos;
  })) << notes;
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(openvpn_processes(), processes);
}
