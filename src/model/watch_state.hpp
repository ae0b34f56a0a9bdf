#pragma once
// What `splitsecond watch` knows of a namespace's network, rebuilt from rtnetlink events (a
// snapshot at the start and after an overrun, then the stream), and the tunnel it finds in it:
// tunnel interfaces by kind or point-to-point flag, full-tunnel routing by split routes
// (0/1 + 128/1, ::/1 + 8000::/1), a default route, or fwmark policy rules as wg-quick installs
// them. Pure: events in, a status out.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/record.hpp"

namespace ss {

struct WatchLink {
  std::string name;
  std::string kind;  // IFLA_INFO_KIND: "tun", "wireguard", "veth", "" ...
  int type = 0;      // ARPHRD_*
  bool pointopoint = false;
  bool up = false, lower_up = false;
};

struct WatchRoute {
  std::string dst, dev, table, gateway, type, family;
  auto operator<=>(const WatchRoute&) const = default;
};

struct WatchRule {
  std::string family, table;
  std::optional<long long> fwmark, suppress_prefixlength, priority;
  bool invert = false;
  auto operator<=>(const WatchRule&) const = default;
};

// A link is a tunnel by its kind (tun, wireguard, ipip, gre, xfrm, ...) or its point-to-point
// flag; the physical side is every other Ethernet-type link but loopback.
bool is_tunnel_link(const WatchLink& l);
bool is_physical_link(const WatchLink& l);

// Full-tunnel routing found for one address family.
struct FullTunnel {
  std::string family;  // "inet" or "inet6"
  std::string dev;     // the tunnel interface the routing sends everything to
  std::string method;  // "split-routes", "default-route" or "fwmark-rules"
  std::string detail;  // e.g. "0.0.0.0/1 + 128.0.0.0/1" or "not fwmark 51820 -> table 51820"
};

struct TunnelStatus {
  std::vector<std::string> tunnels;  // tunnel interfaces up (admin and carrier), by name
  std::vector<FullTunnel> full;      // per family, when routing sends everything into one
  // Hosts routed around the tunnel on a non-tunnel link while it is up (/32, /128): the VPN's
  // endpoint as split-route clients install it.
  std::set<std::string> excepted_hosts;
  bool protected_now() const { return !full.empty(); }
  bool operator==(const TunnelStatus&) const = default;
};

// A route as an rtnetlink event of `kind` would carry it, marked "notified": false: what a
// dump found that no notification announced (after an overrun).
Event unannounced_route_event(const WatchRoute& r, const std::string& kind);

class WatchState {
 public:
  // Applies one event of the recorder (link, addr, route with kinds added/removed/up/down,
  // rule-added/rule-removed); others are ignored.
  void apply(const Event& e);
  // A route event whose route is already known (after a resync, a late notice of a route the
  // dump already found).
  bool knows_route(const Event& e) const;
  // Forgets everything (before a fresh snapshot is applied).
  void clear();
  TunnelStatus status() const;
  const std::map<std::string, WatchLink>& links() const { return links_; }
  // The addresses (without prefix length) on `dev` now.
  const std::set<std::string>& addresses(const std::string& dev) const;
  size_t route_count() const { return routes_.size(); }
  const std::set<WatchRoute>& routes() const { return routes_; }

 private:
  std::optional<FullTunnel> split_or_default(const std::string& family) const;
  std::optional<FullTunnel> fwmark(const std::string& family) const;
  bool tunnel_up(const std::string& dev) const;
  std::map<std::string, WatchLink> links_;                  // by name
  std::map<std::string, std::set<std::string>> addresses_;  // dev -> "ip" (no /len)
  std::set<WatchRoute> routes_;
  std::set<WatchRule> rules_;
};

}  // namespace ss
