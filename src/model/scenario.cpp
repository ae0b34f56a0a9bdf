#include "model/scenario.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "model/address.hpp"
#include "model/errors.hpp"
#include "model/killswitch_run.hpp"
#include "model/vpn_variants.hpp"

namespace ss {
namespace {

// Reads one TOML table, remembering which keys were used, so that unknown keys are errors.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string path, const std::string& origin)
      : t_(t), path_(std::move(path)), origin_(origin) {}

  [[noreturn]] void fail(const toml::node* n, const std::string& key,
                         const std::string& msg) const {
    auto line = n ? n->source().begin.line : t_.source().begin.line;
    throw UsageError(fmt::format("{}:{}: {}: {}", origin_, line, field(key), msg));
  }
  std::string field(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  const toml::node* get(const std::string& key) {
    used_.insert(key);
    return t_.get(key);
  }
  void string(const std::string& key, std::string& out) {
    if (auto* n = get(key)) {
      if (!n->is_string()) fail(n, key, "expected a string");
      out = **n->as_string();
    }
  }
  void boolean(const std::string& key, bool& out) {
    if (auto* n = get(key)) {
      if (!n->is_boolean()) fail(n, key, "expected true or false");
      out = **n->as_boolean();
    }
  }
  void integer(const std::string& key, int& out, int lo, int hi) {
    if (auto* n = get(key)) {
      if (!n->is_integer()) fail(n, key, "expected an integer");
      int64_t v = **n->as_integer();
      if (v < lo || v > hi) fail(n, key, fmt::format("{} is out of range [{}, {}]", v, lo, hi));
      out = static_cast<int>(v);
    }
  }
  void duration(const std::string& key, Micros& out, Micros lo, Micros hi) {
    if (auto* n = get(key)) {
      if (!n->is_string()) fail(n, key, "expected a duration string such as \"200ms\" or \"3s\"");
      auto d = parse_duration(**n->as_string());
      if (!d)
        fail(
            n, key,
            fmt::format("'{}' is not a duration (write e.g. \"200ms\", \"3s\")", **n->as_string()));
      if (*d < lo || *d > hi)
        fail(n, key,
             fmt::format("{} is out of range [{}, {}]", **n->as_string(), format_duration(lo),
                         format_duration(hi)));
      out = *d;
    }
  }
  const toml::table* table(const std::string& key) {
    auto* n = get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(n, key, "expected a table");
    return n->as_table();
  }
  void reject_unknown() const {
    for (const auto& [k, v] : t_) {
      std::string key(k.str());
      if (!used_.count(key))
        fail(&v, key, "unknown key (check the spelling; see docs/scenarios.md)");
    }
  }

 private:
  const toml::table& t_;
  std::string path_;
  const std::string& origin_;
  std::set<std::string> used_;
};

bool in_v4(const unsigned char* a, const char* net, int len) {
  in_addr n{};
  ::inet_pton(AF_INET, net, &n);
  uint32_t addr = (uint32_t(a[0]) << 24) | (uint32_t(a[1]) << 16) | (uint32_t(a[2]) << 8) | a[3];
  uint32_t mask = len == 0 ? 0 : ~uint32_t(0) << (32 - len);
  return (addr & mask) == (ntohl(n.s_addr) & mask);
}

// The lab may only use private and documentation addresses: nothing routable on the Internet.
std::string check_lab_address(const std::string& text, bool with_prefix) {
  auto slash = text.find('/');
  if (!with_prefix && slash != std::string::npos) return "expected an address without /prefix";
  if (with_prefix && slash == std::string::npos)
    return "expected address/prefix, e.g. 192.168.1.100/24";
  std::string ip = text.substr(0, slash);
  unsigned char a[16];
  if (::inet_pton(AF_INET, ip.c_str(), a) == 1) {
    if (with_prefix) {
      std::string len = text.substr(slash + 1);
      if (len.empty() || len.size() > 2 ||
          len.find_first_not_of("0123456789") != std::string::npos || std::stoi(len) > 32)
        return "bad prefix length";
    }
    static const std::pair<const char*, int> allowed[] = {
        {"10.0.0.0", 8},   {"172.16.0.0", 12},   {"192.168.0.0", 16},
        {"192.0.2.0", 24}, {"198.51.100.0", 24}, {"203.0.113.0", 24}};
    for (auto& [net, len] : allowed)
      if (in_v4(a, net, len)) return {};
    return "not a private or documentation address (the lab only uses 10/8, 172.16/12, "
           "192.168/16, 192.0.2/24, 198.51.100/24, 203.0.113/24)";
  }
  if (::inet_pton(AF_INET6, ip.c_str(), a) == 1) {
    if (with_prefix) {
      std::string len = text.substr(slash + 1);
      if (len.empty() || len.size() > 3 ||
          len.find_first_not_of("0123456789") != std::string::npos || std::stoi(len) > 128)
        return "bad prefix length";
    }
    bool doc = a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8;
    bool ula = (a[0] & 0xfe) == 0xfc;
    return doc || ula ? std::string{}
                      : "not a documentation (2001:db8::/32) or ULA (fc00::/7) address";
  }
  return "not an IP address";
}

void lab_address(TableReader& r, const std::string& key, std::string& out,
                 bool with_prefix = true) {
  r.string(key, out);
  if (auto err = check_lab_address(out, with_prefix); !err.empty())
    r.fail(r.get(key), key, fmt::format("'{}': {}", out, err));
}

void interface_name(TableReader& r, const std::string& key, std::string& out) {
  r.string(key, out);
  bool ok =
      !out.empty() && out.size() < 16 &&
      out.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
          std::string::npos;
  if (!ok)
    r.fail(r.get(key), key,
           fmt::format("'{}' is not a valid interface name (1-15 of [A-Za-z0-9-_.])", out));
}

void read_topology(TableReader& r, Topology& t) {
  interface_name(r, "client_if", t.client_if);
  for (auto [key, field] : std::initializer_list<std::pair<const char*, std::string*>>{
           {"client_ip4", &t.client_ip4},
           {"client_ip6", &t.client_ip6},
           {"home_lan_ip4", &t.home_lan_ip4},
           {"home_lan_ip6", &t.home_lan_ip6},
           {"home_wan_ip4", &t.home_wan_ip4},
           {"home_wan_ip6", &t.home_wan_ip6},
           {"inet_home_ip4", &t.inet_home_ip4},
           {"inet_home_ip6", &t.inet_home_ip6},
           {"inet_vpn_ip4", &t.inet_vpn_ip4},
           {"inet_vpn_ip6", &t.inet_vpn_ip6},
           {"inet_server_ip4", &t.inet_server_ip4},
           {"inet_server_ip6", &t.inet_server_ip6},
           {"vpn_ip4", &t.vpn_ip4},
           {"vpn_ip6", &t.vpn_ip6},
           {"server_ip4", &t.server_ip4},
           {"server_ip6", &t.server_ip6}}) {
    lab_address(r, key, *field);
  }
  r.boolean("home_nat", t.home_nat);
  r.reject_unknown();
}

void read_vpn(TableReader& r, VpnSpec& v) {
  r.string("kind", v.kind);
  if (v.kind == "openvpn") {
    // The openvpn program is its own client; OpenVPN's own port unless the file says otherwise.
    v.client = "openvpn";
    v.implementation = "openvpn";
    v.port = 1194;
  }
  r.string("client", v.client);
  std::string kinds, clients;
  for (const auto& k : known_vpn_variants()) {
    if (kinds.find(k.kind) == std::string::npos) kinds += (kinds.empty() ? "" : ", ") + k.kind;
    if (k.kind == v.kind) clients += (clients.empty() ? "" : ", ") + k.client;
  }
  if (clients.empty())
    r.fail(r.get("kind"), "kind",
           fmt::format("'{}' is not supported (supported: {})", v.kind, kinds));
  if (std::none_of(
          known_vpn_variants().begin(), known_vpn_variants().end(),
          [&](const VpnVariantName& k) { return k.kind == v.kind && k.client == v.client; }))
    r.fail(r.get("client"), "client",
           fmt::format("'{}' is not a client of vpn.kind '{}' (clients: {})", v.client, v.kind,
                       clients));
  interface_name(r, "client_if", v.client_if);
  interface_name(r, "server_if", v.server_if);
  lab_address(r, "client_tunnel_ip", v.client_tunnel_ip);
  lab_address(r, "server_tunnel_ip", v.server_tunnel_ip);
  lab_address(r, "dns", v.dns, false);
  r.integer("port", v.port, 1, 65535);
  r.boolean("nat", v.server_nat);
  r.integer("ping", v.ping_s, 1, 60);
  r.integer("ping_restart", v.ping_restart_s, 1, 600);
  r.boolean("persist_tun", v.persist_tun);
  if (r.get("dead_after")) {
    r.duration("dead_after", v.dead_after, Micros(0), Micros(600'000'000));
    if (v.dead_after.count() != 0 && v.dead_after < Micros(100'000))
      r.fail(r.get("dead_after"), "dead_after",
             fmt::format("{} is below 100ms (0 turns the supervisor off)",
                         format_duration(v.dead_after)));
  }
  if (r.get("reconnect_tunnel_ip")) {
    lab_address(r, "reconnect_tunnel_ip", v.reconnect_tunnel_ip);
    // Both are valid prefixes by now (lab_address checked them).
    const auto next = IpPrefix::parse(v.reconnect_tunnel_ip);
    const auto first = IpPrefix::parse(v.client_tunnel_ip);
    const auto server = IpPrefix::parse(v.server_tunnel_ip);
    if (next && first && (!first->contains(*next) || next->len != first->len))
      r.fail(r.get("reconnect_tunnel_ip"), "reconnect_tunnel_ip",
             fmt::format("'{}' is not in vpn.client_tunnel_ip's network '{}'",
                         v.reconnect_tunnel_ip, v.client_tunnel_ip));
    for (const auto& [other, key] :
         {std::pair{first, "client_tunnel_ip"}, std::pair{server, "server_tunnel_ip"}})
      if (next && other && next->same_address(*other))
        r.fail(r.get("reconnect_tunnel_ip"), "reconnect_tunnel_ip",
               fmt::format("'{}' is the same address as vpn.{}", v.reconnect_tunnel_ip, key));
  }
  if (v.ping_restart_s <= v.ping_s)
    r.fail(r.get("ping_restart"), "ping_restart",
           fmt::format("{} s is not longer than vpn.ping ({} s): the peer would be declared dead "
                       "between two pings",
                       v.ping_restart_s, v.ping_s));
  r.reject_unknown();
}

// The tunnel interfaces are created beside the namespaces' own (the client's physical one
// and lo; the VPN server's eth0 and lo): a name already taken would only show up as
// wireguard-go failing at start.
void check_tunnel_names(const TableReader& r, const toml::table& root, const Scenario& s) {
  auto node = [&](const char* path) { return root.at_path(path).node(); };
  auto check = [&](const char* key, const std::string& name, const std::string& taken,
                   const std::string& by) {
    if (name != taken) return;
    const toml::node* at = node(key) ? node(key) : node(by.c_str());
    r.fail(at, key,
           fmt::format("'{}' is already the name of {} in the same namespace: give the tunnel "
                       "interface another name",
                       name, by));
  };
  check("vpn.client_if", s.vpn.client_if, s.topology.client_if, "topology.client_if");
  check("vpn.client_if", s.vpn.client_if, "lo", "the loopback interface");
  check("vpn.server_if", s.vpn.server_if, "eth0", "the VPN server's physical interface");
  check("vpn.server_if", s.vpn.server_if, "lo", "the loopback interface");
}

// Addresses that each parse but cannot hold together (model/address.hpp): exit 2 naming both
// keys, with the line of each where the file sets it (else it is the built-in default).
void check_addresses(const toml::table& root, const std::string& origin, const Scenario& s) {
  auto c = find_address_conflict(s);
  if (!c) return;
  auto where = [&](const std::string& key) -> std::string {
    const toml::node* n = root.at_path(key).node();
    return n ? fmt::format("line {}", n->source().begin.line) : "the default";
  };
  const toml::node* first = root.at_path(c->key_a).node();
  if (!first) first = root.at_path(c->key_b).node();
  throw UsageError(fmt::format("{}:{}: {} ({}) and {} ({}) conflict: {}", origin,
                               first ? first->source().begin.line : root.source().begin.line,
                               c->key_a, where(c->key_a), c->key_b, where(c->key_b), c->why));
}

// killswitch = true | false | "ours" | "wg-quick-recipe" | "none"; the recipe only with wg-quick.
void read_killswitch(TableReader& r, Scenario& s) {
  const toml::node* n = r.get("killswitch");
  if (!n) return;
  if (n->is_boolean())
    s.killswitch = **n->as_boolean() ? "ours" : "none";
  else if (n->is_string() && killswitch_kind_from(**n->as_string()))
    s.killswitch = **n->as_string();
  else
    r.fail(n, "killswitch", "expected true, false, \"ours\", \"wg-quick-recipe\" or \"none\"");
  if (auto why = killswitch_client_problem(*killswitch_kind_from(s.killswitch), s.vpn.client);
      !why.empty())
    r.fail(n, "killswitch", why);
}

bool is_stream_probe(const std::string& name) {
  return name.rfind("tcp", 0) == 0 || name == "websocket" || name == "quic" || name == "mptcp" ||
         name == "ssh" || name == "mosh";
}

void read_probes(TableReader& r, const toml::table& t, const std::string& origin, Scenario& s) {
  std::string names;
  for (const auto& k : known_probes()) names += (names.empty() ? "" : ", ") + k.name;
  for (const auto& [key, node] : t) {
    std::string name(key.str());
    auto known = std::find_if(known_probes().begin(), known_probes().end(),
                              [&](const ProbeSpec& k) { return k.name == name; });
    if (known == known_probes().end()) r.fail(&node, name, "unknown probe (known: " + names + ")");
    const toml::table* pt = r.table(name);
    TableReader pr(*pt, r.field(name), origin);
    ProbeSpec p = *known;
    pr.duration("interval", p.interval, Micros(10'000), Micros(10'000'000));
    if (p.port) pr.integer("port", p.port, 1, 65535);
    if (name.rfind("tcp", 0) == 0)
      pr.duration("user_timeout", p.user_timeout, Micros(0), Micros(600'000'000));
    if (name == "quic") pr.boolean("server_migration", p.server_migration);
    if (name == "websocket") pr.boolean("reconnect", p.reconnect);
    if (name == "mptcp") pr.boolean("subflow_on_physical", p.subflow_on_physical);
    if (is_stream_probe(name)) pr.integer("silence_factor", p.silence.factor, 1, 1000);
    if (name == "tcp-idle" || name == "tcp-inflight")
      pr.duration("late_send_at", p.silence.late_send_at, Micros(10'000), Micros(60'000'000));
    pr.reject_unknown();
    s.probes.push_back(p);
  }
  r.reject_unknown();
}

constexpr ActionKind kActions[] = {ActionKind::disconnect, ActionKind::carrier_down,
                                   ActionKind::carrier_up, ActionKind::link_down,
                                   ActionKind::link_up,    ActionKind::address_change,
                                   ActionKind::dhcp,       ActionKind::vpn_restart};

std::optional<ActionKind> action_kind(const std::string& name) {
  for (auto k : kActions)
    if (name == action_name(k)) return k;
  return std::nullopt;
}

std::optional<DisconnectMode> disconnect_mode(const std::string& name) {
  for (auto m : {DisconnectMode::clean, DisconnectMode::crash, DisconnectMode::keep_interface})
    if (name == disconnect_name(m)) return m;
  return std::nullopt;
}

// The new address of an address-change: IPv4, in the home LAN (the router stays the gateway),
// and neither the client's first address nor the router's.
void check_new_address(TableReader& r, const Scenario& s, const std::string& address) {
  auto fail = [&](const std::string& why) {
    r.fail(r.get("address"), "address", fmt::format("'{}': {}", address, why));
  };
  if (auto err = check_lab_address(address, true); !err.empty()) fail(err);
  unsigned char a[4], lan[4];
  if (::inet_pton(AF_INET, ip_of(address).c_str(), a) != 1)
    fail("expected an IPv4 address (the new lease on the home LAN)");
  ::inet_pton(AF_INET, ip_of(s.topology.home_lan_ip4).c_str(), lan);
  const int len = std::stoi(s.topology.home_lan_ip4.substr(s.topology.home_lan_ip4.find('/') + 1));
  char net[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, lan, net, sizeof net);
  if (!in_v4(a, net, len)) fail("not in the home LAN (topology.home_lan_ip4)");
  if (ip_of(address) == ip_of(s.topology.client_ip4) ||
      ip_of(address) == ip_of(s.topology.home_lan_ip4))
    fail("already the client's or the home router's address");
}

// [[timeline]]: one table per action. Checked in time order: every time inside the window, the
// first at 0, and each action possible in the state the ones before it leave.
void read_timeline(const toml::array& entries, const std::string& origin, Scenario& s) {
  std::string names;
  for (auto k : kActions) names += std::string(names.empty() ? "" : ", ") + action_name(k);
  std::vector<std::pair<Action, const toml::node*>> read;
  for (size_t i = 0; i < entries.size(); ++i) {
    const toml::node& node = *entries.get(i);
    const std::string path = fmt::format("timeline[{}]", i);
    if (!node.is_table())
      throw UsageError(
          fmt::format("{}:{}: {}: expected a table such as {{ at = \"0ms\", action "
                      "= \"disconnect\" }}",
                      origin, node.source().begin.line, path));
    TableReader r(*node.as_table(), path, origin);
    Action a;
    a.line = static_cast<int>(node.source().begin.line);
    if (!r.get("at")) r.fail(nullptr, "at", "missing: when the action happens, e.g. \"200ms\"");
    r.duration("at", a.at, Micros(0), Micros(60'000'000));
    if (a.at >= s.window)
      r.fail(r.get("at"), "at",
             fmt::format("{} is not inside the window of {} (record.window)", format_duration(a.at),
                         format_duration(s.window)));
    std::string name;
    r.string("action", name);
    auto kind = action_kind(name);
    if (!kind)
      r.fail(r.get("action") ? r.get("action") : nullptr, "action",
             fmt::format("'{}' is not one of: {}", name, names));
    a.kind = *kind;
    if (a.kind == ActionKind::disconnect) {
      std::string mode = "clean";
      r.string("mode", mode);
      auto m = disconnect_mode(mode);
      if (!m)
        r.fail(r.get("mode"), "mode",
               fmt::format("'{}' is not one of: clean, crash, keep-interface", mode));
      a.mode = *m;
    }
    if (a.kind == ActionKind::address_change) {
      r.string("address", a.address);
      if (a.address.empty())
        r.fail(nullptr, "address", "missing: the new address, e.g. \"192.168.1.77/24\"");
      check_new_address(r, s, a.address);
    }
    r.reject_unknown();
    read.emplace_back(a, &node);
  }
  std::stable_sort(read.begin(), read.end(),
                   [](const auto& x, const auto& y) { return x.first.at < y.first.at; });
  auto fail = [&](const std::pair<Action, const toml::node*>& e, const std::string& why) {
    throw UsageError(fmt::format("{}:{}: timeline: {} at {}: {}", origin, e.first.line,
                                 action_name(e.first.kind), format_duration(e.first.at), why));
  };
  if (!read.empty() && read.front().first.at.count() != 0)
    fail(read.front(), "the first action is t=0: give it at = \"0ms\"");
  bool carrier = true, link = true, connected = true;
  for (const auto& e : read) {
    switch (e.first.kind) {
      case ActionKind::disconnect:
        if (!connected) fail(e, "the VPN is already disconnected (add a vpn-restart before)");
        connected = false;
        break;
      case ActionKind::vpn_restart:
        if (connected) fail(e, "the VPN is connected: vpn-restart follows a disconnect");
        connected = true;
        break;
      case ActionKind::carrier_down:
      case ActionKind::carrier_up: {
        const bool up = e.first.kind == ActionKind::carrier_up;
        if (carrier == up)
          fail(e, up ? "no carrier-down before it" : "the carrier is already down");
        carrier = up;
        break;
      }
      case ActionKind::link_down:
      case ActionKind::link_up: {
        const bool up = e.first.kind == ActionKind::link_up;
        if (link == up) fail(e, up ? "no link-down before it" : "the link is already down");
        link = up;
        break;
      }
      case ActionKind::address_change:
        break;
      case ActionKind::dhcp:
        if (!dhcp_pool(s.topology))
          fail(e, fmt::format("the home router's DHCP pool is .150-.199 of its LAN: "
                              "topology.home_lan_ip4 ('{}') must be an IPv4 /24 or wider, with "
                              "neither the client nor the router in that range",
                              s.topology.home_lan_ip4));
        if (!carrier || !link) fail(e, "the link has no carrier or is down: no lease can come");
        break;
    }
  }
  for (const auto& e : read) s.timeline.push_back(e.first);
  for (const auto& a : s.timeline)
    if (a.kind == ActionKind::disconnect) {
      s.disconnect = a.mode;
      break;
    }
}

}  // namespace

const char* action_name(ActionKind k) {
  switch (k) {
    case ActionKind::disconnect:
      return "disconnect";
    case ActionKind::carrier_down:
      return "carrier-down";
    case ActionKind::carrier_up:
      return "carrier-up";
    case ActionKind::link_down:
      return "link-down";
    case ActionKind::link_up:
      return "link-up";
    case ActionKind::address_change:
      return "address-change";
    case ActionKind::vpn_restart:
      return "vpn-restart";
    case ActionKind::dhcp:
      return "dhcp";
  }
  return "?";
}

bool has_action(const Scenario& s, ActionKind k) {
  return std::any_of(s.timeline.begin(), s.timeline.end(),
                     [k](const Action& a) { return a.kind == k; });
}

std::optional<DhcpPool> dhcp_pool(const Topology& t) {
  const auto lan = IpPrefix::parse(t.home_lan_ip4);
  const auto client = IpPrefix::parse(t.client_ip4);
  if (!lan || !client || lan->family != AF_INET || lan->len > 24) return std::nullopt;
  IpPrefix first = lan->network(), last = lan->network();
  first.addr[3] = 150;
  last.addr[3] = 199;
  first.len = last.len = 32;
  for (const IpPrefix* host : {&*lan, &*client})
    if (host->addr[0] == first.addr[0] && host->addr[1] == first.addr[1] &&
        host->addr[2] == first.addr[2] && host->addr[3] >= 150 && host->addr[3] <= 199)
      return std::nullopt;
  char mask[INET_ADDRSTRLEN];
  const uint32_t m = lan->len == 0 ? 0 : htonl(~uint32_t(0) << (32 - lan->len));
  ::inet_ntop(AF_INET, &m, mask, sizeof mask);
  return DhcpPool{ip_of(first.str()), ip_of(last.str()), mask};
}

const std::vector<ProbeSpec>& known_probes() {
  static const std::vector<ProbeSpec> probes = {
      {"dns", Micros(50'000), 0},
      {"tcp", Micros(100'000), 7001},
      {"tcp-send-now", Micros(100'000), 7001},
      {"tcp-idle", Micros(100'000), 7001},
      {"tcp-inflight", Micros(100'000), 7001},
      // the same stream to the server's native IPv6 address (the home network is dual-stack)
      {"tcp6", Micros(100'000), 7006},
      {"websocket", Micros(100'000), 7002},
      {"ip-seen", Micros(200'000), 7003},
      {"doh", Micros(200'000), 8443},
      {"quic", Micros(100'000), 7004},
      {"mptcp", Micros(100'000), 7005},
      {"ssh", Micros(100'000), 2222},
      {"mosh", Micros(100'000), 60001},
      {"storm", Micros(1'000'000), 0},  // lab/probe_storm.hpp: run --storm N
      // time to detect a dead connection (model/detect.hpp, docs/detect.md)
      {"detect-default", Micros(200'000), 7101},
      {"detect-keepalive", Micros(200'000), 7102},
      {"detect-keepalive-inflight", Micros(200'000), 7103},
      {"detect-user-timeout", Micros(200'000), 7104, Micros(2'000'000)},
      {"detect-reap", Micros(200'000), 7105},
      {"detect-library", Micros(200'000), 7106},
  };
  return probes;
}

Micros silence_bound(const ProbeSpec& p) {
  const int factor = p.silence.factor ? p.silence.factor : p.name == "mosh" ? 35 : 10;
  return Micros(p.interval.count() * factor);
}

Micros late_send_at(const ProbeSpec& p, Micros window) {
  const Micros at = p.silence.late_send_at;
  if (at.count() > 0 && at < window) return at;
  return window >= Micros(2'000'000) ? window - Micros(1'000'000) : window / 2;
}

void set_disconnect_mode(Scenario& s, DisconnectMode mode) {
  s.disconnect = mode;
  for (auto& a : s.timeline)
    if (a.kind == ActionKind::disconnect) a.mode = mode;
}

const char* disconnect_name(DisconnectMode m) {
  switch (m) {
    case DisconnectMode::clean:
      return "clean";
    case DisconnectMode::crash:
      return "crash";
    case DisconnectMode::keep_interface:
      return "keep-interface";
  }
  return "?";
}

std::string ip_of(const std::string& cidr) {
  return cidr.substr(0, cidr.find('/'));
}

Scenario parse_scenario(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("{}:{}: {}", origin, e.source().begin.line, e.description()));
  }
  Scenario s;
  s.origin = origin;
  TableReader r(root, "", origin);
  r.string("name", s.name);
  if (s.name.empty()) r.fail(nullptr, "name", "missing: every scenario has a name");
  r.string("description", s.description);
  if (auto* t = r.table("topology")) {
    TableReader tr(*t, "topology", origin);
    read_topology(tr, s.topology);
  }
  if (auto* t = r.table("vpn")) {
    TableReader vr(*t, "vpn", origin);
    read_vpn(vr, s.vpn);
  }
  check_tunnel_names(r, root, s);
  check_addresses(root, origin, s);
  read_killswitch(r, s);
  if (auto* t = r.table("disconnect")) {
    TableReader dr(*t, "disconnect", origin);
    std::string mode = "clean";
    dr.string("mode", mode);
    if (mode == "clean")
      s.disconnect = DisconnectMode::clean;
    else if (mode == "crash")
      s.disconnect = DisconnectMode::crash;
    else if (mode == "keep-interface")
      s.disconnect = DisconnectMode::keep_interface;
    else
      dr.fail(dr.get("mode"), "mode",
              fmt::format("'{}' is not one of: clean, crash, keep-interface", mode));
    dr.reject_unknown();
  }
  if (s.disconnect == DisconnectMode::keep_interface) check_vpn_variant(s, origin);
  if (auto* t = r.table("record")) {
    TableReader rr(*t, "record", origin);
    rr.duration("before", s.before, Micros(0), Micros(10'000'000));
    rr.duration("window", s.window, Micros(100'000), Micros(60'000'000));
    rr.reject_unknown();
  }
  if (auto* t = r.table("reap")) {
    TableReader rr(*t, "reap", origin);
    ReapSpec reap;
    if (auto* n = rr.get("peer_ports")) {
      if (!n->is_array()) rr.fail(n, "peer_ports", "expected an array of ports, e.g. [7014]");
      for (const auto& e : *n->as_array()) {
        if (!e.is_integer() || **e.as_integer() < 1 || **e.as_integer() > 65535)
          rr.fail(&e, "peer_ports", "expected ports, integers from 1 to 65535");
        reap.peer_ports.push_back(static_cast<uint16_t>(**e.as_integer()));
      }
    }
    rr.reject_unknown();
    s.reap = reap;
  }
  if (auto* t = r.table("probes")) {
    TableReader pr(*t, "probes", origin);
    read_probes(pr, *t, origin, s);
  }
  if (auto* n = r.get("timeline")) {
    if (!n->is_array_of_tables())
      r.fail(n, "timeline", "expected [[timeline]] entries (an array of tables)");
    if (r.get("disconnect"))
      r.fail(r.get("disconnect"), "disconnect",
             "give the disconnect as a [[timeline]] action (mode = ...) when there is a timeline");
    read_timeline(*n->as_array(), origin, s);
  } else {
    s.timeline.push_back(Action{Micros(0), ActionKind::disconnect, s.disconnect, "", 0});
  }
  r.reject_unknown();
  return s;
}

namespace {

struct Builtin {
  const char* name;
  const char* summary;
  const char* toml;
};

const Builtin kBuiltins[] = {
    {"disconnect",
     "full-tunnel WireGuard, disconnected cleanly (interface deleted, then DNS restored)",
     R"(name = "disconnect"
description = "A WireGuard full tunnel torn down the way wg-quick does: the interface is deleted, then the resolver is restored."
[disconnect]
mode = "clean"
[probes.dns]
interval = "50ms"
[probes.tcp]
interval = "100ms"
)"},
    {"crash", "full-tunnel WireGuard whose process is killed: nothing is tidied up",
     R"(name = "crash"
description = "The WireGuard process is killed (SIGKILL); whatever the kernel and the leftovers do is recorded, nothing is tidied."
[disconnect]
mode = "crash"
[probes.dns]
interval = "50ms"
[probes.tcp]
interval = "100ms"
)"},
    {"survival",
     "every probe at once through the tunnel, clean disconnect: the article's survival table, "
     "measured",
     R"(name = "survival"
description = "Every probe runs through the tunnel; the tunnel is torn down cleanly; each probe's fate fills one row of the table. The 5 s window covers mosh's 3 s heartbeat and a DoH client's 2 s timeout."
[disconnect]
mode = "clean"
[record]
before = "500ms"
window = "5s"
[probes.tcp]
[probes.tcp-send-now]
[probes.tcp-idle]
[probes.tcp-inflight]
[probes.tcp6]
[probes.websocket]
[probes.ssh]
[probes.mosh]
[probes.quic]
[probes.mptcp]
[probes.dns]
[probes.doh]
[probes.ip-seen]
)"},
    {"flicker",
     "the Wi-Fi drops for 200 ms (carrier lost on the client's physical link), then comes back",
     R"(name = "flicker"
description = "The home router's side of the client's link goes down for 200 ms, as a Wi-Fi drop looks to the laptop; nothing else is done: whatever the VPN client and the kernel do is recorded. The reference client's supervisor declares the tunnel dead after 100 ms without an answer (wg-quick has no such thing; OpenVPN restarts after its ping-restart)."
[record]
before = "500ms"
window = "3s"
[vpn]
dead_after = "100ms"
[[timeline]]
at = "0ms"
action = "carrier-down"
[[timeline]]
at = "200ms"
action = "carrier-up"
[probes.dns]
interval = "50ms"
[probes.tcp]
interval = "100ms"
[probes.websocket]
reconnect = true
[probes.ip-seen]
)"},
    {"flicker-new-ip",
     "the flicker, and the VPN hands out another tunnel address when the client reconnects",
     R"(name = "flicker-new-ip"
description = "The Wi-Fi drops for 200 ms; a client that reconnects gets another tunnel address (10.8.0.43 instead of 10.8.0.42), as many providers hand out: connections bound to the old one cannot come back."
[record]
before = "500ms"
window = "4s"
[vpn]
dead_after = "100ms"
reconnect_tunnel_ip = "10.8.0.43/24"
[[timeline]]
at = "0ms"
action = "carrier-down"
[[timeline]]
at = "200ms"
action = "carrier-up"
[probes.dns]
interval = "50ms"
[probes.tcp]
interval = "100ms"
[probes.websocket]
reconnect = true
[probes.ip-seen]
)"},
    {"roam",
     "the laptop roams: the Wi-Fi drops for 200 ms, then a new DHCP lease (udhcpc) gives the "
     "physical link another address",
     R"(name = "roam"
description = "The carrier goes for 200 ms; then Debian's udhcpc, with Debian's own default.script, drops the old lease (its deconfig flushes the physical link's addresses and routes) and takes a new one from the home router's DHCP server: another address, the default route and the resolver set again, as when a laptop joins a network. dnsmasq, as by default, pings an address before it offers it (about 3 s)."
[record]
before = "500ms"
window = "8s"
[vpn]
dead_after = "100ms"
[[timeline]]
at = "0ms"
action = "carrier-down"
[[timeline]]
at = "200ms"
action = "carrier-up"
[[timeline]]
at = "200ms"
action = "dhcp"
[probes.dns]
interval = "50ms"
[probes.tcp]
interval = "100ms"
[probes.websocket]
reconnect = true
[probes.ip-seen]
)"},
    {"reconnect", "clean disconnect, then the VPN client connects again after 1 s",
     R"(name = "reconnect"
description = "The VPN client disconnects cleanly at t=0 and brings the tunnel up again 1 s later: what leaked in the gap, and which connections lived through it."
[record]
before = "500ms"
window = "4s"
[[timeline]]
at = "0ms"
action = "disconnect"
mode = "clean"
[[timeline]]
at = "1s"
action = "vpn-restart"
[probes.dns]
interval = "50ms"
[probes.tcp]
interval = "100ms"
[probes.websocket]
reconnect = true
)"},
    {"detect",
     "how long a TCP client takes to learn its connection died: kernel defaults, keepalive, "
     "TCP_USER_TIMEOUT, reap, the path library",
     R"(name = "detect"
description = "One TCP connection per method through the tunnel, each to its own server port; the tunnel is torn down cleanly and each client's time to learn its connection is dead is measured from the disconnect's completion. default, TCP_USER_TIMEOUT (2 s), reap and the library send a request as soon as the disconnect's call has returned and wait for the echo (data in flight, unless reap or the library ended the connection first); keepalive (1 s idle, 3 probes 1 s apart) stays idle, because the kernel sends no keepalive probe while data is unacknowledged; keepalive-inflight has the same keepalive with data in flight, to show it. Where a method does not detect within the window, the kernel's bound is printed as a prediction (tcp_retries2 of the client namespace)."
[disconnect]
mode = "clean"
[record]
before = "500ms"
window = "7s"
[reap]
peer_ports = [7105]
[probes.detect-default]
[probes.detect-keepalive]
[probes.detect-keepalive-inflight]
[probes.detect-user-timeout]
[probes.detect-reap]
[probes.detect-library]
)"},
};

}  // namespace

std::vector<std::pair<std::string, std::string>> builtin_scenarios() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& b : kBuiltins) out.emplace_back(b.name, b.summary);
  return out;
}

Scenario load_scenario(const std::string& name_or_path) {
  for (const auto& b : kBuiltins) {
    if (name_or_path == b.name) {
      Scenario s = parse_scenario(b.toml, std::string("built-in:") + b.name);
      s.origin = "built-in";
      return s;
    }
  }
  std::ifstream f(name_or_path);
  if (!f) {
    std::string names;
    for (const auto& b : kBuiltins) names += std::string(names.empty() ? "" : ", ") + b.name;
    throw UsageError(fmt::format("'{}' is neither a built-in scenario ({}) nor a readable file",
                                 name_or_path, names));
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_scenario(ss.str(), name_or_path);
}

}  // namespace ss
