#include "rtnl_watch.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace ss::path {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The attributes of a message after its family header of `header` bytes.
template <typename F>
void each_attr(const nlmsghdr* nlh, size_t header, F f) {
  const auto* tail = reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len;
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, header));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)));
       a = mnl_attr_next(a))
    f(a);
}

bool tunnel_type(unsigned short type) {
  switch (type) {
    case ARPHRD_NONE:  // tun (OpenVPN, wireguard-go) and kernel WireGuard
    case ARPHRD_PPP:
    case ARPHRD_TUNNEL:
    case ARPHRD_TUNNEL6:
    case ARPHRD_IPGRE:
    case ARPHRD_SIT:
    case ARPHRD_IP6GRE:
      return true;
    default:
      return false;
  }
}

void copy_addr(const nlattr* a, int family, std::array<uint8_t, 16>& out) {
  const size_t n = family == AF_INET ? 4 : 16;
  if (mnl_attr_get_payload_len(a) >= n) std::memcpy(out.data(), mnl_attr_get_payload(a), n);
}

}  // namespace

std::string address_text(int family, const std::array<uint8_t, 16>& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, addr.data(), buf, sizeof buf);
  return buf;
}

std::string RtnlDecoder::ifname(int index) const {
  auto it = links_.find(index);
  return it == links_.end() ? std::string() : it->second.name;
}

bool RtnlDecoder::is_tunnel(int index) const {
  auto it = links_.find(index);
  return it != links_.end() && it->second.tunnel;
}

std::optional<Change> RtnlDecoder::decode(const nlmsghdr* nlh) {
  switch (nlh->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      return decode_link(nlh);
    case RTM_NEWADDR:
    case RTM_DELADDR:
      return decode_address(nlh);
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      return decode_route(nlh);
    default:
      return std::nullopt;
  }
}

std::optional<Change> RtnlDecoder::decode_link(const nlmsghdr* nlh) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  Link link;
  link.up = (ifi->ifi_flags & IFF_UP) != 0;
  link.tunnel = tunnel_type(ifi->ifi_type);
  each_attr(nlh, sizeof *ifi, [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
      link.name = mnl_attr_get_str(a);
  });
  Change c;
  c.ifindex = ifi->ifi_index;
  c.tunnel = link.tunnel;
  auto known = links_.find(ifi->ifi_index);
  if (nlh->nlmsg_type == RTM_DELLINK) {
    c.kind = Change::Kind::link_removed;
    c.ifname = known != links_.end() ? known->second.name : link.name;
    if (known != links_.end()) links_.erase(known);
    return c;
  }
  if (link.name.empty() && known != links_.end()) link.name = known->second.name;
  c.ifname = link.name;
  std::optional<Change> out;
  if (known == links_.end()) {
    c.kind = Change::Kind::link_added;
    out = c;
  } else if (known->second.up != link.up) {
    c.kind = link.up ? Change::Kind::link_up : Change::Kind::link_down;
    out = c;
  }
  links_[ifi->ifi_index] = link;
  return out;
}

std::optional<Change> RtnlDecoder::decode_address(const nlmsghdr* nlh) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifaddrmsg)) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return std::nullopt;
  Change c;
  c.kind =
      nlh->nlmsg_type == RTM_NEWADDR ? Change::Kind::address_added : Change::Kind::address_removed;
  c.family = ifa->ifa_family;
  c.prefix_len = ifa->ifa_prefixlen;
  c.ifindex = static_cast<int>(ifa->ifa_index);
  c.ifname = ifname(c.ifindex);
  c.tunnel = is_tunnel(c.ifindex);
  // IFA_LOCAL is the local address; IFA_ADDRESS is the peer's on a point-to-point link, and
  // the only one IPv6 sends.
  bool local = false, any = false;
  each_attr(nlh, sizeof *ifa, [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == IFA_LOCAL) {
      copy_addr(a, c.family, c.addr);
      local = any = true;
    } else if (mnl_attr_get_type(a) == IFA_ADDRESS && !local) {
      copy_addr(a, c.family, c.addr);
      any = true;
    }
  });
  if (!any) return std::nullopt;
  return c;
}

