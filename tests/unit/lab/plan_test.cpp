// The topology as data: every step inside the run's own namespaces, only private and
// documentation addresses, and the exact nftables text.
#include "lab/plan.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>

using ss::lab::AddAddress;
using ss::lab::AddRoute;
using ss::lab::AddVeth;
using ss::lab::CreateNetns;
using ss::lab::LinkUp;
using ss::lab::Names;
using ss::lab::Nft;
using ss::lab::Step;
using ss::lab::Sysctl;
using ss::lab::WriteFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

const char* kPrefix = "ss-5e1f0c";

bool in_v4(const std::string& ip, const char* net, int len) {
  in_addr a{}, n{};
  if (::inet_pton(AF_INET, ip.c_str(), &a) != 1 || ::inet_pton(AF_INET, net, &n) != 1) return false;
  const uint32_t mask = len == 0 ? 0 : ~uint32_t(0) << (32 - len);
  return (ntohl(a.s_addr) & mask) == (ntohl(n.s_addr) & mask);
}

// RFC 1918 and the RFC 5737 / RFC 3849 documentation ranges, ULA, and the "any" route.
bool lab_safe(const std::string& cidr) {
  const std::string ip = cidr.substr(0, cidr.find('/'));
  if (ip == "0.0.0.0" || ip == "::") return true;
  for (auto [net, len] : {std::pair{"10.0.0.0", 8},
                          {"172.16.0.0", 12},
                          {"192.168.0.0", 16},
                          {"192.0.2.0", 24},
                          {"198.51.100.0", 24},
                          {"203.0.113.0", 24}})
    if (in_v4(ip, net, len)) return true;
  unsigned char a[16];
  if (::inet_pton(AF_INET6, ip.c_str(), a) != 1) return false;
  const bool doc = a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8;
  const bool ula = (a[0] & 0xfe) == 0xfc;
  return doc || ula;
}

std::vector<Step> reference_plan(const ss::Scenario& s = ss::load_scenario("disconnect")) {
  return ss::lab::plan_topology(s, Names(kPrefix));
}

template <class T>
std::vector<T> steps_of(const std::vector<Step>& plan) {
  std::vector<T> out;
  for (const auto& s : plan)
    if (auto* t = std::get_if<T>(&s)) out.push_back(*t);
  return out;
}

}  // namespace

TEST(Plan, NamesCarryTheRunPrefix) {
  Names n(kPrefix);
  EXPECT_EQ(n.prefix, kPrefix);
  EXPECT_EQ(n.client, "ss-5e1f0c-client");
  EXPECT_EQ(n.home, "ss-5e1f0c-home");
  EXPECT_EQ(n.internet, "ss-5e1f0c-inet");
  EXPECT_EQ(n.vpn, "ss-5e1f0c-vpn");
  EXPECT_EQ(n.server, "ss-5e1f0c-server");
  const auto all = n.all();
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 5u);
}

TEST(Plan, EveryStepActsInALabNamespaceNeverTheRootOne) {
  for (const auto& builtin : ss::builtin_scenarios()) {
    SCOPED_TRACE(builtin.first);
    const auto plan = reference_plan(ss::load_scenario(builtin.first));
    ASSERT_FALSE(plan.empty());
    const auto names = Names(kPrefix).all();
    for (const auto& step : plan) {
      const std::string ns = ss::lab::step_namespace(step);
      SCOPED_TRACE(ss::lab::describe(step));
      if (auto* f = std::get_if<WriteFile>(&step)) {
        EXPECT_EQ(ns, "");
        EXPECT_THAT(f->path, StartsWith(std::string("/etc/netns/") + kPrefix + "-"));
        EXPECT_EQ(f->path.find(".."), std::string::npos);
        continue;
      }
      EXPECT_THAT(ns, StartsWith(std::string(kPrefix) + "-"));
      EXPECT_NE(std::find(names.begin(), names.end(), ns), names.end());
      if (auto* v = std::get_if<AddVeth>(&step)) {
        EXPECT_NE(std::find(names.begin(), names.end(), v->peer_ns), names.end());
      }
    }
  }
}

