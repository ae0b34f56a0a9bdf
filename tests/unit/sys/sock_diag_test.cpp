// The sock_diag decoder: from replies hand-built per the kernel's layout (inet_diag_msg, an
// INET_DIAG_INFO attribute holding struct tcp_info) and from real replies of this kernel for a
// connection made on loopback in the test.
#include "sys/sock_diag.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "sys/fd.hpp"

namespace ss::sys {
namespace {

// Appends a netlink message (header, payload, padding) to buf.
void put_message(std::vector<uint8_t>& buf, uint16_t type, const std::vector<uint8_t>& payload) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(payload.size()));
  h.nlmsg_type = type;
  h.nlmsg_flags = NLM_F_MULTI;
  h.nlmsg_seq = 1;
  const size_t at = buf.size();
  buf.resize(at + NLMSG_ALIGN(h.nlmsg_len), 0);
  std::memcpy(buf.data() + at, &h, sizeof h);
  std::memcpy(buf.data() + at + NLMSG_HDRLEN, payload.data(), payload.size());
}

template <class T>
void append(std::vector<uint8_t>& out, const T& v, size_t size = sizeof(T)) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + size);
}

// 10.77.0.2:7001 <-> 10.66.0.2:40000, ESTABLISHED, with a tcp_info of `info_len` bytes.
std::vector<uint8_t> established_reply(size_t info_len) {
  inet_diag_msg m{};
  m.idiag_family = AF_INET;
  m.idiag_state = 1;  // TCP_ESTABLISHED (include/net/tcp_states.h)
  m.id.idiag_sport = htons(7001);
  m.id.idiag_dport = htons(40000);
  inet_pton(AF_INET, "10.77.0.2", m.id.idiag_src);
  inet_pton(AF_INET, "10.66.0.2", m.id.idiag_dst);
  m.idiag_rqueue = 0;
  m.idiag_wqueue = 3;
  m.idiag_inode = 123456;
  tcp_info ti{};
  ti.tcpi_state = 1;
  ti.tcpi_retransmits = 2;
  ti.tcpi_probes = 0;
  ti.tcpi_backoff = 1;
  ti.tcpi_rto = 408000;
  ti.tcpi_unacked = 3;
  ti.tcpi_last_data_sent = 1200;
  ti.tcpi_last_data_recv = 4850;
  ti.tcpi_last_ack_recv = 4840;
  ti.tcpi_total_retrans = 5;
  std::vector<uint8_t> payload;
  append(payload, m);
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + info_len);
  a.nla_type = INET_DIAG_INFO;
  append(payload, a);
  append(payload, ti, info_len);
  payload.resize(NLMSG_ALIGN(payload.size()), 0);
  std::vector<uint8_t> buf;
  put_message(buf, SOCK_DIAG_BY_FAMILY, payload);
  return buf;
}

TEST(SockDiagDecode, AnEstablishedSocketWithTcpInfo) {
  auto buf = established_reply(sizeof(tcp_info));
  put_message(buf, NLMSG_DONE, std::vector<uint8_t>(4, 0));
  std::vector<TcpSocketDiag> out;
  EXPECT_TRUE(decode_sock_diag(buf, out));
  ASSERT_EQ(out.size(), 1u);
  const auto& s = out[0];
  EXPECT_EQ(s.family, AF_INET);
  EXPECT_EQ(s.state, "ESTABLISHED");
  EXPECT_EQ(s.local, "10.77.0.2:7001");
  EXPECT_EQ(s.peer, "10.66.0.2:40000");
  EXPECT_EQ(s.local_port, 7001);
  EXPECT_EQ(s.peer_port, 40000);
  EXPECT_EQ(s.send_queue, 3u);
  EXPECT_EQ(s.inode, 123456u);
  ASSERT_TRUE(s.info);
  EXPECT_EQ(s.info->retransmits, 2);
  EXPECT_EQ(s.info->backoff, 1);
  EXPECT_EQ(s.info->rto_us, 408000u);
  EXPECT_EQ(s.info->unacked, 3u);
  EXPECT_EQ(s.info->last_data_sent_ms, 1200u);
  EXPECT_EQ(s.info->last_data_recv_ms, 4850u);
  EXPECT_EQ(s.info->last_ack_recv_ms, 4840u);
  EXPECT_EQ(s.info->total_retrans, 5u);
}

TEST(SockDiagDecode, AShortTcpInfoFromAnOlderKernelLeavesTheRestZero) {
  // Up to tcpi_last_data_recv included (the first 8 bytes of u8 fields, then u32 fields).
  const size_t len = offsetof(tcp_info, tcpi_last_ack_recv);
  auto buf = established_reply(len);
  std::vector<TcpSocketDiag> out;
  EXPECT_FALSE(decode_sock_diag(buf, out));  // no NLMSG_DONE yet: the dump goes on
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].info);
  EXPECT_EQ(out[0].info->last_data_recv_ms, 4850u);
  EXPECT_EQ(out[0].info->last_ack_recv_ms, 0u);
  EXPECT_EQ(out[0].info->total_retrans, 0u);
}

