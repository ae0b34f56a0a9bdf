#include "sys/sock_diag.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::sys {
namespace {

std::string address_text(int family, const uint32_t* addr, uint16_t port) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, addr, buf, sizeof buf);
  return family == AF_INET6 ? fmt::format("[{}]:{}", buf, port) : fmt::format("{}:{}", buf, port);
}

TcpInfoView info_view(const nlattr* attr) {
  tcp_info ti{};
  // An older kernel sends a shorter struct: what it did not send stays zero.
  const size_t len = std::min<size_t>(mnl_attr_get_payload_len(attr), sizeof ti);
  std::memcpy(&ti, mnl_attr_get_payload(attr), len);
  TcpInfoView v;
  v.retransmits = ti.tcpi_retransmits;
  v.probes = ti.tcpi_probes;
  v.backoff = ti.tcpi_backoff;
  v.rto_us = ti.tcpi_rto;
  v.unacked = ti.tcpi_unacked;
  v.last_data_sent_ms = ti.tcpi_last_data_sent;
  v.last_data_recv_ms = ti.tcpi_last_data_recv;
  v.last_ack_recv_ms = ti.tcpi_last_ack_recv;
  v.total_retrans = ti.tcpi_total_retrans;
  return v;
}

TcpSocketDiag decode_one(const nlmsghdr* nlh) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(inet_diag_msg))
    throw std::runtime_error("sock_diag: a reply shorter than inet_diag_msg");
  const auto* m = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
  TcpSocketDiag s;
  s.family = m->idiag_family;
  s.state = tcp_state_name(m->idiag_state);
  s.local_port = ntohs(m->id.idiag_sport);
  s.peer_port = ntohs(m->id.idiag_dport);
  s.local = address_text(s.family, m->id.idiag_src, s.local_port);
  s.peer = address_text(s.family, m->id.idiag_dst, s.peer_port);
  s.recv_queue = m->idiag_rqueue;
  s.send_queue = m->idiag_wqueue;
  s.inode = m->idiag_inode;
  // The attributes end where the message does (not at its aligned end: that may be past the
  // buffer).
  const auto* tail = reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len;
  for (auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof *m));
       mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr)));
       attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) == INET_DIAG_INFO) s.info = info_view(attr);
  }
  return s;
}

}  // namespace

std::string tcp_state_name(int state) {
  static const std::array<const char*, 13> names = {
      "?",     "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  return state > 0 && state < static_cast<int>(names.size()) ? names[state]
                                                             : fmt::format("STATE_{}", state);
}

std::vector<uint8_t> sock_diag_request(int family, uint32_t seq) {
  std::vector<uint8_t> buf(NLMSG_SPACE(sizeof(inet_diag_req_v2)), 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* req =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = static_cast<uint8_t>(family);
  req->sdiag_protocol = IPPROTO_TCP;
  req->idiag_ext = 1u << (INET_DIAG_INFO - 1);
  req->idiag_states = ~0u;  // every state
  buf.resize(nlh->nlmsg_len);
  return buf;
}

namespace {

// Walks the netlink messages of one buffer, calling on_reply for each SOCK_DIAG_BY_FAMILY
// message. Returns true at NLMSG_DONE. libmnl's mnl_nlmsg_ok compares the length as an int,
// so a corrupt length of 2^31 or more would pass it: the lengths are checked here, unsigned,
// against what is left of the buffer.
template <typename OnReply>
bool walk_replies(std::span<const uint8_t> buf, OnReply on_reply) {
  size_t at = 0;
  while (at < buf.size()) {
    const size_t left = buf.size() - at;
    nlmsghdr h{};
    if (left < sizeof h) throw std::runtime_error("sock_diag: a truncated netlink message");
    std::memcpy(&h, buf.data() + at, sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > left)
      throw std::runtime_error("sock_diag: a truncated netlink message");
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data() + at);
    if (h.nlmsg_type == NLMSG_DONE) return true;
    if (h.nlmsg_type == NLMSG_ERROR) {
      if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(int))
        throw std::runtime_error("sock_diag: a truncated error reply");
      int error = 0;
      std::memcpy(&error, buf.data() + at + NLMSG_HDRLEN, sizeof error);
      throw std::runtime_error(
          fmt::format("sock_diag: the kernel answered {}", errno_name(-error)));
    }
    if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY) on_reply(nlh);
    at += std::min<size_t>(NLMSG_ALIGN(h.nlmsg_len), left);
  }
  return false;
}

