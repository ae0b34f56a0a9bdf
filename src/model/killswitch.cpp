#include "model/killswitch.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <stdexcept>

namespace ss {
namespace {

std::string addr_only(const IpPrefix& p) {
  const std::string s = p.str();
  return s.substr(0, s.find('/'));
}

const char* nfproto(const IpPrefix& p) {
  return p.family == AF_INET ? "ip" : "ip6";
}

// The private and link-local ranges a LAN uses; multicast for discovery on the link.
const char* kLan4 = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, 224.0.0.0/24";
const char* kLan6 = "fe80::/10, fc00::/7, ff02::/16";

class Rules {
 public:
  void add(const std::string& line) { text_ += "    " + line + "\n"; }
  void comment(const std::string& c) { text_ += "    # " + c + "\n"; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

bool tunnel_up(TunnelState s) {
  return s == TunnelState::connected;
}

bool endpoints_open(TunnelState s) {
  return s == TunnelState::connecting || s == TunnelState::connected;
}

}  // namespace

const char* tunnel_state_name(TunnelState s) {
  switch (s) {
    case TunnelState::connecting:
      return "connecting";
    case TunnelState::connected:
      return "connected";
    case TunnelState::disconnecting:
      return "disconnecting";
    case TunnelState::blocked:
      return "blocked";
  }
  return "?";
}

std::optional<TunnelState> tunnel_state_from(const std::string& name) {
  for (auto s : {TunnelState::connecting, TunnelState::connected, TunnelState::disconnecting,
                 TunnelState::blocked})
    if (name == tunnel_state_name(s)) return s;
  return std::nullopt;
}

std::optional<VpnEndpoint> parse_endpoint(const std::string& text) {
  VpnEndpoint e;
  std::string rest = text;
  if (auto slash = rest.rfind('/'); slash != std::string::npos) {
    e.proto = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (e.proto != "udp" && e.proto != "tcp") return std::nullopt;
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon + 1 >= rest.size()) return std::nullopt;
  std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    return std::nullopt;  // an IPv6 endpoint needs its brackets
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const int p = std::stoi(port);
  if (p < 1 || p > 65535) return std::nullopt;
  auto a = IpPrefix::parse(host);
  if (!a || host.find('/') != std::string::npos) return std::nullopt;
  e.address = *a;
  e.port = static_cast<uint16_t>(p);
  return e;
}

std::string killswitch_ruleset(const KillSwitchSpec& spec) {
  if (endpoints_open(spec.state) && spec.endpoints.empty())
    throw std::invalid_argument(fmt::format("the '{}' state needs at least one VPN endpoint",
                                            tunnel_state_name(spec.state)));
  if (tunnel_up(spec.state) && spec.tunnel_if.empty())
    throw std::invalid_argument("the 'connected' state needs the tunnel interface's name");
  const std::string tun = spec.tunnel_if;
  // Every refusal counts its packets: `killswitch status` shows what it stopped.
  const std::string refuse =
      spec.reject ? "counter reject with icmpx admin-prohibited" : "counter drop";
  const std::string refuse_tcp = spec.reject ? "counter reject with tcp reset" : "counter drop";

  Rules out, in;
  out.comment("always: loopback, DHCP, IPv6 router and neighbour discovery");
  out.add("oifname \"lo\" accept");
  out.add("udp sport 68 udp dport 67 accept");
  out.add("udp sport 546 udp dport 547 accept");
  out.add("icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept");
  in.comment("always: loopback, DHCP, IPv6 router and neighbour discovery");
  in.add("iifname \"lo\" accept");
  if (!spec.tunnel_addrs.empty()) {
    in.comment("the tunnel's addresses are reachable only through the tunnel");
    for (const auto& a : spec.tunnel_addrs)
      in.add(fmt::format("iifname != \"{}\" {} daddr {} drop", tun.empty() ? "lo" : tun, nfproto(a),
                         addr_only(a)));
  }
  in.add("udp sport 67 udp dport 68 accept");
  in.add("udp sport 547 udp dport 546 accept");
  in.add("icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept");

  if (endpoints_open(spec.state)) {
    out.comment("the VPN endpoints, over the physical link");
    in.comment("the VPN endpoints, over the physical link");
    for (const auto& e : spec.endpoints) {
      if (e.address.family == AF_INET6 && !spec.ipv6) continue;
      out.add(fmt::format("{} daddr {} {} dport {} accept", nfproto(e.address),
                          addr_only(e.address), e.proto, e.port));
      in.add(fmt::format("{} saddr {} {} sport {} accept", nfproto(e.address), addr_only(e.address),
                         e.proto, e.port));
    }
  }
  if (tunnel_up(spec.state)) {
    out.comment("DNS only to the tunnel's resolvers, through the tunnel");
    for (const auto& d : spec.tunnel_dns) {
      out.add(fmt::format("oifname \"{}\" {} daddr {} udp dport 53 accept", tun, nfproto(d),
                          addr_only(d)));
      out.add(fmt::format("oifname \"{}\" {} daddr {} tcp dport 53 accept", tun, nfproto(d),
                          addr_only(d)));
    }
  }
  out.comment("any other DNS is refused");
  out.add("udp dport 53 " + refuse);
  out.add("tcp dport 53 " + refuse_tcp);
  if (tunnel_up(spec.state)) {
    out.comment("everything else through the tunnel");
    in.comment("everything through the tunnel");
    if (spec.ipv6) {
      out.add(fmt::format("oifname \"{}\" accept", tun));
      in.add(fmt::format("iifname \"{}\" accept", tun));
    } else {
      out.add(fmt::format("oifname \"{}\" meta nfproto ipv4 accept", tun));
      in.add(fmt::format("iifname \"{}\" meta nfproto ipv4 accept", tun));
    }
  }
  if (spec.allow_lan) {
    out.comment("the local network (its resolver stays refused above)");
    in.comment("the local network");
    out.add(fmt::format("ip daddr {{ {} }} accept", kLan4));
    in.add(fmt::format("ip saddr {{ {} }} accept", kLan4));
    if (spec.ipv6) {
      out.add(fmt::format("ip6 daddr {{ {} }} accept", kLan6));
      in.add(fmt::format("ip6 saddr {{ {} }} accept", kLan6));
    }
  }
  out.comment("nothing else leaves");
  out.add("meta l4proto tcp " + refuse_tcp);
  out.add(refuse);
  in.comment("nothing else comes in");
  in.add("counter drop");

  return fmt::format(
      "table inet {0} {{}}\n"
      "delete table inet {0}\n"
      "table inet {0} {{\n"
      "  comment \"splitsecond kill switch: {1}\"\n"
      "  chain output {{\n"
      "    type filter hook output priority filter; policy drop;\n"
      "{2}"
      "  }}\n"
      "  chain input {{\n"
      "    type filter hook input priority filter; policy drop;\n"
      "{3}"
      "  }}\n"
      "}}\n",
      spec.table, tunnel_state_name(spec.state), out.text(), in.text());
}

std::string killswitch_off(const std::string& table) {
  return fmt::format("table inet {0} {{}}\ndelete table inet {0}\n", table);
}

}  // namespace ss
