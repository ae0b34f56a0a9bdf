#pragma once
// IP addresses and prefixes as typed values, parsed once from the scenario's strings, and the
// checks that the lab's addresses fit together before anything is built. Pure.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "model/scenario.hpp"

namespace ss {

struct IpPrefix {
  int family = 0;                  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};  // network byte order; the first 4 bytes for IPv4
  int len = 0;                     // prefix length; 32/128 for a bare address

  // "192.168.1.100/24", "2001:db8::1/64", or a bare address (a host prefix); nullopt if not.
  static std::optional<IpPrefix> parse(const std::string& text);
  IpPrefix network() const;                    // the host bits cleared
  bool contains(const IpPrefix& other) const;  // other's address lies in this network
  bool overlaps(const IpPrefix& other) const;  // the two networks share an address
  bool same_address(const IpPrefix& other) const;
  std::string str() const;  // "a.b.c.d/len"
};

// Two keys of a scenario whose addresses cannot both hold, and why.
struct AddressConflict {
  std::string key_a, key_b;  // dotted scenario keys, e.g. "topology.client_ip4"
  std::string why;
};

// The first conflict among the scenario's addresses, or nullopt: the same address twice, a
// host outside the network of its gateway, the VPN server inside the home LAN, a tunnel
// network overlapping a physical one, a VPN resolver that no VPN-side address can serve.
std::optional<AddressConflict> find_address_conflict(const Scenario& s);

}  // namespace ss
