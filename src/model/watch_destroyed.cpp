#include "model/watch_destroyed.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

namespace ss {
namespace {

const char* tcp_state(unsigned s) {
  static constexpr std::array<const char*, 13> names = {
      "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  return s < names.size() ? names[s] : "UNKNOWN";
}

std::string address(int family, const uint32_t (&words)[4]) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, words, buf, sizeof buf);
  return buf;
}

std::string proto_name(unsigned p) {
  if (p == IPPROTO_TCP) {
    return "tcp";
  }
  if (p == IPPROTO_UDP) {
    return "udp";
  }
  return fmt::format("proto {}", p);
}

// INET_DIAG_PROTOCOL among the attributes after the fixed message, if present.
std::string protocol(std::span<const uint8_t> attrs) {
  size_t off = 0;
  while (off + sizeof(nlattr) <= attrs.size()) {
    nlattr a{};
    std::memcpy(&a, attrs.data() + off, sizeof a);
    if (a.nla_len < sizeof(nlattr) || off + a.nla_len > attrs.size()) {
      break;
    }
    if ((a.nla_type & NLA_TYPE_MASK) == INET_DIAG_PROTOCOL && a.nla_len >= sizeof(nlattr) + 1) {
      return proto_name(attrs[off + sizeof(nlattr)]);
    }
    off += NLA_ALIGN(a.nla_len);
  }
  return "";
}

}  // namespace

std::optional<DestroyedSocket> parse_destroyed(std::span<const uint8_t> payload) {
  inet_diag_msg m{};
  if (payload.size() < sizeof m) {
    return std::nullopt;
  }
  std::memcpy(&m, payload.data(), sizeof m);
  if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6) {
    return std::nullopt;
  }
  DestroyedSocket s;
  s.family = m.idiag_family == AF_INET ? "inet" : "inet6";
  s.state = tcp_state(m.idiag_state);
  s.src = address(m.idiag_family, m.id.idiag_src);
  s.dst = address(m.idiag_family, m.id.idiag_dst);
  s.sport = ntohs(m.id.idiag_sport);
  s.dport = ntohs(m.id.idiag_dport);
  s.ifindex = m.id.idiag_if;
  s.cookie = (uint64_t{m.id.idiag_cookie[1]} << 32) | m.id.idiag_cookie[0];
  s.uid = m.idiag_uid;
  s.inode = m.idiag_inode;
  s.rqueue = m.idiag_rqueue;
  s.wqueue = m.idiag_wqueue;
  s.proto = protocol(payload.subspan(NLMSG_ALIGN(sizeof m) <= payload.size() ? NLMSG_ALIGN(sizeof m)
                                                                             : payload.size()));
  return s;
}

nlohmann::json to_json(const DestroyedSocket& s) {
  return {{"family", s.family}, {"proto", s.proto}, {"state", s.state},   {"src", s.src},
          {"sport", s.sport},   {"dst", s.dst},     {"dport", s.dport},   {"ifindex", s.ifindex},
          {"uid", s.uid},       {"inode", s.inode}, {"rqueue", s.rqueue}, {"wqueue", s.wqueue}};
}

}  // namespace ss
