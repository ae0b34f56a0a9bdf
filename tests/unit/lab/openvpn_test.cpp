// OpenVPN's command lines, its client's fixed address, and the wording of what the client did
// while connecting.
#include <gtest/gtest.h>

#include <algorithm>

#include "lab/openvpn_vpn.hpp"
#include "model/errors.hpp"

using namespace ss;
using namespace ss::lab;

namespace {

Scenario openvpn_scenario() {
  Scenario s;
  s.vpn.kind = "openvpn";
  s.vpn.client = "openvpn";
  s.vpn.implementation = "openvpn";
  s.vpn.port = 1194;
  s.vpn.ping_s = 1;
  s.vpn.ping_restart_s = 3;
  return s;
}

// The value following `flag` (the n-th occurrence), or "" if absent.
std::string after(const std::vector<std::string>& args, const std::string& flag, int n = 0) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag && n-- == 0) return args[i + 1];
  return "";
}

bool has(const std::vector<std::string>& args, const std::string& word) {
  return std::find(args.begin(), args.end(), word) != args.end();
}

const OpenVpnFiles kFiles = OpenVpnFiles::in("/run/splitsecond/ss-abcdef/openvpn", "/usr/bin/ss");

}  // namespace

TEST(OpenVpnArgs, NetmaskFromPrefixLength) {
  EXPECT_EQ(ipv4_netmask("10.8.0.1/24"), "255.255.255.0");
  EXPECT_EQ(ipv4_netmask("10.8.0.1/20"), "255.255.240.0");
  EXPECT_EQ(ipv4_netmask("10.8.0.1/32"), "255.255.255.255");
  EXPECT_EQ(ipv4_netmask("0.0.0.0/0"), "0.0.0.0");
  EXPECT_THROW(ipv4_netmask("10.8.0.1"), UsageError);
  EXPECT_THROW(ipv4_netmask("10.8.0.1/33"), UsageError);
}

TEST(OpenVpnArgs, ServerPushesFullTunnelAndResolver) {
  const auto a = openvpn_server_args(openvpn_scenario(), kFiles);
  EXPECT_EQ(a.front(), "openvpn");
  EXPECT_EQ(after(a, "--mode"), "server");
  EXPECT_EQ(after(a, "--proto"), "udp4");
  EXPECT_EQ(after(a, "--local"), "198.51.100.1");
  EXPECT_EQ(after(a, "--port"), "1194");
  EXPECT_EQ(after(a, "--dev"), "wg0");
  EXPECT_EQ(after(a, "--dev-type"), "tun");
  EXPECT_EQ(after(a, "--topology"), "subnet");
  EXPECT_EQ(after(a, "--ifconfig"), "10.8.0.1");
  EXPECT_EQ(after(a, "--push", 0), "topology subnet");
  EXPECT_EQ(after(a, "--push", 1), "route-gateway 10.8.0.1");
  EXPECT_EQ(after(a, "--push", 2), "redirect-gateway def1");
  EXPECT_EQ(after(a, "--push", 3), "dhcp-option DNS 10.8.0.1");
  EXPECT_EQ(after(a, "--ping"), "1");
  EXPECT_EQ(after(a, "--ping-restart"), "3");
  EXPECT_EQ(after(a, "--ca"), "/run/splitsecond/ss-abcdef/openvpn/ca.crt");
  EXPECT_EQ(after(a, "--key"), "/run/splitsecond/ss-abcdef/openvpn/server.key");
  EXPECT_EQ(after(a, "--client-config-dir"), "/run/splitsecond/ss-abcdef/openvpn/ccd");
  EXPECT_FALSE(has(a, "--daemon"));
}

TEST(OpenVpnArgs, ClientRunsTheUpDownScriptAndPersistTunOnlyWhenAsked) {
  Scenario s = openvpn_scenario();
  auto a = openvpn_client_args(s, kFiles);
  EXPECT_EQ(after(a, "--remote"), "198.51.100.1");
  EXPECT_EQ(after(a, "--dev"), "tun0");
  EXPECT_EQ(after(a, "--script-security"), "2");
  const std::string script =
      "/usr/bin/ss agent openvpn-dns --resolv /etc/resolv.conf --save "
      "/run/splitsecond/ss-abcdef/openvpn/resolv.conf.before-vpn";
  EXPECT_EQ(after(a, "--up"), script);
  EXPECT_EQ(after(a, "--down"), script);
  EXPECT_EQ(after(a, "--remote-cert-tls"), "server");
  EXPECT_EQ(after(a, "--ping-restart"), "3");
  EXPECT_FALSE(has(a, "--persist-tun"));
  EXPECT_FALSE(has(a, "--daemon"));
  s.vpn.persist_tun = true;
  a = openvpn_client_args(s, kFiles);
  EXPECT_TRUE(has(a, "--persist-tun"));
}

TEST(OpenVpnArgs, ClientGetsTheScenarioTunnelAddress) {
  Scenario s = openvpn_scenario();
  EXPECT_EQ(openvpn_client_ccd(s), "ifconfig-push 10.8.0.42 255.255.255.0\n");
  s.vpn.client_tunnel_ip = "10.9.1.7/16";
  EXPECT_EQ(openvpn_client_ccd(s), "ifconfig-push 10.9.1.7 255.255.0.0\n");
}

TEST(OpenVpnChanges, MainTableRoutesAddressesAndLinksInWords) {
  std::vector<Event> ev;
  auto route = [&](const char* kind, const char* dst, nlohmann::json gw, const char* table) {
    Event e;
    e.layer = Layer::route;
    e.kind = kind;
    e.detail = {{"dst", dst}, {"gateway", gw}, {"dev", "tun0"}, {"table", table}};
    ev.push_back(e);
  };
  Event link;
  link.layer = Layer::link;
  link.kind = "added";
  link.detail = {{"ifname", "tun0"}};
  ev.push_back(link);
  Event addr;
  addr.layer = Layer::addr;
  addr.kind = "added";
  addr.detail = {{"address", "10.8.0.42/24"}, {"dev", "tun0"}};
  ev.push_back(addr);
  route("added", "10.8.0.42/32", nullptr, "local");  // not the main table: left out
  route("added", "0.0.0.0/1", "10.8.0.1", "main");
  route("removed", "128.0.0.0/1", nullptr, "main");
  EXPECT_EQ(describe_changes(ev),
            (std::vector<std::string>{"link added tun0", "address added 10.8.0.42/24 dev tun0",
                                      "route added 0.0.0.0/1 via 10.8.0.1 dev tun0",
                                      "route removed 128.0.0.0/1 dev tun0"}));
  EXPECT_TRUE(describe_changes({}).empty());
}

TEST(OpenVpnArgs, LaterConnectionsGetTheReconnectAddressWhenTheScenarioSetsOne) {
  Scenario s = openvpn_scenario();
  EXPECT_EQ(openvpn_client_ccd_after_connect(s), "ifconfig-push 10.8.0.42 255.255.255.0\n");
  s.vpn.reconnect_tunnel_ip = "10.8.0.43/24";
  EXPECT_EQ(openvpn_client_ccd_after_connect(s), "ifconfig-push 10.8.0.43 255.255.255.0\n");
  EXPECT_EQ(openvpn_client_ccd(s), "ifconfig-push 10.8.0.42 255.255.255.0\n");
}
