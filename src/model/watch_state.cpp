#include "model/watch_state.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ss {
namespace {

constexpr int kArphrdEther = 1;  // ARPHRD_ETHER

std::string text(const nlohmann::json& d, const char* key) {
  if (!d.contains(key) || d[key].is_null()) {
    return "";
  }
  return d[key].is_string() ? d[key].get<std::string>() : d[key].dump();
}

std::optional<long long> number(const nlohmann::json& d, const char* key) {
  if (!d.contains(key) || !d[key].is_number()) {
    return std::nullopt;
  }
  return d[key].get<long long>();
}

std::string strip_len(const std::string& prefix) {
  return prefix.substr(0, prefix.find('/'));
}

bool is_host_route(const WatchRoute& r) {
  return (r.family == "inet" && r.dst.ends_with("/32")) ||
         (r.family == "inet6" && r.dst.ends_with("/128"));
}

WatchRoute route_of(const nlohmann::json& d) {
  return {text(d, "dst"),     text(d, "dev"),  text(d, "table"),
          text(d, "gateway"), text(d, "type"), text(d, "family")};
}

}  // namespace

bool WatchState::knows_route(const Event& e) const {
  return e.layer == Layer::route && (e.kind == "added" || e.kind == "removed") &&
         routes_.count(route_of(e.detail)) > 0;
}

bool is_tunnel_link(const WatchLink& l) {
  static const std::set<std::string> kinds = {"tun",  "wireguard", "ipip",   "gre",
                                              "sit",  "vti",       "vti6",   "ip6tnl",
                                              "xfrm", "ip6gre",    "gretap", "ipsec"};
  return l.pointopoint || kinds.count(l.kind) > 0;
}

bool is_physical_link(const WatchLink& l) {
  return !is_tunnel_link(l) && l.type == kArphrdEther;  // loopback is ARPHRD_LOOPBACK
}

Event unannounced_route_event(const WatchRoute& r, const std::string& kind) {
  Event e;
  e.layer = Layer::route;
  e.kind = kind;
  const bool numeric =
      !r.table.empty() && r.table.find_first_not_of("0123456789") == std::string::npos;
  e.detail = {{"dst", r.dst},
              {"dev", r.dev},
              {"table", numeric ? nlohmann::json(std::stoll(r.table)) : nlohmann::json(r.table)},
              {"gateway", r.gateway.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.gateway)},
              {"type", r.type},
              {"family", r.family},
              {"notified", false}};
  return e;
}

void WatchState::clear() {
  links_.clear();
  addresses_.clear();
  routes_.clear();
  rules_.clear();
}

void WatchState::apply(const Event& e) {
  const auto& d = e.detail;
  if (e.layer == Layer::link) {
    const std::string name = text(d, "ifname");
    if (name.empty() || e.kind == "trigger") {
      return;
    }
    if (e.kind == "removed") {
      links_.erase(name);
      addresses_.erase(name);
      return;
    }
    WatchLink& l = links_[name];
    l.name = name;
    if (d.contains("link_kind")) {
      l.kind = text(d, "link_kind");
    }
    if (d.contains("link_type")) {
      l.type = d["link_type"].get<int>();
    }
    if (d.contains("pointopoint")) {
      l.pointopoint = d["pointopoint"].get<bool>();
    }
    l.up = d.value("up", false);
    l.lower_up = d.value("lower_up", false);
    return;
  }
  if (e.layer == Layer::addr) {
    const std::string dev = text(d, "dev"), ip = strip_len(text(d, "address"));
    if (e.kind == "added") {
      addresses_[dev].insert(ip);
    }
    if (e.kind == "removed") {
      addresses_[dev].erase(ip);
    }
    return;
  }
  if (e.layer != Layer::route) {
    return;
  }
  if (e.kind == "added" || e.kind == "removed") {
    const WatchRoute r = route_of(d);
    if (e.kind == "added") {
      routes_.insert(r);
    } else {
      routes_.erase(r);
    }
  } else if (e.kind == "rule-added" || e.kind == "rule-removed") {
    WatchRule r{text(d, "family"),     text(d, "table"),
                number(d, "fwmark"),   number(d, "suppress_prefixlength"),
                number(d, "priority"), d.value("invert", false)};
    if (e.kind == "rule-added") {
      rules_.insert(r);
    } else {
      rules_.erase(r);
    }
  }
}

