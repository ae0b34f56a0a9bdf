// The detailed dump `run -- CMD` follows sockets with: id, cookie and queues for TCP and UDP,
// tcp_info for TCP only; from a hand-built reply and from this kernel's replies on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "sys/fd.hpp"
#include "sys/sock_diag.hpp"

namespace ss::sys {
namespace {

std::vector<uint8_t> reply(int protocol_state, bool with_info) {
  inet_diag_msg m{};
  m.idiag_family = AF_INET;
  m.idiag_state = static_cast<uint8_t>(protocol_state);
  m.id.idiag_sport = htons(40000);
  m.id.idiag_dport = htons(9000);
  inet_pton(AF_INET, "10.0.0.2", m.id.idiag_src);
  inet_pton(AF_INET, "198.51.100.10", m.id.idiag_dst);
  m.id.idiag_cookie[0] = 0x11;
  m.id.idiag_cookie[1] = 0x22;
  m.idiag_rqueue = 7;
  m.idiag_wqueue = 1500;
  m.idiag_inode = 4242;
  std::vector<uint8_t> payload(sizeof m);
  std::memcpy(payload.data(), &m, sizeof m);
  if (with_info) {
    tcp_info ti{};
    ti.tcpi_unacked = 2;
    ti.tcpi_retransmits = 3;
    ti.tcpi_total_retrans = 4;
    nlattr a{};
    a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + sizeof ti);
    a.nla_type = INET_DIAG_INFO;
    const size_t at = payload.size();
    payload.resize(at + NLA_HDRLEN + sizeof ti);
    std::memcpy(payload.data() + at, &a, sizeof a);
    std::memcpy(payload.data() + at + NLA_HDRLEN, &ti, sizeof ti);
    payload.resize(NLMSG_ALIGN(payload.size()), 0);
  }
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(payload.size()));
  h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  std::vector<uint8_t> buf(NLMSG_ALIGN(h.nlmsg_len), 0);
  std::memcpy(buf.data(), &h, sizeof h);
  std::memcpy(buf.data() + NLMSG_HDRLEN, payload.data(), payload.size());
  return buf;
}

TEST(SockDetails, TcpCarriesCookieQueuesAndTcpInfo) {
  std::vector<InetSocketDiag> out;
  EXPECT_FALSE(decode_sock_details(reply(1, true), IPPROTO_TCP, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id.protocol, IPPROTO_TCP);
  EXPECT_EQ(out[0].id.state, 1);
  EXPECT_EQ(out[0].id.cookie[0], 0x11u);
  EXPECT_EQ(out[0].id.cookie[1], 0x22u);
  EXPECT_EQ(out[0].id.inode, 4242u);
  EXPECT_EQ(local_text(out[0].id), "10.0.0.2:40000");
  EXPECT_EQ(peer_text(out[0].id), "198.51.100.10:9000");
  EXPECT_EQ(out[0].send_queue, 1500u);
  EXPECT_EQ(out[0].recv_queue, 7u);
  ASSERT_TRUE(out[0].info.has_value());
  EXPECT_EQ(out[0].info->unacked, 2u);
  EXPECT_EQ(out[0].info->retransmits, 3);
  EXPECT_EQ(out[0].info->total_retrans, 4u);
}

TEST(SockDetails, UdpHasNoTcpInfo) {
  std::vector<InetSocketDiag> out;
  decode_sock_details(reply(7, false), IPPROTO_UDP, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id.protocol, IPPROTO_UDP);
  EXPECT_FALSE(out[0].info.has_value());
}

TEST(SockDetails, TheRequestAsksTcpInfoForTcpOnly) {
  auto tcp = sock_detail_request(AF_INET, IPPROTO_TCP, 1);
  auto udp = sock_detail_request(AF_INET, IPPROTO_UDP, 2);
  inet_diag_req_v2 rt{}, ru{};
  std::memcpy(&rt, tcp.data() + NLMSG_HDRLEN, sizeof rt);
  std::memcpy(&ru, udp.data() + NLMSG_HDRLEN, sizeof ru);
  EXPECT_EQ(rt.idiag_ext, 1u << (INET_DIAG_INFO - 1));
  EXPECT_EQ(ru.idiag_ext, 0u);
  EXPECT_EQ(rt.sdiag_protocol, IPPROTO_TCP);
  EXPECT_EQ(ru.sdiag_protocol, IPPROTO_UDP);
}

uint64_t inode_of(int fd) {
  struct stat st {};
  fstat(fd, &st);
  return st.st_ino;
}

// A real UDP socket and a real TCP listener on loopback, found by their inodes in this
// namespace's dump (no root needed to dump one's own namespace).
TEST(SockDetails, TheKernelListsOurOwnSocketsByInode) {
  Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  Fd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(udp.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::bind(tcp.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(tcp.get(), 1), 0);
  SockDiag diag(-1);
  bool udp_seen = false, tcp_seen = false;
  for (const auto& d : diag.dump_details(AF_INET, IPPROTO_UDP))
    if (d.id.inode == inode_of(udp.get())) udp_seen = d.id.state == 7 && !d.info;
  for (const auto& d : diag.dump_details(AF_INET, IPPROTO_TCP))
    if (d.id.inode == inode_of(tcp.get())) tcp_seen = d.id.state == 10 && d.info.has_value();
  EXPECT_TRUE(udp_seen);
  EXPECT_TRUE(tcp_seen);
}

}  // namespace
}  // namespace ss::sys
