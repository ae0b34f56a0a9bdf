#include "model/address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace ss {

std::optional<IpPrefix> IpPrefix::parse(const std::string& text) {
  const auto slash = text.find('/');
  const std::string ip = text.substr(0, slash);
  IpPrefix p;
  if (::inet_pton(AF_INET, ip.c_str(), p.addr.data()) == 1) {
    p.family = AF_INET;
    p.len = 32;
  } else if (::inet_pton(AF_INET6, ip.c_str(), p.addr.data()) == 1) {
    p.family = AF_INET6;
    p.len = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string::npos) {
    const std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    const int n = std::stoi(len);
    if (n > p.len) return std::nullopt;
    p.len = n;
  }
  return p;
}

IpPrefix IpPrefix::network() const {
  IpPrefix n = *this;
  const int bytes = family == AF_INET ? 4 : 16;
  for (int i = 0; i < bytes; ++i) {
    const int keep = std::clamp(len - i * 8, 0, 8);
    n.addr[static_cast<size_t>(i)] &= static_cast<uint8_t>(keep ? 0xff << (8 - keep) : 0);
  }
  return n;
}

bool IpPrefix::contains(const IpPrefix& other) const {
  if (family != other.family) return false;
  IpPrefix o = other;
  o.len = len;
  return o.network().addr == network().addr;
}

bool IpPrefix::overlaps(const IpPrefix& other) const {
  if (family != other.family) return false;
  return len <= other.len ? contains(other) : other.contains(*this);
}

bool IpPrefix::same_address(const IpPrefix& other) const {
  return family == other.family && addr == other.addr;
}

std::string IpPrefix::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, addr.data(), buf, sizeof buf);
  return fmt::format("{}/{}", buf, len);
}

namespace {

struct Keyed {
  std::string key;
  IpPrefix p;
};

}  // namespace

std::optional<AddressConflict> find_address_conflict(const Scenario& s) {
  const Topology& t = s.topology;
  const VpnSpec& v = s.vpn;
  std::vector<Keyed> all;
  auto add = [&](const char* key, const std::string& text) -> const IpPrefix* {
    auto p = IpPrefix::parse(text);
    if (!p) return nullptr;  // the reader has already rejected what does not parse
    all.push_back({key, *p});
    return &all.back().p;
  };
  all.reserve(20);
  add("topology.client_ip4", t.client_ip4);
  add("topology.client_ip6", t.client_ip6);
  add("topology.home_lan_ip4", t.home_lan_ip4);
  add("topology.home_lan_ip6", t.home_lan_ip6);
  add("topology.home_wan_ip4", t.home_wan_ip4);
  add("topology.home_wan_ip6", t.home_wan_ip6);
  add("topology.inet_home_ip4", t.inet_home_ip4);
  add("topology.inet_home_ip6", t.inet_home_ip6);
  add("topology.inet_vpn_ip4", t.inet_vpn_ip4);
  add("topology.inet_vpn_ip6", t.inet_vpn_ip6);
  add("topology.inet_server_ip4", t.inet_server_ip4);
  add("topology.inet_server_ip6", t.inet_server_ip6);
  add("topology.vpn_ip4", t.vpn_ip4);
  add("topology.vpn_ip6", t.vpn_ip6);
  add("topology.server_ip4", t.server_ip4);
  add("topology.server_ip6", t.server_ip6);
  add("vpn.client_tunnel_ip", v.client_tunnel_ip);
  add("vpn.server_tunnel_ip", v.server_tunnel_ip);
  auto find = [&](const std::string& key) -> const IpPrefix* {
    for (const auto& k : all)
      if (k.key == key) return &k.p;
    return nullptr;
  };

  // 1. No address is used twice.
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j)
      if (all[i].p.same_address(all[j].p))
        return AddressConflict{all[i].key, all[j].key,
                               fmt::format("both are {}: every interface of the lab needs an "
                                           "address of its own",
                                           all[i].p.str().substr(0, all[i].p.str().find('/')))};

  // 2. Each link's two ends share a network (a gateway must be on the link).
  const std::pair<const char*, const char*> links[] = {
      {"topology.client_ip4", "topology.home_lan_ip4"},
      {"topology.client_ip6", "topology.home_lan_ip6"},
      {"topology.home_wan_ip4", "topology.inet_home_ip4"},
      {"topology.home_wan_ip6", "topology.inet_home_ip6"},
      {"topology.vpn_ip4", "topology.inet_vpn_ip4"},
      {"topology.vpn_ip6", "topology.inet_vpn_ip6"},
      {"topology.server_ip4", "topology.inet_server_ip4"},
      {"topology.server_ip6", "topology.inet_server_ip6"},
      {"vpn.client_tunnel_ip", "vpn.server_tunnel_ip"},
  };
  for (auto [a, b] : links) {
    const IpPrefix *pa = find(a), *pb = find(b);
    if (!pa || !pb) continue;
    if (pa->family != pb->family || pa->network().addr != pb->network().addr || pa->len != pb->len)
      return AddressConflict{
          a, b,
          fmt::format("the two ends of one link must be in the same network ({} and {})", pa->str(),
                      pb->str())};
  }

  // 3. The links' networks are distinct: an address in two of them could not be routed.
  const std::pair<const char*, const char*> nets[] = {
      {"topology.home_lan_ip4", "home LAN"},      {"topology.home_lan_ip6", "home LAN"},
      {"topology.home_wan_ip4", "home uplink"},   {"topology.home_wan_ip6", "home uplink"},
      {"topology.vpn_ip4", "VPN server link"},    {"topology.vpn_ip6", "VPN server link"},
      {"topology.server_ip4", "app server link"}, {"topology.server_ip6", "app server link"},
      {"vpn.client_tunnel_ip", "tunnel"},
  };
  for (size_t i = 0; i < std::size(nets); ++i)
    for (size_t j = i + 1; j < std::size(nets); ++j) {
      const IpPrefix *pa = find(nets[i].first), *pb = find(nets[j].first);
      if (!pa || !pb || !pa->overlaps(*pb)) continue;
      return AddressConflict{
          nets[i].first, nets[j].first,
          fmt::format("the {} ({}) and the {} ({}) overlap: each link needs a network of its own",
                      nets[i].second, pa->network().str(), nets[j].second, pb->network().str())};
    }

  // 4. The VPN's resolver must be an address the VPN server has (its tunnel or public side).
  if (auto dns = IpPrefix::parse(v.dns)) {
    const IpPrefix *tun = find("vpn.server_tunnel_ip"), *pub = find("topology.vpn_ip4");
    const bool served = (tun && tun->same_address(*dns)) || (pub && pub->same_address(*dns));
    if (!served)
      return AddressConflict{
          "vpn.dns", "vpn.server_tunnel_ip",
          fmt::format("the VPN's resolver {} is not an address of the VPN server (its tunnel "
                      "address is {})",
                      v.dns, tun ? tun->str() : "?")};
  }
  return std::nullopt;
}

}  // namespace ss
