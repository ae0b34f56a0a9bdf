#include "probes/quic_udp.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "sys/syserror.hpp"

namespace ss::probes::quic {

namespace {

void enable_pktinfo(int fd, int family) {
  int on = 1;
  if (family == AF_INET6) {
    sys::check(setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)), "setsockopt",
               "IPV6_RECVPKTINFO");
  } else {
    sys::check(setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)), "setsockopt", "IP_PKTINFO");
  }
}

std::optional<SockAddr> destination_of(msghdr& msg, int family) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    SockAddr a = wildcard(family);
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      reinterpret_cast<sockaddr_in*>(&a.storage)->sin_addr = info.ipi_addr;
      return a;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_addr = info.ipi6_addr;
      return a;
    }
  }
  return std::nullopt;
}

}  // namespace

UdpSocket UdpSocket::bind_to(const SockAddr& addr) {
  UdpSocket s;
  std::string what = format_endpoint(addr);
  s.fd_ = sys::Fd(static_cast<int>(sys::check(
      socket(addr.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket", what)));
  if (addr.family() == AF_INET6) {
    int on = 1;  // an IPv6 agent speaks IPv6 only; no v4-mapped surprises in the addresses
    sys::check(setsockopt(s.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), "setsockopt",
               "IPV6_V6ONLY");
  }
  enable_pktinfo(s.fd(), addr.family());
  sys::check(bind(s.fd(), addr.get(), addr.len), "bind", what);
  s.local_.len = sizeof(s.local_.storage);
  sys::check(getsockname(s.fd(), s.local_.get(), &s.local_.len), "getsockname", what);
  return s;
}

int UdpSocket::send_to(std::span<const uint8_t> data, const SockAddr& to) {
  ssize_t n;
  do {
    n = sendto(fd(), data.data(), data.size(), 0, to.get(), to.len);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? errno : 0;
}

std::optional<Datagram> UdpSocket::receive(std::span<uint8_t> buf) {
  Datagram d;
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))];
  msghdr msg{};
  msg.msg_name = &d.from.storage;
  msg.msg_namelen = sizeof(d.from.storage);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(fd(), &msg, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
  sys::check(n, "recvmsg", format_endpoint(local_));
  d.len = static_cast<size_t>(n);
  d.from.len = msg.msg_namelen;
  d.to = destination_of(msg, local_.family());
  return d;
}

}  // namespace ss::probes::quic
