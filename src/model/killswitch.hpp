#pragma once
// The kill switch as a pure function: the tunnel's state, the VPN endpoint(s), the tunnel
// interface and a few options in; one nftables `inet` table out, as text for one libnftables
// batch. Nothing here touches the kernel; lab/ and the `killswitch` command apply the text.
//
// The model (after the most careful public design, the Mullvad app's one-table-per-state):
//   - One table, `inet <table>`, owned by splitsecond and nothing else. The batch first
//     declares the table, then deletes it, then creates it whole: nftables applies a batch as
//     one transaction, so the old rules hold until the new ones do; there is never a moment
//     without rules, and other tables are never touched.
//   - Default drop on input and output. Always allowed: loopback, DHCPv4/DHCPv6 with the
//     home router, IPv6 router and neighbour discovery (without them the physical link stops
//     working and nothing can come back).
//   - connecting:    the above, and the VPN endpoints over any interface. DNS is blocked.
//   - connected:     the above, and anything through the tunnel interface; DNS only to the
//                    tunnel's resolvers (any other DNS is refused, UDP with ICMP, TCP with RST).
//   - disconnecting, blocked: nothing but the always-allowed (and the LAN when allowed).
//   - The tunnel is matched by interface NAME (`oifname`/`iifname`): a name matches an
//     interface created after the rules, so a re-created tunnel (every reconnect) needs no
//     reload, and no packet slips out between the interface's creation and a reload.
//   - The tunnel's own addresses cannot be reached from any other interface (a LAN host
//     sending to the tunnel address would otherwise reach the tunnel's services). These are
//     addresses, so a reconnect with a new tunnel address re-applies the table (one batch).
//   - Blocked packets are rejected by default (ICMP admin-prohibited, TCP RST) so that
//     applications fail at once instead of hanging; `drop` is available to compare.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/address.hpp"

namespace ss {

enum class TunnelState { connecting, connected, disconnecting, blocked };
const char* tunnel_state_name(TunnelState s);
std::optional<TunnelState> tunnel_state_from(const std::string& name);

struct VpnEndpoint {
  IpPrefix address;  // a host address
  uint16_t port = 0;
  std::string proto = "udp";  // udp | tcp
};

// "198.51.100.1:51820", "[2001:db8::1]:51820/udp", "198.51.100.1:443/tcp"; nullopt if not.
std::optional<VpnEndpoint> parse_endpoint(const std::string& text);

struct KillSwitchSpec {
  TunnelState state = TunnelState::blocked;
  std::vector<VpnEndpoint> endpoints;
  std::string tunnel_if;               // matched by name
  std::vector<IpPrefix> tunnel_addrs;  // protected from other interfaces
  std::vector<IpPrefix> tunnel_dns;    // the only resolvers allowed (through the tunnel)
  bool allow_lan = false;              // the private and link-local ranges, not their DNS
  bool ipv6 = true;                    // false: nothing but link housekeeping over IPv6
  bool reject = true;                  // false: drop silently
  std::string table = "splitsecond_killswitch";
};

// The batch text (for `nft -f` or nft_run_cmd_from_buffer). Throws std::invalid_argument for
// a spec that cannot be expressed (connecting/connected without an endpoint or interface).
std::string killswitch_ruleset(const KillSwitchSpec& spec);
// The batch that removes the table (and only it).
std::string killswitch_off(const std::string& table = "splitsecond_killswitch");

}  // namespace ss
