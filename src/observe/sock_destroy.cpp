#include "observe/sock_destroy.hpp"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <optional>
#include <span>

#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::observe {

SockDestroyListener::SockDestroyListener(int netns_fd) {
  int err = 0;
  {
    std::optional<sys::NetnsGuard> in;
    if (netns_fd >= 0) {
      in.emplace(netns_fd);
    }
    sock_ =
        sys::Fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    err = errno;  // before the guard's setns back
  }
  if (!sock_) {
    throw sys::SysError("socket(NETLINK_SOCK_DIAG)", "destroyed sockets", err);
  }
  int bufsize = 4 << 20;
  if (::setsockopt(sock_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof bufsize) < 0) {
    ::setsockopt(sock_.get(), SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
  }
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  for (unsigned group : {SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET_UDP_DESTROY,
                         SKNLGRP_INET6_TCP_DESTROY, SKNLGRP_INET6_UDP_DESTROY}) {
    addr.nl_groups |= 1u << (group - 1);
  }
  sys::check(::bind(sock_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), "bind",
             "sock_diag destroy groups");
}

void SockDestroyListener::drain(int64_t now_ns, const Sink& sink) {
  alignas(nlmsghdr) char buf[1 << 16];
  for (int reads = 0; reads < 4096; ++reads) {
    ssize_t n = ::recv(sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == ENOBUFS) {
        ++overruns_;
        continue;
      }
      if (errno == EAGAIN || errno == EINTR) {
        break;
      }
      throw sys::SysError("recv", "sock_diag destroy groups", errno);
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nlh, len);
         nlh = NLMSG_NEXT(nlh, len)) {
      if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY) {
        continue;
      }
      std::span<const uint8_t> payload(static_cast<const uint8_t*>(NLMSG_DATA(nlh)),
                                       nlh->nlmsg_len - NLMSG_HDRLEN);
      if (auto s = parse_destroyed(payload)) {
        sink(now_ns, *s);
      }
    }
  }
}

}  // namespace ss::observe