TEST(SockDiagDecode, AnErrorReplyThrowsWithItsErrno) {
  std::vector<uint8_t> payload;
  nlmsgerr e{};
  e.error = -EPERM;
  append(payload, e);
  std::vector<uint8_t> buf;
  put_message(buf, NLMSG_ERROR, payload);
  std::vector<TcpSocketDiag> out;
  try {
    decode_sock_diag(buf, out);
    FAIL() << "no exception";
  } catch (const std::runtime_error& err) {
    EXPECT_NE(std::string(err.what()).find("EPERM"), std::string::npos) << err.what();
  }
}

TEST(SockDiagDecode, ATruncatedMessageThrows) {
  auto buf = established_reply(sizeof(tcp_info));
  const std::span<const uint8_t> cut(buf.data(), buf.size() - 40);
  std::vector<TcpSocketDiag> out;
  EXPECT_THROW(decode_sock_diag(cut, out), std::runtime_error);
}

// Every prefix of a reply, and the reply with any one byte flipped, either decodes or throws
// std::runtime_error (the sanitizer build checks it reads nothing outside the buffer).
TEST(SockDiagDecode, CutOrCorruptedRepliesDecodeOrThrowNeverMore) {
  auto whole = established_reply(sizeof(tcp_info));
  put_message(whole, NLMSG_DONE, std::vector<uint8_t>(4, 0));
  int threw = 0;
  auto attempt = [&](std::span<const uint8_t> bytes) {
    std::vector<uint8_t> copy(bytes.begin(), bytes.end());  // exactly sized: overreads show
    std::vector<TcpSocketDiag> out;
    try {
      decode_sock_diag(copy, out);
    } catch (const std::runtime_error&) {
      ++threw;
    }
  };
  for (size_t len = 0; len <= whole.size(); ++len) attempt({whole.data(), len});
  EXPECT_GT(threw, 0);
  for (size_t i = 0; i < whole.size(); ++i) {
    auto corrupted = whole;
    corrupted[i] ^= 0xff;
    attempt(corrupted);
  }
}

TEST(SockDiagDecode, StateNames) {
  EXPECT_EQ(tcp_state_name(1), "ESTABLISHED");
  EXPECT_EQ(tcp_state_name(8), "CLOSE_WAIT");
  EXPECT_EQ(tcp_state_name(10), "LISTEN");
  EXPECT_EQ(tcp_state_name(12), "NEW_SYN_RECV");
  EXPECT_EQ(tcp_state_name(42), "STATE_42");
}

TEST(SockDiagRequest, AskForEveryTcpStateWithTcpInfo) {
  auto req = sock_diag_request(AF_INET6, 7);
  ASSERT_EQ(req.size(), NLMSG_LENGTH(sizeof(inet_diag_req_v2)));
  const auto* h = reinterpret_cast<const nlmsghdr*>(req.data());
  EXPECT_EQ(h->nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(h->nlmsg_seq, 7u);
  const auto* r = reinterpret_cast<const inet_diag_req_v2*>(req.data() + NLMSG_HDRLEN);
  EXPECT_EQ(r->sdiag_family, AF_INET6);
  EXPECT_EQ(r->sdiag_protocol, IPPROTO_TCP);
  EXPECT_EQ(r->idiag_ext, 1u << (INET_DIAG_INFO - 1));
  EXPECT_EQ(r->idiag_states, 0xffffffffu);
}

// Real replies: a connection on loopback, made here, as this kernel lists it.
uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

TEST(SockDiagDump, ListsARealLoopbackConnectionWithItsTcpInfo) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  a.sin_port = htons(port_of(listener.get()));
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  Fd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(server);
  ASSERT_EQ(::send(client.get(), "hello", 5, 0), 5);  // left unread: 5 bytes in Recv-Q
  const uint16_t lport = port_of(listener.get()), cport = port_of(client.get());

  const auto sockets = dump_tcp_sockets(-1);
  const TcpSocketDiag *accepted = nullptr, *listening = nullptr;
  for (const auto& s : sockets) {
    if (s.local_port == lport && s.peer_port == cport) accepted = &s;
    if (s.local_port == lport && s.state == "LISTEN") listening = &s;
  }
  ASSERT_NE(listening, nullptr);
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->state, "ESTABLISHED");
  EXPECT_EQ(accepted->local, "127.0.0.1:" + std::to_string(lport));
  EXPECT_EQ(accepted->peer, "127.0.0.1:" + std::to_string(cport));
  EXPECT_EQ(accepted->recv_queue, 5u);
  ASSERT_TRUE(accepted->info);
  EXPECT_EQ(accepted->info->unacked, 0u);
  EXPECT_EQ(accepted->info->retransmits, 0);
  EXPECT_GT(accepted->inode, 0u);
}

}  // namespace
}  // namespace ss::sys