TEST(Plan, NamespacesAreCreatedBeforeTheyAreUsed) {
  const auto plan = reference_plan();
  std::set<std::string> created;
  for (const auto& step : plan) {
    if (auto* c = std::get_if<CreateNetns>(&step)) {
      EXPECT_TRUE(created.insert(c->ns).second) << "created twice: " << c->ns;
      continue;
    }
    const std::string ns = ss::lab::step_namespace(step);
    if (!ns.empty()) {
      EXPECT_TRUE(created.count(ns)) << ss::lab::describe(step);
    }
    if (auto* v = std::get_if<AddVeth>(&step)) {
      EXPECT_TRUE(created.count(v->peer_ns));
    }
  }
  EXPECT_EQ(created.size(), 5u);
}

TEST(Plan, EveryAddressIsPrivateOrDocumentation) {
  const auto plan = reference_plan();
  const auto addrs = steps_of<AddAddress>(plan);
  ASSERT_EQ(addrs.size(), 16u);  // 8 link ends, IPv4 and IPv6 each
  for (const auto& a : addrs) EXPECT_TRUE(lab_safe(a.cidr)) << a.cidr;
  for (const auto& r : steps_of<AddRoute>(plan)) {
    EXPECT_TRUE(lab_safe(r.dst)) << r.dst;
    EXPECT_TRUE(lab_safe(r.gateway)) << r.gateway;
  }
  for (const auto& f : steps_of<WriteFile>(plan))
    for (size_t at = f.content.find("nameserver "); at != std::string::npos;
         at = f.content.find("nameserver ", at + 1)) {
      const std::string ip = f.content.substr(at + 11, f.content.find('\n', at) - at - 11);
      EXPECT_TRUE(lab_safe(ip)) << ip;
    }
}

TEST(Plan, ScenarioAddressesAreTheOnesUsed) {
  ss::Scenario s = ss::parse_scenario(
      "name = \"x\"\n[topology]\nclient_if = \"wlan0\"\nclient_ip4 = \"10.1.0.2/24\"\n"
      "home_lan_ip4 = \"10.1.0.1/24\"\nhome_nat = false\n",
      "x.toml");
  const auto plan = reference_plan(s);
  const auto addrs = steps_of<AddAddress>(plan);
  EXPECT_TRUE(std::any_of(addrs.begin(), addrs.end(), [](const AddAddress& a) {
    return a.ns == "ss-5e1f0c-client" && a.ifname == "wlan0" && a.cidr == "10.1.0.2/24";
  }));
  const auto routes = steps_of<AddRoute>(plan);
  EXPECT_TRUE(std::any_of(routes.begin(), routes.end(), [](const AddRoute& r) {
    return r.ns == "ss-5e1f0c-client" && r.dst == "0.0.0.0/0" && r.gateway == "10.1.0.1" &&
           r.dev == "wlan0";
  }));
  EXPECT_TRUE(steps_of<Nft>(plan).empty()) << "home_nat = false: no NAT ruleset";
  const auto files = steps_of<WriteFile>(plan);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "/etc/netns/ss-5e1f0c-client/resolv.conf");
  EXPECT_THAT(files[0].content, HasSubstr("nameserver 10.1.0.1\n"));
}

TEST(Plan, LinksAreBroughtUpAndInterfaceNamesFitTheKernel) {
  const auto plan = reference_plan();
  const auto up = steps_of<LinkUp>(plan);
  auto is_up = [&](const std::string& ns, const std::string& ifname) {
    return std::any_of(up.begin(), up.end(),
                       [&](const LinkUp& l) { return l.ns == ns && l.ifname == ifname; });
  };
  for (const auto& ns : Names(kPrefix).all()) EXPECT_TRUE(is_up(ns, "lo")) << ns;
  const auto veths = steps_of<AddVeth>(plan);
  EXPECT_EQ(veths.size(), 4u);  // client-home, home-internet, internet-vpn, internet-server
  for (const auto& v : veths) {
    EXPECT_TRUE(is_up(v.ns, v.name)) << v.name;
    EXPECT_TRUE(is_up(v.peer_ns, v.peer)) << v.peer;
    EXPECT_LE(v.name.size(), 15u);
    EXPECT_LE(v.peer.size(), 15u);
  }
}

