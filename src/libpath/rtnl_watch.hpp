#pragma once
// rtnetlink's address, link and route notifications as path changes (libmnl). The decoder is
// pure (messages in, changes out); RtnlWatch owns the subscribed socket of one namespace.
// Used by the C API (path.cpp) and by `splitsecond reap`.
#include <linux/netlink.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct mnl_socket;

namespace ss::path {

struct Change {
  enum class Kind {
    address_added,
    address_removed,
    link_added,
    link_removed,
    link_up,
    link_down,
    route_added,
    route_removed
  };
  Kind kind = Kind::address_added;
  int family = 0;                  // AF_INET / AF_INET6 for addresses and routes
  std::array<uint8_t, 16> addr{};  // the address or the route's destination
  int prefix_len = 0;
  int ifindex = 0;
  std::string ifname;
  bool tunnel = false;  // the interface is a tunnel (tun, wireguard, ppp, ip tunnels)
  uint32_t table = 0;   // routes: the routing table
};

// "10.0.0.2" / "2001:db8::2".
std::string address_text(int family, const std::array<uint8_t, 16>& addr);

class RtnlDecoder {
 public:
  // The change one message makes, or nothing (routes other than default and split-default
  // ones, link messages that change neither presence nor IFF_UP).
  std::optional<Change> decode(const nlmsghdr* nlh);
  std::string ifname(int index) const;
  bool is_tunnel(int index) const;

 private:
  struct Link {
    std::string name;
    bool up = false, tunnel = false;
  };
  std::optional<Change> decode_link(const nlmsghdr* nlh);
  std::optional<Change> decode_address(const nlmsghdr* nlh);
  std::optional<Change> decode_route(const nlmsghdr* nlh);
  std::map<int, Link> links_;
};

class RtnlWatch {
 public:
  // Subscribes to links, IPv4/IPv6 addresses and routes in the caller's namespace, then
  // dumps the links (so later messages are named) and the addresses. Throws
  // std::system_error.
  RtnlWatch();
  ~RtnlWatch();
  RtnlWatch(const RtnlWatch&) = delete;
  RtnlWatch& operator=(const RtnlWatch&) = delete;

  int fd() const;
  // The addresses present when the watch started (as address_added changes).
  const std::vector<Change>& initial_addresses() const { return initial_; }
  // Every address present now (a fresh dump), e.g. to resynchronise after an overrun.
  std::vector<Change> dump_addresses();
  // Reads what is queued without blocking; appends the changes. Returns false when the
  // kernel dropped notifications (ENOBUFS) since the last read: the caller resynchronises.
  bool read(std::vector<Change>& out);
  int64_t overruns() const { return overruns_; }

 private:
  void dump(int type, int family, std::vector<Change>* out);
  mnl_socket* sock_ = nullptr;       // notifications
  mnl_socket* dump_sock_ = nullptr;  // requests
  unsigned seq_ = 1;
  RtnlDecoder decoder_;
  std::vector<Change> initial_;
  int64_t overruns_ = 0;
};

}  // namespace ss::path
