#pragma once
// TCP sockets as the kernel lists them through sock_diag (NETLINK_SOCK_DIAG, inet_diag_req_v2
// with INET_DIAG_INFO for struct tcp_info). The decoder is pure (bytes in, values out) so it is
// tested from hand-built and captured replies; the dump opens its socket inside a namespace.
#include <array>
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

// --- Destroying sockets (SOCK_DESTROY, the kernel's CONFIG_INET_DIAG_DESTROY) ---

// A socket exactly as the kernel names it in a dump: what a SOCK_DESTROY request must send
// back (addresses, ports, bound interface and cookie) to reach that one socket.
struct InetSocketId {
  int family = 0;    // AF_INET or AF_INET6 (an IPv6 socket may carry v4-mapped addresses)
  int protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
  int state = 0;     // the kernel's TCP state number (a connected UDP socket is ESTABLISHED)
  std::array<uint8_t, 16> src{}, dst{};  // network byte order; the first 4 bytes for IPv4
  uint16_t sport = 0, dport = 0;         // host byte order
  uint32_t ifindex = 0;                  // the interface it is bound to, 0 for none
  std::array<uint32_t, 2> cookie{};
  uint64_t inode = 0;
};

// "IP:PORT" ("[IPv6]:PORT") of the local or the peer end.
std::string local_text(const InetSocketId& s);
std::string peer_text(const InetSocketId& s);

// A dump request for every socket of `family` x `protocol` in every state (no extensions).
std::vector<uint8_t> sock_id_request(int family, int protocol, uint32_t seq);
// Decodes dump replies into ids (as decode_sock_diag does, same errors).
bool decode_sock_ids(std::span<const uint8_t> buf, int protocol, std::vector<InetSocketId>& out);
// The SOCK_DESTROY request for one socket (with NLM_F_ACK: the kernel answers 0 or an errno).
std::vector<uint8_t> sock_destroy_request(const InetSocketId& s, uint32_t seq);
// The errno of an acknowledgement (NLMSG_ERROR; 0 for success); throws std::runtime_error if
// the buffer holds no acknowledgement.
int decode_ack(std::span<const uint8_t> buf);

// A TCP or UDP socket with its queues and, for TCP, its tcp_info: what `run -- CMD` follows,
// by cookie, through a run. The kernel's sk_err (what SO_ERROR would return) is not in
// sock_diag's reply: the state, the queues and tcp_info are what is known from outside.
struct InetSocketDiag {
  InetSocketId id;
  uint32_t recv_queue = 0, send_queue = 0;  // idiag_rqueue, idiag_wqueue
  std::optional<TcpInfoView> info;          // TCP only, when the reply carried INET_DIAG_INFO
};

// A dump request for every socket of `family` x `protocol`, with INET_DIAG_INFO for TCP.
std::vector<uint8_t> sock_detail_request(int family, int protocol, uint32_t seq);
// Decodes its replies (same errors as decode_sock_diag).
bool decode_sock_details(std::span<const uint8_t> buf, int protocol,
                         std::vector<InetSocketDiag>& out);

// One NETLINK_SOCK_DIAG socket opened in a namespace, for dumps and destroys.
class SockDiag {
 public:
  explicit SockDiag(int netns_fd);  // -1: the caller's namespace; throws SysError
  ~SockDiag();
  SockDiag(const SockDiag&) = delete;
  SockDiag& operator=(const SockDiag&) = delete;

  std::vector<InetSocketId> dump(int family, int protocol);
  std::vector<InetSocketDiag> dump_details(int family, int protocol);
  // SOCK_DESTROY of one socket: 0, or the kernel's errno (EOPNOTSUPP: no
  // CONFIG_INET_DIAG_DESTROY or no destroy for that protocol; EPERM: no CAP_NET_ADMIN;
  // ENOENT: the socket is gone).
  int destroy(const InetSocketId& s);

 private:
  void* sock_ = nullptr;  // mnl_socket
  uint32_t seq_ = 1;
};

}  // namespace ss::sys