InetSocketId decode_id(const nlmsghdr* nlh, int protocol) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(inet_diag_msg))
    throw std::runtime_error("sock_diag: a reply shorter than inet_diag_msg");
  inet_diag_msg m{};
  std::memcpy(&m, mnl_nlmsg_get_payload(nlh), sizeof m);
  InetSocketId s;
  s.family = m.idiag_family;
  s.protocol = protocol;
  s.state = m.idiag_state;
  std::memcpy(s.src.data(), m.id.idiag_src, 16);
  std::memcpy(s.dst.data(), m.id.idiag_dst, 16);
  s.sport = ntohs(m.id.idiag_sport);
  s.dport = ntohs(m.id.idiag_dport);
  s.ifindex = m.id.idiag_if;
  s.cookie = {m.id.idiag_cookie[0], m.id.idiag_cookie[1]};
  s.inode = m.idiag_inode;
  return s;
}

std::vector<uint8_t> request_for(int type, uint16_t flags, int family, int protocol, uint32_t seq) {
  std::vector<uint8_t> buf(NLMSG_SPACE(sizeof(inet_diag_req_v2)), 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = static_cast<uint16_t>(type);
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  auto* req =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = static_cast<uint8_t>(family);
  req->sdiag_protocol = static_cast<uint8_t>(protocol);
  req->idiag_states = ~0u;  // every state
  buf.resize(nlh->nlmsg_len);
  return buf;
}

mnl_socket* open_in(int netns_fd) {
  mnl_socket* sock = nullptr;
  {
    std::optional<NetnsGuard> in;
    if (netns_fd >= 0) in.emplace(netns_fd);
    sock = mnl_socket_open(NETLINK_SOCK_DIAG);
  }
  if (!sock) throw SysError("mnl_socket_open", "NETLINK_SOCK_DIAG", errno);
  timeval limit{2, 0};  // a dump that stalls is an error, not a hang
  if (::setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) < 0 ||
      mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(sock);
    throw SysError("setsockopt/mnl_socket_bind", "NETLINK_SOCK_DIAG", err);
  }
  return sock;
}

}  // namespace

bool decode_sock_diag(std::span<const uint8_t> buf, std::vector<TcpSocketDiag>& out) {
  return walk_replies(buf, [&](const nlmsghdr* nlh) { out.push_back(decode_one(nlh)); });
}

bool decode_sock_ids(std::span<const uint8_t> buf, int protocol, std::vector<InetSocketId>& out) {
  return walk_replies(buf, [&](const nlmsghdr* nlh) { out.push_back(decode_id(nlh, protocol)); });
}

std::string local_text(const InetSocketId& s) {
  return address_text(s.family, reinterpret_cast<const uint32_t*>(s.src.data()), s.sport);
}

std::string peer_text(const InetSocketId& s) {
  return address_text(s.family, reinterpret_cast<const uint32_t*>(s.dst.data()), s.dport);
}

std::vector<uint8_t> sock_id_request(int family, int protocol, uint32_t seq) {
  return request_for(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, family, protocol, seq);
}

std::vector<uint8_t> sock_detail_request(int family, int protocol, uint32_t seq) {
  auto buf = request_for(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, family, protocol, seq);
  auto* req = reinterpret_cast<inet_diag_req_v2*>(buf.data() + NLMSG_HDRLEN);
  if (protocol == IPPROTO_TCP) req->idiag_ext = 1u << (INET_DIAG_INFO - 1);
  return buf;
}

bool decode_sock_details(std::span<const uint8_t> buf, int protocol,
                         std::vector<InetSocketDiag>& out) {
  return walk_replies(buf, [&](const nlmsghdr* nlh) {
    InetSocketDiag d;
    d.id = decode_id(nlh, protocol);
    const TcpSocketDiag full = decode_one(nlh);  // the queues and tcp_info
    d.recv_queue = full.recv_queue;
    d.send_queue = full.send_queue;
    if (protocol == IPPROTO_TCP) d.info = full.info;
    out.push_back(std::move(d));
  });
}

std::vector<uint8_t> sock_destroy_request(const InetSocketId& s, uint32_t seq) {
  auto buf = request_for(SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, s.family, s.protocol, seq);
  auto* req = reinterpret_cast<inet_diag_req_v2*>(buf.data() + NLMSG_HDRLEN);
  std::memcpy(req->id.idiag_src, s.src.data(), 16);
  std::memcpy(req->id.idiag_dst, s.dst.data(), 16);
  req->id.idiag_sport = htons(s.sport);
  req->id.idiag_dport = htons(s.dport);
  req->id.idiag_if = s.ifindex;
  req->id.idiag_cookie[0] = s.cookie[0];
  req->id.idiag_cookie[1] = s.cookie[1];
  return buf;
}

