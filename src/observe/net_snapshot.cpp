#include "observe/net_snapshot.hpp"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <memory>
#include <optional>

#include "observe/rtnl.hpp"
#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::observe {
namespace {

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

// One dump request (`type` with a zeroed header of `hdr_len` bytes, its family first) decoded
// into `out`.
void dump(mnl_socket* sock, uint16_t type, size_t hdr_len, unsigned char family, unsigned seq,
          RtnlDecoder& decoder, std::vector<Event>& out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* req = mnl_nlmsg_put_header(buf.data());
  req->nlmsg_type = type;
  req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req->nlmsg_seq = seq;
  auto* hdr = static_cast<unsigned char*>(mnl_nlmsg_put_extra_header(req, hdr_len));
  hdr[0] = family;  // every rtnetlink header starts with its family byte
  if (mnl_socket_sendto(sock, req, req->nlmsg_len) < 0) {
    throw sys::SysError("mnl_socket_sendto", "network snapshot", errno);
  }
  for (bool done = false; !done;) {
    ssize_t n = mnl_socket_recvfrom(sock, buf.data(), buf.size());
    if (n <= 0) {
      throw sys::SysError("mnl_socket_recvfrom", "network snapshot", errno);
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
        done = true;
        break;
      }
      if (auto e = decoder.decode(nlh)) {
        out.push_back(std::move(*e));
      }
    }
  }
}

}  // namespace

std::vector<Event> snapshot_network(int netns_fd) {
  Socket sock;
  int err = 0;
  {
    std::optional<sys::NetnsGuard> in;
    if (netns_fd >= 0) {
      in.emplace(netns_fd);
    }
    sock.reset(mnl_socket_open(NETLINK_ROUTE));
    err = errno;
  }
  if (!sock) {
    throw sys::SysError("mnl_socket_open", "network snapshot", err);
  }
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    throw sys::SysError("mnl_socket_bind", "network snapshot", errno);
  }
  RtnlDecoder decoder;  // links first: addresses and routes name their device by index
  std::vector<Event> out;
  unsigned seq = 1;
  dump(sock.get(), RTM_GETLINK, sizeof(ifinfomsg), AF_UNSPEC, seq++, decoder, out);
  dump(sock.get(), RTM_GETADDR, sizeof(ifaddrmsg), AF_UNSPEC, seq++, decoder, out);
  for (unsigned char family : {AF_INET, AF_INET6}) {
    dump(sock.get(), RTM_GETROUTE, sizeof(rtmsg), family, seq++, decoder, out);
    dump(sock.get(), RTM_GETRULE, sizeof(fib_rule_hdr), family, seq++, decoder, out);
  }
  return out;
}

}  // namespace ss::observe