const std::set<std::string>& WatchState::addresses(const std::string& dev) const {
  static const std::set<std::string> none;
  auto it = addresses_.find(dev);
  return it == addresses_.end() ? none : it->second;
}

bool WatchState::tunnel_up(const std::string& dev) const {
  auto it = links_.find(dev);
  return it != links_.end() && is_tunnel_link(it->second) && it->second.up && it->second.lower_up;
}

std::optional<FullTunnel> WatchState::split_or_default(const std::string& family) const {
  const bool v4 = family == "inet";
  const std::string lo = v4 ? "0.0.0.0/1" : "::/1", hi = v4 ? "128.0.0.0/1" : "8000::/1";
  const std::string all = v4 ? "0.0.0.0/0" : "::/0";
  std::map<std::string, int> halves;  // dev -> which halves point into it (bit 1, bit 2)
  for (const auto& r : routes_) {
    if (r.family != family || r.table != "main" || r.type != "unicast" || !tunnel_up(r.dev)) {
      continue;
    }
    if (r.dst == lo) {
      halves[r.dev] |= 1;
    }
    if (r.dst == hi) {
      halves[r.dev] |= 2;
    }
    if (r.dst == all) {
      return FullTunnel{family, r.dev, "default-route", all};
    }
  }
  for (const auto& [dev, bits] : halves) {
    if (bits == 3) {
      return FullTunnel{family, dev, "split-routes", fmt::format("{} + {}", lo, hi)};
    }
  }
  return std::nullopt;
}

// wg-quick: `not fwmark M table T` sends everything unmarked to table T, whose default route
// is the tunnel; `table main suppress_prefixlength 0` lets more specific main routes win.
std::optional<FullTunnel> WatchState::fwmark(const std::string& family) const {
  const std::string all = family == "inet" ? "0.0.0.0/0" : "::/0";
  for (const auto& rule : rules_) {
    if (rule.family != family || !rule.fwmark || !rule.invert || rule.table == "main") {
      continue;
    }
    for (const auto& r : routes_) {
      if (r.family != family || r.table != rule.table || r.dst != all || !tunnel_up(r.dev)) {
        continue;
      }
      const bool suppress = std::any_of(rules_.begin(), rules_.end(), [&](const WatchRule& s) {
        return s.family == family && s.table == "main" && s.suppress_prefixlength == 0;
      });
      return FullTunnel{family, r.dev, "fwmark-rules",
                        fmt::format("not fwmark {} -> table {}{}", *rule.fwmark, rule.table,
                                    suppress ? ", main suppress_prefixlength 0" : "")};
    }
  }
  return std::nullopt;
}

TunnelStatus WatchState::status() const {
  TunnelStatus s;
  for (const auto& [name, l] : links_) {
    if (tunnel_up(name)) {
      s.tunnels.push_back(name);
    }
  }
  for (const char* family : {"inet", "inet6"}) {
    auto f = split_or_default(family);
    if (!f) {
      f = fwmark(family);
    }
    if (f) {
      s.full.push_back(*f);
    }
  }
  if (!s.protected_now()) {
    return s;
  }
  for (const auto& r : routes_) {
    auto it = links_.find(r.dev);
    if (is_host_route(r) && r.table == "main" && r.type == "unicast" && it != links_.end() &&
        !is_tunnel_link(it->second)) {
      s.excepted_hosts.insert(strip_len(r.dst));
    }
  }
  return s;
}

}  // namespace ss
