#include "model/vpn_variants.hpp"

#include <fmt/format.h>

#include "model/errors.hpp"
#include "model/scenario.hpp"

namespace ss {

const std::vector<VpnVariantName>& known_vpn_variants() {
  static const std::vector<VpnVariantName> v = {
      {"wireguard", "reference", true},
      {"wireguard", "wg-quick", false},
      {"openvpn", "openvpn", false},
  };
  return v;
}

void check_vpn_variant(const Scenario& s, const std::string& origin) {
  std::string kinds, clients;
  const VpnVariantName* found = nullptr;
  for (const auto& v : known_vpn_variants()) {
    if (kinds.find(v.kind) == std::string::npos) kinds += (kinds.empty() ? "" : ", ") + v.kind;
    if (v.kind == s.vpn.kind) {
      clients += (clients.empty() ? "" : ", ") + v.client;
      if (v.client == s.vpn.client) found = &v;
    }
  }
  if (clients.empty())
    throw UsageError(fmt::format("{}: vpn.kind: '{}' is not supported (supported: {})", origin,
                                 s.vpn.kind, kinds));
  if (!found)
    throw UsageError(
        fmt::format("{}: vpn.client: '{}' is not a client of vpn.kind '{}' "
                    "(clients: {})",
                    origin, s.vpn.client, s.vpn.kind, clients));
  if (s.disconnect == DisconnectMode::keep_interface && !found->keep_interface)
    throw UsageError(fmt::format(
        "{}: disconnect.mode: 'keep-interface' is not something vpn.client '{}' does (it "
        "deletes its interface on disconnect); use clean or crash, or vpn.client = 'reference'",
        origin, s.vpn.client));
}

}  // namespace ss