std::optional<Change> RtnlDecoder::decode_route(const nlmsghdr* nlh) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) return std::nullopt;
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_dst_len > 1 || rtm->rtm_type != RTN_UNICAST) return std::nullopt;
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return std::nullopt;
  Change c;
  c.kind =
      nlh->nlmsg_type == RTM_NEWROUTE ? Change::Kind::route_added : Change::Kind::route_removed;
  c.family = rtm->rtm_family;
  c.prefix_len = rtm->rtm_dst_len;
  c.table = rtm->rtm_table;
  each_attr(nlh, sizeof *rtm, [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case RTA_DST:
        copy_addr(a, c.family, c.addr);
        break;
      case RTA_OIF:
        if (mnl_attr_get_payload_len(a) >= 4) c.ifindex = static_cast<int>(mnl_attr_get_u32(a));
        break;
      case RTA_TABLE:
        if (mnl_attr_get_payload_len(a) >= 4) c.table = mnl_attr_get_u32(a);
        break;
      default:
        break;
    }
  });
  c.ifname = ifname(c.ifindex);
  c.tunnel = is_tunnel(c.ifindex);
  return c;
}

RtnlWatch::RtnlWatch() {
  sock_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (!sock_) fail("mnl_socket_open(NETLINK_ROUTE)");
  dump_sock_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!dump_sock_) {
    const int err = errno;
    mnl_socket_close(sock_);
    errno = err;
    fail("mnl_socket_open(NETLINK_ROUTE)");
  }
  try {
    const unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                            RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
    int size = 4 << 20;  // a burst of changes must not overrun the default buffer
    // SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it, as much as rmem_max allows.
    if (::setsockopt(mnl_socket_get_fd(sock_), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
      ::setsockopt(mnl_socket_get_fd(sock_), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (mnl_socket_bind(sock_, groups, MNL_SOCKET_AUTOPID) < 0) fail("mnl_socket_bind(groups)");
    timeval limit{2, 0};  // a dump that stalls is an error, not a hang
    if (::setsockopt(mnl_socket_get_fd(dump_sock_), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) <
        0)
      fail("setsockopt(SO_RCVTIMEO)");
    if (mnl_socket_bind(dump_sock_, 0, MNL_SOCKET_AUTOPID) < 0) fail("mnl_socket_bind");
    dump(RTM_GETLINK, AF_UNSPEC, nullptr);
    initial_ = dump_addresses();
  } catch (...) {
    mnl_socket_close(sock_);
    mnl_socket_close(dump_sock_);
    throw;
  }
}

RtnlWatch::~RtnlWatch() {
  mnl_socket_close(sock_);
  mnl_socket_close(dump_sock_);
}

int RtnlWatch::fd() const {
  return mnl_socket_get_fd(sock_);
}

std::vector<Change> RtnlWatch::dump_addresses() {
  std::vector<Change> out;
  dump(RTM_GETADDR, AF_INET, &out);
  dump(RTM_GETADDR, AF_INET6, &out);
  return out;
}

void RtnlWatch::dump(int type, int family, std::vector<Change>* out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = static_cast<uint16_t>(type);
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq_++;
  auto* gen = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  gen->rtgen_family = static_cast<unsigned char>(family);
  if (mnl_socket_sendto(dump_sock_, nlh, nlh->nlmsg_len) < 0) fail("mnl_socket_sendto(dump)");
  for (int reads = 0; reads < 100'000; ++reads) {
    const ssize_t n = mnl_socket_recvfrom(dump_sock_, buf.data(), buf.size());
    if (n < 0) fail("mnl_socket_recvfrom(dump)");
    int left = static_cast<int>(n);
    for (auto* m = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(m, left);
         m = mnl_nlmsg_next(m, &left)) {
      if (m->nlmsg_type == NLMSG_DONE) return;
      if (m->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
        errno = -e->error;
        fail("rtnetlink dump");
      }
      auto c = decoder_.decode(m);
      if (c && out) out->push_back(*c);
    }
  }
  errno = EIO;
  fail("rtnetlink dump did not end");
}

bool RtnlWatch::read(std::vector<Change>& out) {
  std::vector<char> buf(1 << 16);
  bool complete = true;
  for (int reads = 0; reads < 10'000; ++reads) {
    const ssize_t n = ::recv(fd(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        ++overruns_;
        complete = false;
        continue;
      }
      fail("recv(NETLINK_ROUTE)");
    }
    int left = static_cast<int>(n);
    for (auto* m = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(m, left);
         m = mnl_nlmsg_next(m, &left)) {
      auto c = decoder_.decode(m);
      if (c) out.push_back(*c);
    }
  }
  return complete;
}

}  // namespace ss::path
