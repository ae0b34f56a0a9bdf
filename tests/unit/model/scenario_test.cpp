#include "model/scenario.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "scenario_error.hpp"

#include <cstdio>
#include <fstream>
#include <string>

#include "model/errors.hpp"

using ss::DisconnectMode;
using ss::Micros;
using ss::parse_scenario;
using ss::Scenario;
using ss::UsageError;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

// The message of the UsageError that parsing `text` throws ("" if it parses).
std::string usage_error(const std::string& text, const std::string& origin = "lab.toml") {
  return ss::test::scenario_error(text, origin);
}

// Expects a UsageError naming the file, the line and the field.
void expect_rejected(const std::string& text, int line, const std::string& field,
                     const std::string& why = "") {
  const std::string msg = usage_error(text, "my/scenario.toml");
  SCOPED_TRACE(text);
  ASSERT_FALSE(msg.empty()) << "accepted";
  EXPECT_THAT(msg, HasSubstr("my/scenario.toml:" + std::to_string(line) + ":"));
  EXPECT_THAT(msg, HasSubstr(field));
  if (!why.empty()) {
    EXPECT_THAT(msg, HasSubstr(why));
  }
}

// For bad values (addresses, interface names): the file, the field and why. That the line is the
// key's own line is checked in scenario_value_line_test.cpp.
void expect_value_rejected(const std::string& text, const std::string& field,
                           const std::string& why) {
  const std::string msg = usage_error(text, "my/scenario.toml");
  SCOPED_TRACE(text);
  ASSERT_FALSE(msg.empty()) << "accepted";
  EXPECT_THAT(msg, ::testing::StartsWith("my/scenario.toml:"));
  EXPECT_THAT(msg, HasSubstr(field));
  EXPECT_THAT(msg, HasSubstr(why));
}

}  // namespace