TEST(Plan, RoutersForwardAndHomeMasquerades) {
  const auto plan = reference_plan();
  std::set<std::string> forwarding;
  for (const auto& s : steps_of<Sysctl>(plan)) {
    EXPECT_EQ(s.value, "1");
    if (s.key == "net/ipv4/ip_forward") forwarding.insert(s.ns);
  }
  EXPECT_EQ(forwarding,
            (std::set<std::string>{"ss-5e1f0c-home", "ss-5e1f0c-inet", "ss-5e1f0c-vpn"}));
  const auto nft = steps_of<Nft>(plan);
  ASSERT_EQ(nft.size(), 1u);
  EXPECT_EQ(nft[0].ns, "ss-5e1f0c-home");
  EXPECT_EQ(nft[0].ruleset, ss::lab::nat_ruleset("wan0"));
}

TEST(Plan, IsAPureFunctionOfTheScenario) {
  auto describe_all = [](const std::vector<Step>& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan) out.push_back(ss::lab::describe(s));
    return out;
  };
  EXPECT_EQ(describe_all(reference_plan()), describe_all(reference_plan()));
}

TEST(Plan, DescribesStepsAsCommands) {
  using ss::lab::describe;
  EXPECT_EQ(describe(CreateNetns{"ss-1-client"}), "ip netns add ss-1-client");
  EXPECT_EQ(describe(AddVeth{"ss-1-client", "en0", "ss-1-home", "lan0"}),
            "ip -n ss-1-client link add en0 type veth peer lan0 netns ss-1-home");
  EXPECT_EQ(describe(AddAddress{"ss-1-client", "en0", "192.168.1.100/24"}),
            "ip -n ss-1-client addr add 192.168.1.100/24 dev en0");
  EXPECT_EQ(describe(LinkUp{"ss-1-home", "lan0"}), "ip -n ss-1-home link set lan0 up");
  EXPECT_EQ(describe(AddRoute{"ss-1-client", "0.0.0.0/0", "192.168.1.1", "en0"}),
            "ip -n ss-1-client route add 0.0.0.0/0 via 192.168.1.1 dev en0");
  EXPECT_EQ(describe(Sysctl{"ss-1-home", "net/ipv4/ip_forward", "1"}),
            "ip netns exec ss-1-home sysctl -w net/ipv4/ip_forward=1");
  EXPECT_EQ(describe(Nft{"ss-1-home", "table ip t {}"}), "ip netns exec ss-1-home nft -f -");
  EXPECT_EQ(describe(WriteFile{"/etc/netns/ss-1-client/resolv.conf", "x"}),
            "write /etc/netns/ss-1-client/resolv.conf");
  EXPECT_EQ(ss::lab::step_namespace(WriteFile{"/etc/netns/ss-1-client/resolv.conf", "x"}), "");
  EXPECT_EQ(ss::lab::step_namespace(LinkUp{"ss-1-home", "lan0"}), "ss-1-home");
}

TEST(NatRuleset, MasqueradesWhatLeavesTheInterface) {
  EXPECT_EQ(ss::lab::nat_ruleset("wan0"),
            "table ip splitsecond_nat {\n"
            "  chain postrouting {\n"
            "    type nat hook postrouting priority srcnat; policy accept;\n"
            "    oifname \"wan0\" masquerade\n"
            "  }\n"
            "}\n");
}

TEST(NatRuleset, CanBeLimitedToASourcePrefix) {
  EXPECT_EQ(ss::lab::nat_ruleset("eth0", "10.8.0.0/24"),
            "table ip splitsecond_nat {\n"
            "  chain postrouting {\n"
            "    type nat hook postrouting priority srcnat; policy accept;\n"
            "    ip saddr 10.8.0.0/24 oifname \"eth0\" masquerade\n"
            "  }\n"
            "}\n");
}
