// SOCK_DESTROY requests and their acknowledgements, built and decoded without a kernel.
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <cstring>

#include "sys/sock_diag.hpp"

namespace ss::sys {
namespace {

TEST(ReapSockDestroy, RequestCarriesTheDumpedIdBack) {
  InetSocketId s;
  s.family = AF_INET;
  s.protocol = IPPROTO_TCP;
  s.src = {10, 9, 0, 2};
  s.dst = {192, 0, 2, 1};
  s.sport = 40000;
  s.dport = 7000;
  s.ifindex = 3;
  s.cookie = {0x1234, 0x5678};
  auto buf = sock_destroy_request(s, 9);
  ASSERT_EQ(buf.size(), NLMSG_LENGTH(sizeof(inet_diag_req_v2)));
  nlmsghdr h;
  std::memcpy(&h, buf.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_type, SOCK_DESTROY);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(h.nlmsg_seq, 9u);
  inet_diag_req_v2 r;
  std::memcpy(&r, buf.data() + NLMSG_HDRLEN, sizeof r);
  EXPECT_EQ(r.sdiag_family, AF_INET);
  EXPECT_EQ(r.sdiag_protocol, IPPROTO_TCP);
  EXPECT_EQ(ntohs(r.id.idiag_sport), 40000);
  EXPECT_EQ(ntohs(r.id.idiag_dport), 7000);
  EXPECT_EQ(std::memcmp(r.id.idiag_src, s.src.data(), 16), 0);
  EXPECT_EQ(std::memcmp(r.id.idiag_dst, s.dst.data(), 16), 0);
  EXPECT_EQ(r.id.idiag_if, 3u);
  EXPECT_EQ(r.id.idiag_cookie[0], 0x1234u);
  EXPECT_EQ(r.id.idiag_cookie[1], 0x5678u);
}

std::vector<uint8_t> ack(int error) {
  std::vector<uint8_t> buf(NLMSG_LENGTH(sizeof(nlmsgerr)), 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(buf.size());
  h.nlmsg_type = NLMSG_ERROR;
  std::memcpy(buf.data(), &h, sizeof h);
  std::memcpy(buf.data() + NLMSG_HDRLEN, &error, sizeof error);
  return buf;
}

TEST(ReapSockDestroy, AckDecodesSuccessAndErrno) {
  EXPECT_EQ(decode_ack(ack(0)), 0);
  EXPECT_EQ(decode_ack(ack(-EOPNOTSUPP)), EOPNOTSUPP);
  EXPECT_EQ(decode_ack(ack(-ENOENT)), ENOENT);
}

TEST(ReapSockDestroy, AnythingButAnAckIsRejected) {
  auto buf = ack(0);
  buf.resize(8);
  EXPECT_THROW(decode_ack(buf), std::runtime_error);
  auto done = ack(0);
  nlmsghdr h;
  std::memcpy(&h, done.data(), sizeof h);
  h.nlmsg_type = NLMSG_DONE;
  std::memcpy(done.data(), &h, sizeof h);
  EXPECT_THROW(decode_ack(done), std::runtime_error);
}

TEST(ReapSockDestroy, DumpRepliesDecodeIntoIds) {
  std::vector<uint8_t> buf(NLMSG_SPACE(sizeof(inet_diag_msg)) + NLMSG_HDRLEN, 0);
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(sizeof(inet_diag_msg));
  h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  std::memcpy(buf.data(), &h, sizeof h);
  inet_diag_msg m{};
  m.idiag_family = AF_INET6;
  m.idiag_state = 1;
  m.id.idiag_sport = htons(5353);
  m.id.idiag_dport = htons(53);
  m.id.idiag_src[0] = htonl(0x20010db8);
  m.id.idiag_cookie[0] = 77;
  m.idiag_inode = 4242;
  std::memcpy(buf.data() + NLMSG_HDRLEN, &m, sizeof m);
  nlmsghdr done{};
  done.nlmsg_len = NLMSG_HDRLEN;
  done.nlmsg_type = NLMSG_DONE;
  std::memcpy(buf.data() + NLMSG_SPACE(sizeof(inet_diag_msg)), &done, sizeof done);
  std::vector<InetSocketId> out;
  EXPECT_TRUE(decode_sock_ids(buf, IPPROTO_UDP, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].protocol, IPPROTO_UDP);
  EXPECT_EQ(out[0].family, AF_INET6);
  EXPECT_EQ(out[0].sport, 5353);
  EXPECT_EQ(out[0].dport, 53);
  EXPECT_EQ(out[0].cookie[0], 77u);
  EXPECT_EQ(out[0].inode, 4242u);
  EXPECT_EQ(local_text(out[0]), "[2001:db8::]:5353");
}

}  // namespace
}  // namespace ss::sys
