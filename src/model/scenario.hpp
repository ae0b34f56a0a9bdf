#pragma once
// A scenario: the lab's topology, the VPN, how it disconnects, what is recorded. Plain data;
// parsed from TOML (a file or a built-in), validated before anything is created.
#include <optional>
#include <string>
#include <vector>

#include "model/duration.hpp"

namespace ss {

// clean: the client's own teardown (interface deleted, then resolver restored: wg-quick's order).
// crash: the VPN process is killed; nothing is tidied.
// keep-interface: the client withdraws its routes and restores the resolver but keeps the
//   tunnel interface and its address (what a client that keeps its TUN device while it
//   reconnects, e.g. OpenVPN's persist-tun, leaves behind).
enum class DisconnectMode { clean, crash, keep_interface };
const char* disconnect_name(DisconnectMode m);

// What a timeline entry does (docs/scenarios.md, "Timeline").
enum class ActionKind {
  disconnect,      // the VPN client disconnects (mode: clean, crash, keep-interface)
  carrier_down,    // the home router's side of the client's link goes down: no carrier
  carrier_up,      // ... and up again
  link_down,       // the client's physical interface, administratively down
  link_up,         // ... and up
  address_change,  // a new address on the client's physical link, with its default route
  vpn_restart,     // the VPN client brings the tunnel up again
  dhcp,  // Debian's udhcpc with its default.script on the physical link: the old lease goes
         // (deconfig), a new one comes from the home router's DHCP server (a roam)
};
const char* action_name(ActionKind k);

struct Action {
  Micros at{0};  // after the first action (t=0)
  ActionKind kind = ActionKind::disconnect;
  DisconnectMode mode = DisconnectMode::clean;  // disconnect
  std::string address;                          // address_change: the new "a.b.c.d/len"
  int line = 0;                                 // where the scenario says it (0: built in)
};

struct Topology {
  // client: the laptop
  std::string client_if = "en0";
  std::string client_ip4 = "192.168.1.100/24";
  std::string client_ip6 = "2001:db8:1::100/64";
  // home: Wi-Fi router, NAT, ISP resolver
  std::string home_lan_ip4 = "192.168.1.1/24";
  std::string home_lan_ip6 = "2001:db8:1::1/64";
  std::string home_wan_ip4 = "203.0.113.2/24";
  std::string home_wan_ip6 = "2001:db8:2::2/64";
  bool home_nat = true;
  // internet: core router, one link to each of home, vpn, server
  std::string inet_home_ip4 = "203.0.113.1/24";
  std::string inet_home_ip6 = "2001:db8:2::1/64";
  std::string inet_vpn_ip4 = "198.51.100.6/29";
  std::string inet_vpn_ip6 = "2001:db8:3::6/64";
  std::string inet_server_ip4 = "198.51.100.14/29";
  std::string inet_server_ip6 = "2001:db8:100::1/64";
  // vpn server
  std::string vpn_ip4 = "198.51.100.1/29";
  std::string vpn_ip6 = "2001:db8:3::1/64";
  // app servers
  std::string server_ip4 = "198.51.100.10/29";
  std::string server_ip6 = "2001:db8:100::10/64";
};

struct VpnSpec {
  std::string kind = "wireguard";
  // Who sets the tunnel up and tears it down (model/vpn_variants.hpp): "reference" (our own
  // steps, the order wg-quick uses) or a real client ("wg-quick").
  std::string client = "reference";
  std::string implementation = "wireguard-go";
  std::string client_if = "tun0";
  std::string server_if = "wg0";
  std::string client_tunnel_ip = "10.8.0.42/24";
  std::string server_tunnel_ip = "10.8.0.1/24";
  int port = 51820;
  bool server_nat = true;
  std::string dns = "10.8.0.1";
  // openvpn: its keepalive in whole seconds (as OpenVPN takes them): a ping every ping_s when
  // nothing else is sent, a restart after ping_restart_s without a packet from the peer; and
  // whether the client keeps its TUN device (and routes) through such a restart.
  int ping_s = 1;
  int ping_restart_s = 2;
  bool persist_tun = false;
  // The reference client's supervisor: it pings the VPN's tunnel address and declares the
  // tunnel dead after this long without a reply, then tears down and reconnects (the way many
  // commercial apps behave). The default is WireGuard's own: keepalive 10 s + rekey timeout 5 s.
  // 0: no supervisor.
  Micros dead_after{15'000'000};
  // The tunnel address the VPN hands out on every reconnection (the reference client's
  // supervisor and vpn-restart, wg-quick's vpn-restart, OpenVPN's own restarts); empty: the same.
  std::string reconnect_tunnel_ip;
};

// Stream probes (tcp*, websocket, quic, mptcp, ssh, mosh): a silence longer than this many
// intervals after the disconnect completed makes the fate "partial" (0: the kind's default).
struct SilenceSpec {
  int factor = 0;
  // tcp-idle, tcp-inflight: when, after t=0, the client sends its one late message
  // (0: 1 s before the end of the window).
  Micros late_send_at{0};
};

struct ProbeSpec {
  std::string name;              // one of known_probes()
  Micros interval{0};            // how often it sends or looks up
  int port = 0;                  // its server's port, where it has one
  Micros user_timeout{0};        // TCP probes: TCP_USER_TIMEOUT (0: the kernel default)
  bool server_migration = true;  // quic: the server allows the client's address to change
  bool reconnect = false;        // websocket: reconnect with backoff after a failure
  // mptcp: the client has a subflow endpoint on the physical link (false: only the tunnel's)
  bool subflow_on_physical = true;
  SilenceSpec silence = {};  // stream probes: the silence bound; tcp-idle/-inflight: the late send
};

// The silence bound of a stream probe: factor x interval; by default 10 intervals, and 35 for
// mosh (its heartbeat is 3 s: an idle mosh session is silent that long by design).
Micros silence_bound(const ProbeSpec& p);
// When the late message goes, for a window of `window`: the scenario's value if inside the
// window, else 1 s before its end (half the window if it is shorter than 2 s).
Micros late_send_at(const ProbeSpec& p, Micros window);

// The probes a scenario may name, with their defaults.
const std::vector<ProbeSpec>& known_probes();

// `splitsecond reap` running in the client namespace for the whole run (the scenario's
// [reap] table, or `run --reap`): it destroys the sockets of an address that goes away.
struct ReapSpec {
  std::vector<uint16_t> peer_ports;  // only sockets to these remote ports; empty: every socket
};

struct Scenario;
// Sets how the scenario disconnects: `disconnect` and the mode of every disconnect action of
// its timeline (what the run executes), so that the two can never disagree.
void set_disconnect_mode(Scenario& s, DisconnectMode mode);

struct Scenario {
  std::string name;
  std::string origin;  // "built-in" or the file path
  std::string description;
  Topology topology;
  VpnSpec vpn;
  DisconnectMode disconnect = DisconnectMode::clean;  // the first disconnect action's mode
  // Sorted by time; the first is at 0. Without [[timeline]]: one disconnect at 0 ([disconnect]).
  std::vector<Action> timeline;
  Micros before{500'000};    // recorded before the trigger
  Micros window{3'000'000};  // observed after the trigger
  std::vector<ProbeSpec> probes;
  // The kill switch in the client namespace (docs/killswitch.md): "none", "ours" (the file's
  // `killswitch = true`) or "wg-quick-recipe" (wg-quick(8)'s PostUp/PreDown lines).
  std::string killswitch = "none";
  std::optional<ReapSpec> reap;  // none: nothing destroys the sockets of a vanished address
};

// Parses TOML text. `origin` names the file in messages. Throws UsageError naming the file,
// the line and the field for any syntax error, unknown key, wrong type or bad value.
Scenario parse_scenario(std::string_view toml_text, const std::string& origin);

// The built-in scenarios, by name, and their one-line descriptions.
std::vector<std::pair<std::string, std::string>> builtin_scenarios();
// A built-in by name, or a path to a TOML file. Throws UsageError if neither.
Scenario load_scenario(const std::string& name_or_path);

// Whether the scenario's timeline has an action of this kind.
bool has_action(const Scenario& s, ActionKind k);

// The home router's DHCP pool: .150-.199 of its LAN, which must be IPv4, /24 or wider, and
// hold neither the router's nor the client's static address in that range; nullopt otherwise.
struct DhcpPool {
  std::string first, last, netmask;  // "192.168.1.150", "192.168.1.199", "255.255.255.0"
};
std::optional<DhcpPool> dhcp_pool(const Topology& t);

// The address part of "a.b.c.d/len".
std::string ip_of(const std::string& cidr);

}  // namespace ss
