// Which driver runs a scenario's VPN: one line per (vpn.kind, vpn.client).
#include <fmt/format.h>

#include "lab/openvpn_vpn.hpp"
#include "lab/vpn.hpp"
#include "model/errors.hpp"

namespace ss::lab {

const std::vector<VpnEntry>& vpn_registry() {
  static const std::vector<VpnEntry> r = {
      {"wireguard", "reference",
       "wireguard-go on both sides, the client's steps done by splitsecond in wg-quick's order "
       "(0/1 + 128/1 routes, endpoint host route, resolver file)",
       make_wireguard_reference},
      {"wireguard", "wg-quick",
       "Debian's wg-quick (userspace wireguard-go, fwmark policy routing, openresolv confined "
       "to the lab) as the client; the server is splitsecond's wireguard-go",
       make_wireguard_wgquick},
      {"openvpn", "openvpn",
       "Debian's openvpn 2.6 on both sides (TLS, per-run CA; redirect-gateway def1; the pushed "
       "resolver applied by its up/down script)",
       make_openvpn},
  };
  return r;
}

std::unique_ptr<VpnDriver> make_vpn(Lab& lab, const Scenario& s) {
  for (const auto& e : vpn_registry())
    if (s.vpn.kind == e.kind && s.vpn.client == e.client) return e.make(lab, s);
  throw UsageError(fmt::format("{}: vpn.kind '{}' with vpn.client '{}': no such VPN in this build",
                               s.origin, s.vpn.kind, s.vpn.client));
}

}  // namespace ss::lab
