#include "lab/plan.hpp"

#include <fmt/format.h>

namespace ss::lab {

Names::Names(std::string run_prefix)
    : prefix(std::move(run_prefix)),
      client(prefix + "-client"),
      home(prefix + "-home"),
      internet(prefix + "-inet"),
      vpn(prefix + "-vpn"),
      server(prefix + "-server") {}

namespace {

void link(std::vector<Step>& out, const std::string& a_ns, const std::string& a_if,
          const std::vector<std::string>& a_addrs, const std::string& b_ns, const std::string& b_if,
          const std::vector<std::string>& b_addrs) {
  out.push_back(AddVeth{a_ns, a_if, b_ns, b_if});
  for (const auto& a : a_addrs) out.push_back(AddAddress{a_ns, a_if, a});
  for (const auto& b : b_addrs) out.push_back(AddAddress{b_ns, b_if, b});
  out.push_back(LinkUp{a_ns, a_if});
  out.push_back(LinkUp{b_ns, b_if});
}

void router(std::vector<Step>& out, const std::string& ns) {
  out.push_back(Sysctl{ns, "net/ipv4/ip_forward", "1"});
  out.push_back(Sysctl{ns, "net/ipv6/conf/all/forwarding", "1"});
}

}  // namespace

std::vector<Step> plan_topology(const Scenario& s, const Names& n) {
  const Topology& t = s.topology;
  std::vector<Step> out;
  for (const auto& ns : n.all()) {
    out.push_back(CreateNetns{ns});
    out.push_back(LinkUp{ns, "lo"});
  }
  // client <-> home (the Wi-Fi), home <-> internet, internet <-> vpn, internet <-> server
  link(out, n.client, t.client_if, {t.client_ip4, t.client_ip6}, n.home, "lan0",
       {t.home_lan_ip4, t.home_lan_ip6});
  link(out, n.home, "wan0", {t.home_wan_ip4, t.home_wan_ip6}, n.internet, "to-home",
       {t.inet_home_ip4, t.inet_home_ip6});
  link(out, n.internet, "to-vpn", {t.inet_vpn_ip4, t.inet_vpn_ip6}, n.vpn, "eth0",
       {t.vpn_ip4, t.vpn_ip6});
  link(out, n.internet, "to-server", {t.inet_server_ip4, t.inet_server_ip6}, n.server, "eth0",
       {t.server_ip4, t.server_ip6});
  for (const auto& ns : {n.home, n.internet, n.vpn}) router(out, ns);

  out.push_back(AddRoute{n.client, "0.0.0.0/0", ip_of(t.home_lan_ip4), t.client_if});
  out.push_back(AddRoute{n.client, "::/0", ip_of(t.home_lan_ip6), t.client_if});
  out.push_back(AddRoute{n.home, "0.0.0.0/0", ip_of(t.inet_home_ip4), "wan0"});
  out.push_back(AddRoute{n.home, "::/0", ip_of(t.inet_home_ip6), "wan0"});
  out.push_back(AddRoute{n.internet, t.client_ip6, ip_of(t.home_wan_ip6), "to-home"});
  out.push_back(AddRoute{n.vpn, "0.0.0.0/0", ip_of(t.inet_vpn_ip4), "eth0"});
  out.push_back(AddRoute{n.vpn, "::/0", ip_of(t.inet_vpn_ip6), "eth0"});
  out.push_back(AddRoute{n.server, "0.0.0.0/0", ip_of(t.inet_server_ip4), "eth0"});
  out.push_back(AddRoute{n.server, "::/0", ip_of(t.inet_server_ip6), "eth0"});
  if (t.home_nat) out.push_back(Nft{n.home, nat_ruleset("wan0")});

  // The client's own resolver configuration, as `ip netns exec` shows it to its processes.
  out.push_back(
      WriteFile{"/etc/netns/" + n.client + "/resolv.conf",
                fmt::format("# splitsecond lab: the home router's resolver\nnameserver {}\n",
                            ip_of(t.home_lan_ip4))});
  return out;
}

std::string step_namespace(const Step& step) {
  return std::visit(
      [](const auto& s) -> std::string {
        if constexpr (requires { s.ns; })
          return s.ns;
        else
          return "";
      },
      step);
}

std::string describe(const Step& step) {
  struct V {
    std::string operator()(const CreateNetns& s) const { return "ip netns add " + s.ns; }
    std::string operator()(const AddVeth& s) const {
      return fmt::format("ip -n {} link add {} type veth peer {} netns {}", s.ns, s.name, s.peer,
                         s.peer_ns);
    }
    std::string operator()(const AddAddress& s) const {
      return fmt::format("ip -n {} addr add {} dev {}", s.ns, s.cidr, s.ifname);
    }
    std::string operator()(const LinkUp& s) const {
      return fmt::format("ip -n {} link set {} up", s.ns, s.ifname);
    }
    std::string operator()(const AddRoute& s) const {
      return fmt::format("ip -n {} route add {} via {} dev {}", s.ns, s.dst, s.gateway, s.dev);
    }
    std::string operator()(const Sysctl& s) const {
      return fmt::format("ip netns exec {} sysctl -w {}={}", s.ns, s.key, s.value);
    }
    std::string operator()(const Nft& s) const {
      return fmt::format("ip netns exec {} nft -f -", s.ns);
    }
    std::string operator()(const WriteFile& s) const { return "write " + s.path; }
  };
  return std::visit(V{}, step);
}

std::string nat_ruleset(const std::string& out_if, const std::string& from_cidr) {
  std::string match = from_cidr.empty() ? "" : fmt::format("ip saddr {} ", from_cidr);
  return fmt::format(
      "table ip splitsecond_nat {{\n"
      "  chain postrouting {{\n"
      "    type nat hook postrouting priority srcnat; policy accept;\n"
      "    {}oifname \"{}\" masquerade\n"
      "  }}\n"
      "}}\n",
      match, out_if);
}

}  // namespace ss::lab
