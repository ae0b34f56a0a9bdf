#pragma once
// The VPNs a scenario may name: (vpn.kind, vpn.client) pairs. The lab's registry
// (lab/vpn_registry.cpp) has one factory per pair; a unit test checks the two lists agree.
#include <string>
#include <vector>

namespace ss {

struct Scenario;

struct VpnVariantName {
  std::string kind, client;
  bool keep_interface = false;  // whether the client can disconnect keeping its interface
};

const std::vector<VpnVariantName>& known_vpn_variants();

// Throws UsageError (exit 2) naming `vpn.kind`/`vpn.client` (and `disconnect.mode`) if the
// scenario's VPN is not in the list or its client cannot do the scenario's disconnect.
// `origin` names where the values came from (a file, or the command line).
void check_vpn_variant(const Scenario& s, const std::string& origin);

}  // namespace ss