TEST(Scenario, DetectHasEveryDetectProbeAndReapsOnlyItsProbesPort) {
  const Scenario s = ss::load_scenario("detect");
  std::vector<std::string> names;
  int reap_port = 0;
  for (const auto& p : s.probes) {
    names.push_back(p.name);
    if (p.name == "detect-reap") reap_port = p.port;
  }
  EXPECT_EQ(names.size(), 6u);
  for (const char* n : {"detect-default", "detect-keepalive", "detect-keepalive-inflight",
                        "detect-user-timeout", "detect-reap", "detect-library"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  ASSERT_TRUE(s.reap);
  EXPECT_EQ(s.reap->peer_ports, (std::vector<uint16_t>{static_cast<uint16_t>(reap_port)}));
}

TEST(Scenario, EveryBuiltinParses) {
  const auto builtins = ss::builtin_scenarios();
  ASSERT_GE(builtins.size(), 2u);
  for (const auto& [name, summary] : builtins) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(summary.empty());
    Scenario s = ss::load_scenario(name);
    EXPECT_EQ(s.name, name);
    EXPECT_EQ(s.origin, "built-in");
    EXPECT_FALSE(s.description.empty());
    EXPECT_FALSE(s.probes.empty());
  }
  for (const char* name : {"disconnect", "crash"}) {
    SCOPED_TRACE(name);
    Scenario s = ss::load_scenario(name);
    ASSERT_EQ(s.probes.size(), 2u);
    EXPECT_EQ(s.probes[0].name, "dns");
    EXPECT_EQ(s.probes[0].interval, Micros(50'000));
    EXPECT_EQ(s.probes[1].name, "tcp");
    EXPECT_EQ(s.probes[1].interval, Micros(100'000));
    EXPECT_EQ(s.probes[1].port, 7001);
  }
  // survival runs every connection probe the scenario language knows, once each (the storm is
  // a load, not a row of the table: `run --storm N` adds it; the detect probes are the detect
  // scenario's, one per way of learning that a connection died).
  std::vector<std::string> survival, known;
  for (const auto& p : ss::load_scenario("survival").probes) survival.push_back(p.name);
  for (const auto& p : ss::known_probes())
    if (p.name != "storm" && p.name.rfind("detect-", 0) != 0) known.push_back(p.name);
  std::sort(survival.begin(), survival.end());
  std::sort(known.begin(), known.end());
  EXPECT_EQ(survival, known);
  EXPECT_EQ(ss::load_scenario("survival").disconnect, DisconnectMode::clean);
  EXPECT_EQ(ss::load_scenario("disconnect").disconnect, DisconnectMode::clean);
  EXPECT_EQ(ss::load_scenario("crash").disconnect, DisconnectMode::crash);
}

TEST(Scenario, MinimalFileGetsTheReferenceDefaults) {
  Scenario s = parse_scenario("name = \"x\"\n", "x.toml");
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.origin, "x.toml");
  EXPECT_EQ(s.disconnect, DisconnectMode::clean);
  EXPECT_EQ(s.before, Micros(500'000));
  EXPECT_EQ(s.window, Micros(3'000'000));
  EXPECT_TRUE(s.probes.empty());
  EXPECT_EQ(s.topology.client_ip4, "192.168.1.100/24");
  EXPECT_EQ(s.vpn.port, 51820);
}

TEST(Scenario, EveryKeyIsRead) {
  const char* text = R"(name = "full"
description = "all keys"
[topology]
client_if = "wlan0"
client_ip4 = "10.1.0.2/24"
client_ip6 = "fd00:1::2/64"
home_lan_ip4 = "10.1.0.1/24"
home_lan_ip6 = "fd00:1::1/64"
home_wan_ip4 = "172.16.0.2/24"
home_wan_ip6 = "2001:db8:20::2/64"
home_nat = false
inet_home_ip4 = "172.16.0.1/24"
inet_home_ip6 = "2001:db8:20::1/64"
inet_vpn_ip4 = "192.0.2.6/29"
inet_vpn_ip6 = "2001:db8:30::6/64"
inet_server_ip4 = "192.0.2.14/29"
inet_server_ip6 = "2001:db8:40::1/64"
vpn_ip4 = "192.0.2.1/29"
vpn_ip6 = "2001:db8:30::1/64"
server_ip4 = "192.0.2.10/29"
server_ip6 = "2001:db8:40::10/64"
[vpn]
kind = "wireguard"
client_if = "wg-client"
server_if = "wg-server"
client_tunnel_ip = "10.9.0.2/24"
server_tunnel_ip = "10.9.0.1/24"
dns = "10.9.0.1"
port = 4500
nat = false
[disconnect]
mode = "crash"
[record]
before = "1s"
window = "5s"
[probes.tcp]
interval = "20ms"
port = 7100
)";
  Scenario s = parse_scenario(text, "full.toml");
  EXPECT_EQ(s.description, "all keys");
  EXPECT_EQ(s.topology.client_if, "wlan0");
  EXPECT_EQ(s.topology.client_ip6, "fd00:1::2/64");
  EXPECT_FALSE(s.topology.home_nat);
  EXPECT_EQ(s.topology.server_ip6, "2001:db8:40::10/64");
  EXPECT_EQ(s.vpn.client_if, "wg-client");
  EXPECT_EQ(s.vpn.server_if, "wg-server");
  EXPECT_EQ(s.vpn.client_tunnel_ip, "10.9.0.2/24");
  EXPECT_EQ(s.vpn.dns, "10.9.0.1");
  EXPECT_EQ(s.vpn.port, 4500);
  EXPECT_FALSE(s.vpn.server_nat);
  EXPECT_EQ(s.disconnect, DisconnectMode::crash);
  EXPECT_EQ(s.before, Micros(1'000'000));
  EXPECT_EQ(s.window, Micros(5'000'000));
  ASSERT_EQ(s.probes.size(), 1u);
  EXPECT_EQ(s.probes[0].name, "tcp");
  EXPECT_EQ(s.probes[0].interval, Micros(20'000));
  EXPECT_EQ(s.probes[0].port, 7100);
}

TEST(Scenario, UnknownTopLevelKeyNamesFileLineAndField) {
  expect_rejected("name = \"x\"\n\nwindwo = \"3s\"\n", 3, "windwo", "unknown key");
}

TEST(Scenario, UnknownNestedKeyNamesFileLineAndDottedField) {
  expect_rejected("name = \"x\"\n[vpn]\nport = 51820\nmtu = 1420\n", 4, "vpn.mtu", "unknown key");
  expect_rejected("name = \"x\"\n[topology]\nclient_iff = \"en0\"\n", 3, "topology.client_iff",
                  "unknown key");
  expect_rejected("name = \"x\"\n[probes.dns]\ninterval = \"50ms\"\nport = 53\n", 4,
                  "probes.dns.port", "unknown key");
  expect_rejected("name = \"x\"\n[probes.udp]\ninterval = \"50ms\"\n", 2, "probes.udp",
                  "unknown probe (known: dns, tcp");
  expect_rejected("name = \"x\"\n[record]\nafter = \"1s\"\n", 3, "record.after", "unknown key");
}

TEST(Scenario, WrongTypesAreRejected) {
  expect_rejected("name = \"x\"\n[vpn]\nport = \"51820\"\n", 3, "vpn.port", "expected an integer");
  expect_rejected("name = \"x\"\n[topology]\nhome_nat = \"yes\"\n", 3, "topology.home_nat",
                  "expected true or false");
  expect_rejected("name = 7\n", 1, "name", "expected a string");
  expect_rejected("name = \"x\"\ntopology = 3\n", 2, "topology", "expected a table");
  expect_rejected("name = \"x\"\n[probes.tcp]\ninterval = 200\n", 3, "probes.tcp.interval",
                  "expected a duration");
  expect_rejected("name = \"x\"\n[vpn]\nport = 51820.5\n", 3, "vpn.port", "expected an integer");
}

TEST(Scenario, BadDurationsAreRejected) {
  for (const char* bad : {"200", "3h", "-1s", "", "fast", "1e3"}) {
    expect_rejected(std::string("name = \"x\"\n[probes.dns]\ninterval = \"") + bad + "\"\n", 3,
                    "probes.dns.interval", "is not a duration");
  }
}

TEST(Scenario, OutOfRangeValuesAreRejected) {
  expect_rejected("name = \"x\"\n[record]\nwindow = \"50ms\"\n", 3, "record.window",
                  "out of range");
  expect_rejected("name = \"x\"\n[record]\nwindow = \"2m\"\n", 3, "record.window", "out of range");
  expect_rejected("name = \"x\"\n[record]\nbefore = \"11s\"\n", 3, "record.before", "out of range");
  expect_rejected("name = \"x\"\n[probes.tcp]\ninterval = \"1ms\"\n", 3, "probes.tcp.interval",
                  "out of range");
  expect_rejected("name = \"x\"\n[vpn]\nport = 70000\n", 3, "vpn.port", "out of range");
  expect_rejected("name = \"x\"\n[vpn]\nport = 0\n", 3, "vpn.port", "out of range");
  // The edges themselves are allowed.
  Scenario s = parse_scenario("name = \"x\"\n[record]\nwindow = \"100ms\"\nbefore = \"0s\"\n", "e");
  EXPECT_EQ(s.window, Micros(100'000));
  EXPECT_EQ(s.before, Micros(0));
  EXPECT_EQ(parse_scenario("name = \"x\"\n[record]\nwindow = \"60s\"\n", "e").window,
            Micros(60'000'000));
}

TEST(Scenario, BadEnumValuesAreRejected) {
  expect_rejected("name = \"x\"\n[disconnect]\nmode = \"explode\"\n", 3, "disconnect.mode",
                  "'explode'");
  expect_rejected("name = \"x\"\n[vpn]\nkind = \"ipsec\"\n", 3, "vpn.kind", "not supported");
}

TEST(Scenario, MissingNameIsRejected) {
  const std::string msg = usage_error("description = \"no name\"\n", "n.toml");
  EXPECT_THAT(msg, AllOf(HasSubstr("n.toml:"), HasSubstr("name"), HasSubstr("missing")));
}

TEST(Scenario, PublicAddressesAreRejected) {
  expect_value_rejected("name = \"x\"\n[topology]\nclient_ip4 = \"8.8.8.8/24\"\n",
                        "topology.client_ip4", "'8.8.8.8/24': not a private or documentation");
  expect_value_rejected("name = \"x\"\n[topology]\nserver_ip6 = \"2606:4700::1/64\"\n",
                        "topology.server_ip6", "not a documentation");
  expect_value_rejected("name = \"x\"\n[vpn]\ndns = \"1.1.1.1\"\n", "vpn.dns",
                        "not a private or documentation");
  expect_value_rejected("name = \"x\"\n[vpn]\nclient_tunnel_ip = \"100.64.0.2/24\"\n",
                        "vpn.client_tunnel_ip", "not a private or documentation");
}

TEST(Scenario, MalformedAddressesAreRejected) {
  expect_value_rejected("name = \"x\"\n[topology]\nclient_ip4 = \"192.168.1.100\"\n",
                        "topology.client_ip4", "address/prefix");
  expect_value_rejected("name = \"x\"\n[topology]\nclient_ip4 = \"192.168.1.100/33\"\n",
                        "topology.client_ip4", "bad prefix length");
  expect_value_rejected("name = \"x\"\n[topology]\nclient_ip6 = \"2001:db8::1/129\"\n",
                        "topology.client_ip6", "bad prefix length");
  expect_value_rejected("name = \"x\"\n[topology]\nclient_ip4 = \"192.168.1.100/\"\n",
                        "topology.client_ip4", "bad prefix length");
  expect_value_rejected("name = \"x\"\n[topology]\nclient_ip4 = \"home/24\"\n",
                        "topology.client_ip4", "not an IP address");
  expect_value_rejected("name = \"x\"\n[vpn]\ndns = \"10.8.0.1/24\"\n", "vpn.dns",
                        "without /prefix");
}

TEST(Scenario, DocumentationAndPrivateRangesAreAccepted) {
  // The range check passes them; the address-conflict check (address_test.cpp) may still
  // refuse one for not fitting the rest of the topology, which is another error.
  const std::string range_error = "not a private or documentation address";
  for (const char* ok : {"10.0.0.1/8", "172.31.255.1/12", "192.168.0.1/16", "192.0.2.1/24",
                         "198.51.100.1/24", "203.0.113.254/24"}) {
    EXPECT_EQ(usage_error(std::string("name = \"x\"\n[topology]\nclient_ip4 = \"") + ok + "\"\n")
                  .find(range_error),
              std::string::npos)
        << ok;
  }
  EXPECT_NO_THROW(
      parse_scenario("name = \"x\"\n[topology]\nclient_ip4 = \"192.168.1.7/24\"\n", "ok.toml"));
  for (const char* ok : {"2001:db8:ffff::1/48", "fd12:3456::1/64", "fc00::1/7"}) {
    EXPECT_EQ(usage_error(std::string("name = \"x\"\n[topology]\nclient_ip6 = \"") + ok + "\"\n")
                  .find("not a documentation"),
              std::string::npos)
        << ok;
  }
  // Just outside the allowed ranges.
  for (const char* bad : {"172.32.0.1/16", "192.0.3.1/24", "198.51.101.1/24", "203.0.114.1/24"}) {
    EXPECT_FALSE(
        usage_error(std::string("name = \"x\"\n[topology]\nclient_ip4 = \"") + bad + "\"\n")
            .empty())
        << bad;
  }
  EXPECT_FALSE(usage_error("name = \"x\"\n[topology]\nclient_ip6 = \"2001:db9::1/64\"\n").empty());
}

TEST(Scenario, InterfaceNamesAreChecked) {
  expect_value_rejected("name = \"x\"\n[topology]\nclient_if = \"abcdefghijklmnop\"\n",
                        "topology.client_if", "not a valid interface name");
  expect_value_rejected("name = \"x\"\n[vpn]\nserver_if = \"wg 0\"\n", "vpn.server_if",
                        "not a valid interface name");
  expect_value_rejected("name = \"x\"\n[vpn]\nclient_if = \"\"\n", "vpn.client_if",
                        "not a valid interface name");
  // 15 characters is the kernel's limit (IFNAMSIZ - 1) and is fine.
  EXPECT_EQ(
      parse_scenario("name = \"x\"\n[vpn]\nclient_if = \"abcdefghijklmno\"\n", "i").vpn.client_if,
      "abcdefghijklmno");
}

TEST(Scenario, TomlSyntaxErrorsCarryTheLine) {
  std::string msg = usage_error("name = \"x\"\n\n[vpn\nport = 1\n", "broken.toml");
  EXPECT_THAT(msg, HasSubstr("broken.toml:3:"));
  msg = usage_error("name = \"x\"\n[vpn]\nport = 1\nport = 2\n", "dup.toml");
  EXPECT_THAT(msg, HasSubstr("dup.toml:4:"));
  msg = usage_error("name = \"unterminated\n", "q.toml");
  EXPECT_THAT(msg, HasSubstr("q.toml:1:"));
}

TEST(Scenario, LoadRejectsUnknownNamesListingTheBuiltins) {
  try {
    ss::load_scenario("no-such-scenario-or-file");
    FAIL() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr("no-such-scenario-or-file"),
                                             HasSubstr("disconnect"), HasSubstr("crash")));
  }
}

TEST(Scenario, LoadReadsAFileAndNamesItInErrors) {
  const std::string path = ::testing::TempDir() + "splitsecond-scenario-test.toml";
  {
    std::ofstream f(path);
    f << "name = \"from-file\"\n[record]\nwindow = \"2s\"\n";
  }
  Scenario s = ss::load_scenario(path);
  EXPECT_EQ(s.name, "from-file");
  EXPECT_EQ(s.origin, path);
  EXPECT_EQ(s.window, Micros(2'000'000));
  {
    std::ofstream f(path);
    f << "name = \"from-file\"\n[record]\nwindow = \"2 s\"\n";
  }
  try {
    ss::load_scenario(path);
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr(path + ":3:"));
  }
  std::remove(path.c_str());
}

TEST(Scenario, IpOfStripsThePrefix) {
  EXPECT_EQ(ss::ip_of("192.168.1.1/24"), "192.168.1.1");
  EXPECT_EQ(ss::ip_of("2001:db8::1/64"), "2001:db8::1");
  EXPECT_EQ(ss::ip_of("10.8.0.1"), "10.8.0.1");
}

TEST(ScenarioReap, AbsentMeansNoReapAndTheTableTurnsItOn) {
  EXPECT_FALSE(parse_scenario("name = \"x\"\n", "t.toml").reap);
  const Scenario every = parse_scenario("name = \"x\"\n[reap]\n", "t.toml");
  ASSERT_TRUE(every.reap);
  EXPECT_TRUE(every.reap->peer_ports.empty());
  const Scenario some = parse_scenario("name = \"x\"\n[reap]\npeer_ports = [7014, 22]\n", "t.toml");
  ASSERT_TRUE(some.reap);
  EXPECT_EQ(some.reap->peer_ports, (std::vector<uint16_t>{7014, 22}));
}

TEST(ScenarioReap, BadPortsAndUnknownKeysAreRejected) {
  expect_rejected("name = \"x\"\n[reap]\npeer_ports = 7014\n", 3, "reap.peer_ports",
                  "expected an array");
  expect_rejected("name = \"x\"\n[reap]\npeer_ports = [0]\n", 3, "reap.peer_ports", "1 to 65535");
  expect_rejected("name = \"x\"\n[reap]\npeer_ports = [\"ssh\"]\n", 3, "reap.peer_ports",
                  "1 to 65535");
  expect_rejected("name = \"x\"\n[reap]\ninterface = \"wg0\"\n", 3, "reap.interface",
                  "unknown key");
}
