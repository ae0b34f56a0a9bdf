#pragma once
// A real OpenVPN 2.6 (Debian's `openvpn`) as the lab's VPN: a TLS server in the vpn namespace,
// the real client in the client namespace, certificates from a per-run CA (lab/tls_ca.hpp).
// The client installs its own routes (redirect-gateway def1) and applies the pushed resolver
// through its up/down script (`splitsecond agent openvpn-dns`); the lab only records.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lab/lab.hpp"
#include "lab/vpn.hpp"
#include "model/record.hpp"
#include "model/scenario.hpp"

namespace ss::lab {

// Where a run's OpenVPN files are (absolute: OpenVPN is given no working directory).
struct OpenVpnFiles {
  std::string dir;  // 0700, in the run's private directory
  std::string ca, server_cert, server_key, client_cert, client_key;
  std::string ccd;          // client-config-dir: the client's fixed tunnel address
  std::string resolv_save;  // the up script's copy of the client's resolv.conf
  std::string self_exe;     // the splitsecond binary (the up/down script)
  static OpenVpnFiles in(const std::string& dir, const std::string& self_exe);
};

inline constexpr const char* kOpenVpnServerCn = "splitsecond-vpn-server";
inline constexpr const char* kOpenVpnClientCn = "splitsecond-vpn-client";

// "255.255.255.0" for "10.8.0.1/24" (OpenVPN takes netmasks, not lengths). Throws UsageError
// for an address without a valid IPv4 prefix length.
std::string ipv4_netmask(const std::string& cidr);

// The server's command line: TLS server, UDP on the scenario's port, dev tun with topology
// subnet on the scenario's server tunnel address, the client's address from the ccd, pushes
// redirect-gateway def1 and the VPN resolver, ping/ping-restart from the scenario.
std::vector<std::string> openvpn_server_args(const Scenario& s, const OpenVpnFiles& f);
// The client's: TLS client to the VPN endpoint, the up/down script with --script-security 2,
// ping/ping-restart from the scenario, persist-tun if the scenario asks for it.
std::vector<std::string> openvpn_client_args(const Scenario& s, const OpenVpnFiles& f);
// The ccd file for the client: its fixed tunnel address.
std::string openvpn_client_ccd(const Scenario& s);
// The same for a later connection: vpn.reconnect_tunnel_ip if the scenario sets one.
std::string openvpn_client_ccd_after_connect(const Scenario& s);

// What the client did to the main routing table, links and addresses while connecting, in
// words ("route added 0.0.0.0/1 via 10.8.0.1 dev tun0"), from the monitor's events.
std::vector<std::string> describe_changes(const std::vector<Event>& events);

std::unique_ptr<VpnDriver> make_openvpn(Lab& lab, const Scenario& s);

}  // namespace ss::lab