int decode_ack(std::span<const uint8_t> buf) {
  nlmsghdr h{};
  if (buf.size() < NLMSG_HDRLEN + sizeof(int))
    throw std::runtime_error("sock_diag: a truncated acknowledgement");
  std::memcpy(&h, buf.data(), sizeof h);
  if (h.nlmsg_type != NLMSG_ERROR || h.nlmsg_len < NLMSG_HDRLEN + sizeof(int) ||
      h.nlmsg_len > buf.size())
    throw std::runtime_error("sock_diag: expected an acknowledgement");
  int error = 0;
  std::memcpy(&error, buf.data() + NLMSG_HDRLEN, sizeof error);
  return -error;
}

SockDiag::SockDiag(int netns_fd) : sock_(open_in(netns_fd)) {}

SockDiag::~SockDiag() {
  mnl_socket_close(static_cast<mnl_socket*>(sock_));
}

namespace {

// Sends a dump request and reads its replies into `out` until the kernel's NLMSG_DONE.
template <class Item, class Decode>
std::vector<Item> run_dump(mnl_socket* sock, const std::vector<uint8_t>& req, int protocol,
                           Decode decode) {
  check(mnl_socket_sendto(sock, req.data(), req.size()), "mnl_socket_sendto", "sock_diag dump");
  std::vector<Item> out;
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE);
  for (int reads = 0; reads < 100'000; ++reads) {
    ssize_t n = check(mnl_socket_recvfrom(sock, buf.data(), buf.size()), "mnl_socket_recvfrom",
                      "sock_diag dump");
    if (decode({buf.data(), static_cast<size_t>(n)}, protocol, out)) return out;
  }
  throw std::runtime_error("sock_diag: the dump did not end");
}

}  // namespace

std::vector<InetSocketId> SockDiag::dump(int family, int protocol) {
  return run_dump<InetSocketId>(static_cast<mnl_socket*>(sock_),
                                sock_id_request(family, protocol, seq_++), protocol,
                                decode_sock_ids);
}

std::vector<InetSocketDiag> SockDiag::dump_details(int family, int protocol) {
  return run_dump<InetSocketDiag>(static_cast<mnl_socket*>(sock_),
                                  sock_detail_request(family, protocol, seq_++), protocol,
                                  decode_sock_details);
}

int SockDiag::destroy(const InetSocketId& s) {
  auto* sock = static_cast<mnl_socket*>(sock_);
  const uint32_t seq = seq_++;
  auto req = sock_destroy_request(s, seq);
  check(mnl_socket_sendto(sock, req.data(), req.size()), "mnl_socket_sendto", "SOCK_DESTROY");
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE);
  // Bounded: an answer to an older request (none are left pending) is passed over.
  for (int reads = 0; reads < 16; ++reads) {
    ssize_t n = check(mnl_socket_recvfrom(sock, buf.data(), buf.size()), "mnl_socket_recvfrom",
                      "SOCK_DESTROY");
    nlmsghdr h{};
    if (static_cast<size_t>(n) < sizeof h) continue;
    std::memcpy(&h, buf.data(), sizeof h);
    if (h.nlmsg_seq == seq) return decode_ack({buf.data(), static_cast<size_t>(n)});
  }
  throw std::runtime_error("sock_diag: no answer to SOCK_DESTROY");
}

std::vector<TcpSocketDiag> dump_tcp_sockets(int netns_fd) {
  struct Closer {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
  };
  std::unique_ptr<mnl_socket, Closer> sock;
  {
    std::optional<NetnsGuard> in;
    if (netns_fd >= 0) in.emplace(netns_fd);
    sock.reset(mnl_socket_open(NETLINK_SOCK_DIAG));
  }
  if (!sock) throw SysError("mnl_socket_open", "NETLINK_SOCK_DIAG", errno);
  timeval limit{2, 0};  // a dump that stalls is an error, not a hang
  check(::setsockopt(mnl_socket_get_fd(sock.get()), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit),
        "setsockopt", "SO_RCVTIMEO on NETLINK_SOCK_DIAG");
  check(mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID), "mnl_socket_bind", "NETLINK_SOCK_DIAG");
  std::vector<TcpSocketDiag> out;
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE);
  uint32_t seq = 1;
  for (int family : {AF_INET, AF_INET6}) {
    auto req = sock_diag_request(family, seq++);
    check(mnl_socket_sendto(sock.get(), req.data(), req.size()), "mnl_socket_sendto",
          "sock_diag dump");
    bool done = false;
    for (int reads = 0; !done && reads < 100'000; ++reads) {
      ssize_t n = check(mnl_socket_recvfrom(sock.get(), buf.data(), buf.size()),
                        "mnl_socket_recvfrom", "sock_diag dump");
      done = decode_sock_diag({buf.data(), static_cast<size_t>(n)}, out);
    }
    if (!done) throw std::runtime_error("sock_diag: the dump did not end");
  }
  return out;
}

}  // namespace ss::sys
