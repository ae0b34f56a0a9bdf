#pragma once
// TCP sockets as the kernel lists them through sock_diag (NETLINK_SOCK_DIAG, inet_diag_req_v2
// with INET_DIAG_INFO for struct tcp_info). The decoder is pure (bytes in, values out) so it is
// tested from hand-built and captured replies; the dump opens its socket inside a namespace.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ss::sys {

// The part of struct tcp_info the lab reads.
struct TcpInfoView {
  int retransmits = 0;  // tcpi_retransmits: consecutive RTO retransmissions now
  int probes = 0;       // tcpi_probes: unanswered zero-window/keepalive probes
  int backoff = 0;      // tcpi_backoff
  uint32_t rto_us = 0;
  uint32_t unacked = 0;  // segments sent and not acknowledged
  uint32_t last_data_sent_ms = 0;
  uint32_t last_data_recv_ms = 0;  // ms since data last arrived
  uint32_t last_ack_recv_ms = 0;   // ms since an ACK last arrived
  uint32_t total_retrans = 0;
};

struct TcpSocketDiag {
  int family = 0;           // AF_INET or AF_INET6
  std::string state;        // "ESTABLISHED", "CLOSE_WAIT", ... (the kernel's TCP state)
  std::string local, peer;  // "IP:PORT" ("[IPv6]:PORT")
  uint16_t local_port = 0, peer_port = 0;
  uint32_t recv_queue = 0, send_queue = 0;  // idiag_rqueue, idiag_wqueue
  uint64_t inode = 0;
  std::optional<TcpInfoView> info;  // absent when the reply carried no INET_DIAG_INFO
};

// The kernel's name of a TCP state number (TCP_ESTABLISHED=1 ... TCP_NEW_SYN_RECV=12).
std::string tcp_state_name(int state);

// The request a dump sends: every TCP socket of `family` in every state, with tcp_info.
std::vector<uint8_t> sock_diag_request(int family, uint32_t seq);

// Decodes one buffer of replies (several netlink messages). Appends the sockets to `out`.
// Returns true when the dump's NLMSG_DONE was in it. Throws std::runtime_error for an
// NLMSG_ERROR reply (with its errno) or a message shorter than its header says.
bool decode_sock_diag(std::span<const uint8_t> buf, std::vector<TcpSocketDiag>& out);

// Every TCP socket (IPv4 and IPv6) in the network namespace behind netns_fd (-1: the
// caller's). Throws SysError for a failed socket call.
std::vector<TcpSocketDiag> dump_tcp_sockets(int netns_fd);

}  // namespace ss::sys
