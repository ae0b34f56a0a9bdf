#pragma once
// What `splitsecond reap` does when an address goes away, as a pure function: the addresses
// the host has (kept from a dump and the changes after it), whether a removal calls for
// reaping, and which sockets are bound to the address that went. No I/O: the daemon feeds it
// rtnetlink's changes and sock_diag's dumps and carries out what it returns.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/address.hpp"

namespace ss {

// One address on one interface (address.len is the prefix length rtnetlink gave).
struct LocalAddress {
  int ifindex = 0;
  std::string ifname;
  IpPrefix address;
};

// The host's addresses, as rtnetlink reports them.
class AddressBook {
 public:
  void add(const LocalAddress& a);  // RTM_NEWADDR (a repeat replaces the entry)
  // RTM_DELADDR: the entry as it was known, or nullopt when it was not (e.g. it already went
  // with its link).
  std::optional<LocalAddress> remove(int ifindex, const IpPrefix& address);
  // RTM_DELLINK: every address the link took with it, in the order they were added.
  std::vector<LocalAddress> remove_link(int ifindex);
  // After a resynchronising dump: the book becomes `now`; returns the entries that were known
  // and are not in it (removals whose notifications were lost).
  std::vector<LocalAddress> replace_all(const std::vector<LocalAddress>& now);
  // Whether the address (not its prefix length) is on any interface.
  bool has(const IpPrefix& address) const;
  // The interface that holds it, "" if none.
  std::string holder(const IpPrefix& address) const;
  const std::vector<LocalAddress>& all() const { return entries_; }

 private:
  std::vector<LocalAddress> entries_;
};

// Which removals the daemon acts on: empty interfaces means every interface.
struct ReapPolicy {
  std::vector<std::string> interfaces;
  bool udp = true;  // connected UDP too (false when the kernel cannot destroy UDP sockets)
  // Only sockets whose peer (remote) port is one of these; empty means every socket. The lab
  // uses it to reap one probe's connection and leave the others to the kernel.
  std::vector<uint16_t> peer_ports;
};

// A socket as sock_diag lists it, reduced to what the decision reads.
struct ReapSocket {
  enum class Proto { tcp, udp };
  Proto proto = Proto::tcp;
  int family = 0;                   // AF_INET or AF_INET6
  int state = 0;                    // the kernel's TCP state number
  std::array<uint8_t, 16> local{};  // network byte order; the first 4 bytes for IPv4
  uint16_t peer_port = 0;
};

inline constexpr int kTcpEstablished = 1;
inline constexpr int kTcpTimeWait = 6;

// Why a removal is left alone, or nullopt to reap. `after` is the book once the address has
// been removed from it.
std::optional<std::string> reap_skip_reason(const LocalAddress& removed, const ReapPolicy& policy,
                                            const AddressBook& after);

// Whether the socket's local address is `address` (an IPv6 socket carrying an IPv4 address
// v4-mapped, ::ffff:a.b.c.d, counts for that IPv4 address).
bool bound_to(const ReapSocket& s, const IpPrefix& address);

// Whether the socket is one the daemon destroys once bound to a removed address: TCP in every
// state but TIME_WAIT (which has no owner to tell), connected UDP (a peer port) if the policy
// includes UDP; and, if the policy names peer ports, only a socket connected to one of them.
bool reapable(const ReapSocket& s, const ReapPolicy& policy);

// The indices of the sockets to destroy after `address` went.
std::vector<size_t> reap_victims(const IpPrefix& address, const ReapPolicy& policy,
                                 const std::vector<ReapSocket>& sockets);

}  // namespace ss
