#pragma once
// Synchronous rtnetlink requests (libmnl) on a socket that lives in one network namespace.
#include <cstdint>
#include <string>

#include "sys/fd.hpp"

struct mnl_socket;

namespace ss::sys {

// An address with prefix length, "192.168.1.100/24" or "2001:db8:1::100/64".
struct Prefix {
  int family = 0;  // AF_INET or AF_INET6
  unsigned char addr[16] = {};
  int len = 0;
  static Prefix parse(const std::string& text);  // throws std::invalid_argument
  static Prefix host(const std::string& ip);     // /32 or /128
  Prefix network() const;                        // host bits cleared
};

class Netlink {
 public:
  // Opens a NETLINK_ROUTE socket inside the namespace behind netns_fd (-1: the caller's).
  explicit Netlink(int netns_fd);
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  // A veth pair: `name` here, `peer` created directly in the namespace behind peer_netns_fd
  // (never in the root namespace).
  void add_veth(const std::string& name, const std::string& peer, int peer_netns_fd);
  void set_up(const std::string& ifname);
  void set_down(const std::string& ifname);     // administratively (the peer loses carrier)
  void delete_link(const std::string& ifname);  // missing is an error (ENODEV)
  int ifindex(const std::string& ifname);       // throws if missing
  // A link's state now, asked of the kernel (RTM_GETLINK): the kernel changes a carrier at
  // once but may announce it up to a second later (linkwatch), or not at all if it is back by
  // then; this reads the state, not the announcements.
  struct LinkState {
    int index = 0;
    unsigned flags = 0;  // IFF_UP, IFF_LOWER_UP, ...
    int operstate = 0;   // IF_OPER_*
  };
  LinkState link_state(const std::string& ifname);  // throws if missing
  void add_address(const std::string& ifname, const Prefix& p, bool nodad = true);
  void delete_address(const std::string& ifname, const Prefix& p);
  // A route; gateway may be empty (on-link); dev may be empty (by gateway).
  void add_route(const Prefix& dst, const std::string& gateway, const std::string& dev);
  void delete_route(const Prefix& dst, const std::string& dev);
  // Policy routing: a route in routing table `table`, and a rule `from SRC lookup TABLE` at
  // `priority` (as `ip route add ... table T` and `ip rule add from SRC lookup T pref P`).
  void add_route_in_table(const Prefix& dst, const std::string& gateway, const std::string& dev,
                          uint32_t table);
  void add_rule(const Prefix& from, uint32_t table, uint32_t priority);

 private:
  void request(void* nlh, const std::string& what);
  mnl_socket* sock_ = nullptr;
  unsigned port_ = 0;
  unsigned seq_ = 1;
};

// Writes a sysctl of the namespace behind netns_fd, e.g. ("net/ipv4/ip_forward", "1").
void write_sysctl(int netns_fd, const std::string& key, const std::string& value);
std::string read_sysctl(int netns_fd, const std::string& key);

}  // namespace ss::sys
