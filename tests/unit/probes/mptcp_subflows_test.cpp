// Decoding what MPTCP_SUBFLOW_ADDRS / MPTCP_TCPINFO return, and the `subflows` event's shape.
#include "probes/mptcp_subflows.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/mptcp.h>
#include <netinet/tcp.h>

#include <cstring>
#include <vector>

#include "probes/mptcp_agent.hpp"

namespace {

using ss::probes::Subflow;
using ss::probes::SubflowView;

sockaddr_in v4(const char* ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

// A buffer as the kernel fills it: header, then `n` elements of `size` bytes.
template <typename T>
std::vector<uint8_t> kernel_buffer(const std::vector<T>& items, uint32_t num_subflows,
                                   uint32_t size = sizeof(T)) {
  mptcp_subflow_data head{};
  head.size_subflow_data = sizeof head;
  head.num_subflows = num_subflows;
  head.size_kernel = sizeof(T);
  head.size_user = size;
  std::vector<uint8_t> buf(sizeof head + items.size() * size);
  std::memcpy(buf.data(), &head, sizeof head);
  for (size_t i = 0; i < items.size(); ++i)
    std::memcpy(buf.data() + sizeof head + i * size, &items[i], std::min<size_t>(size, sizeof(T)));
  return buf;
}

mptcp_subflow_addrs addrs(const char* local, int lport, const char* remote, int rport) {
  mptcp_subflow_addrs a{};
  a.sin_local = v4(local, lport);
  a.sin_remote = v4(remote, rport);
  return a;
}

tcp_info info(int state, uint32_t rtt, uint8_t retransmits, uint8_t probes) {
  tcp_info t{};
  t.tcpi_state = static_cast<uint8_t>(state);
  t.tcpi_rtt = rtt;
  t.tcpi_retransmits = retransmits;
  t.tcpi_probes = probes;
  t.tcpi_backoff = probes;
  t.tcpi_total_retrans = 7;
  return t;
}

TEST(MptcpSubflows, DecodesAddressesAndPairsTcpInfoByPosition) {
  auto a =
      kernel_buffer<mptcp_subflow_addrs>({addrs("10.8.0.42", 40000, "198.51.100.10", 7005),
                                          addrs("192.168.1.100", 40001, "198.51.100.10", 7005)},
                                         2);
  auto t =
      kernel_buffer<tcp_info>({info(TCP_ESTABLISHED, 500, 0, 3), info(TCP_CLOSE, 30, 2, 0)}, 2);
  SubflowView v = ss::probes::decode_subflows(a.data(), a.size(), t.data(), t.size());
  ASSERT_EQ(v.subflows.size(), 2u);
  EXPECT_EQ(v.count, 2u);
  EXPECT_EQ(ss::probes::path_text(v.subflows[0]), "10.8.0.42:40000->198.51.100.10:7005");
  EXPECT_EQ(v.subflows[0].state, "ESTABLISHED");
  EXPECT_EQ(v.subflows[0].probes, 3u);
  EXPECT_EQ(v.subflows[0].rtt_us, 500u);
  EXPECT_EQ(v.subflows[1].local, "192.168.1.100:40001");
  EXPECT_EQ(v.subflows[1].state, "CLOSE");
  EXPECT_EQ(v.subflows[1].retransmits, 2u);
  EXPECT_EQ(v.subflows[1].total_retrans, 7u);
}

TEST(MptcpSubflows, MoreSubflowsThanTheBufferHeldAreCountedNotInvented) {
  auto a = kernel_buffer<mptcp_subflow_addrs>({addrs("10.0.0.1", 1, "10.0.0.2", 2)}, 3);
  SubflowView v = ss::probes::decode_subflows(a.data(), a.size(), nullptr, 0);
  EXPECT_EQ(v.count, 3u);
  ASSERT_EQ(v.subflows.size(), 1u);
  EXPECT_EQ(v.subflows[0].state, "");  // no MPTCP_TCPINFO: state unknown
}

TEST(MptcpSubflows, AShorterKernelElementIsReadAsFarAsItGoes) {
  // A kernel whose tcp_info ends after the first 8 bytes (state ... options).
  auto t = kernel_buffer<tcp_info>({info(TCP_SYN_SENT, 0, 1, 0)}, 1, 8);
  auto a = kernel_buffer<mptcp_subflow_addrs>({addrs("10.0.0.1", 1, "10.0.0.2", 2)}, 1);
  SubflowView v = ss::probes::decode_subflows(a.data(), a.size(), t.data(), t.size());
  ASSERT_EQ(v.subflows.size(), 1u);
  EXPECT_EQ(v.subflows[0].state, "SYN_SENT");
  EXPECT_EQ(v.subflows[0].retransmits, 1u);
  EXPECT_EQ(v.subflows[0].total_retrans, 0u);  // beyond the kernel's element
}

TEST(MptcpSubflows, MalformedBuffersGiveAnEmptyView) {
  std::vector<uint8_t> tiny(4, 0);
  EXPECT_TRUE(ss::probes::decode_subflows(tiny.data(), tiny.size(), nullptr, 0).subflows.empty());
  auto a = kernel_buffer<mptcp_subflow_addrs>({addrs("10.0.0.1", 1, "10.0.0.2", 2)}, 1);
  mptcp_subflow_data bad{};
  bad.size_subflow_data = 4096;  // claims a header longer than the buffer
  bad.size_user = sizeof(mptcp_subflow_addrs);
  std::memcpy(a.data(), &bad, sizeof bad);
  EXPECT_TRUE(ss::probes::decode_subflows(a.data(), a.size(), nullptr, 0).subflows.empty());
}

TEST(MptcpSubflows, StateNames) {
  EXPECT_EQ(ss::probes::tcp_state_name(TCP_ESTABLISHED), "ESTABLISHED");
  EXPECT_EQ(ss::probes::tcp_state_name(TCP_CLOSE_WAIT), "CLOSE_WAIT");
  EXPECT_EQ(ss::probes::tcp_state_name(0), "STATE0");
  EXPECT_EQ(ss::probes::tcp_state_name(99), "STATE99");
}

TEST(MptcpSubflows, KeyChangesWithPathsStatesAndTimeoutsNotWithRtt) {
  SubflowView v;
  v.count = 1;
  v.subflows.push_back({"10.8.0.42:1", "198.51.100.10:7005", "ESTABLISHED", 500, 0, 0, 0, 0, 0});
  const std::string base = ss::probes::view_key(v);
  SubflowView rtt = v;
  rtt.subflows[0].rtt_us = 900;
  rtt.subflows[0].unacked = 3;
  EXPECT_EQ(ss::probes::view_key(rtt), base);
  SubflowView probed = v;
  probed.subflows[0].probes = 1;
  EXPECT_NE(ss::probes::view_key(probed), base);
  SubflowView retrans = v;
  retrans.subflows[0].retransmits = 1;
  EXPECT_NE(ss::probes::view_key(retrans), base);
  SubflowView closed = v;
  closed.subflows[0].state = "CLOSE";
  EXPECT_NE(ss::probes::view_key(closed), base);
  SubflowView more = v;
  more.count = 2;
  more.subflows.push_back(
      {"192.168.1.100:2", "198.51.100.10:7005", "ESTABLISHED", 30, 0, 0, 0, 0, 0});
  EXPECT_NE(ss::probes::view_key(more), base);
}

TEST(MptcpSubflows, EventFieldsListPathsAndDetail) {
  SubflowView v;
  v.count = 2;
  v.subflows.push_back({"10.8.0.42:1", "198.51.100.10:7005", "ESTABLISHED", 500, 0, 2, 1, 1, 0});
  v.subflows.push_back({"192.168.1.100:2", "198.51.100.10:7005", "ESTABLISHED", 30, 0, 0, 0, 0, 1});
  auto f = ss::probes::view_fields(v);
  EXPECT_EQ(f["count"], 2);
  EXPECT_EQ(f["list"], nlohmann::json({"10.8.0.42:1->198.51.100.10:7005",
                                       "192.168.1.100:2->198.51.100.10:7005"}));
  EXPECT_EQ(f["detail"][0]["probes"], 1);
  EXPECT_EQ(f["detail"][1]["unacked"], 1);
  EXPECT_EQ(f["fallback"], false);
  EXPECT_FALSE(f.contains("error"));
  v.fallback = true;
  v.error = "EOPNOTSUPP";
  EXPECT_EQ(ss::probes::view_fields(v)["error"], "EOPNOTSUPP");
}

TEST(MptcpAgent, SetupFailureExplainsARefusedMptcpSocket) {
  auto refused = ss::probes::mptcp_setup_failure("socket(IPPROTO_MPTCP)", ENOPROTOOPT);
  EXPECT_EQ(refused["error"], "ENOPROTOOPT");
  EXPECT_NE(refused.value("reason", "").find("net.mptcp.enabled"), std::string::npos);
  auto unreachable = ss::probes::mptcp_setup_failure("connect", ECONNREFUSED);
  EXPECT_EQ(unreachable["error"], "ECONNREFUSED");
  EXPECT_EQ(unreachable["op"], "connect");
  EXPECT_FALSE(unreachable.contains("reason"));
}

}  // namespace
