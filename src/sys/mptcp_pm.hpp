#pragma once
// The kernel's MPTCP in-kernel path manager over generic netlink (libmnl): what
// `ip mptcp limits set` and `ip mptcp endpoint add ADDR dev IFACE subflow` do, on a socket
// that lives in one network namespace. Message building is pure (tested byte by byte); the
// class only sends, receives and checks acknowledgements.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct mnl_socket;

namespace ss::sys {

struct MptcpLimits {
  uint32_t subflows = 0;           // additional subflows per connection
  uint32_t add_addr_accepted = 0;  // ADD_ADDR announcements accepted from the peer
};

struct MptcpEndpoint {
  std::string ip;      // IPv4 or IPv6 address, no prefix length
  int ifindex = 0;     // 0: no device
  uint32_t flags = 0;  // MPTCP_PM_ADDR_FLAG_* (SUBFLOW, SIGNAL, BACKUP, ...)
  uint8_t id = 0;      // 0: the kernel chooses
};

using NlBytes = std::vector<uint8_t>;

// ---- Pure message building and parsing ----
// CTRL_CMD_GETFAMILY for MPTCP_PM_NAME, to the generic netlink controller.
NlBytes build_mptcp_family_request(uint32_t seq);
// The family id in a CTRL_CMD_NEWFAMILY reply, if the message is one and carries it.
std::optional<uint16_t> parse_family_id(const void* msg, size_t len);
NlBytes build_set_limits(uint16_t family, uint32_t seq, const MptcpLimits& limits);
NlBytes build_get_limits(uint16_t family, uint32_t seq);
// Throws std::invalid_argument when ep.ip is not an IP address.
NlBytes build_add_endpoint(uint16_t family, uint32_t seq, const MptcpEndpoint& ep);
// The limits in a MPTCP_PM_CMD_GET_LIMITS reply.
std::optional<MptcpLimits> parse_limits(const void* msg, size_t len);

// ---- The kernel ----
class MptcpPm {
 public:
  // Opens a NETLINK_GENERIC socket inside the namespace behind netns_fd (-1: the caller's) and
  // resolves the "mptcp_pm" family. Throws SysError (ENOENT: the kernel has no MPTCP PM).
  explicit MptcpPm(int netns_fd);
  ~MptcpPm();
  MptcpPm(const MptcpPm&) = delete;
  MptcpPm& operator=(const MptcpPm&) = delete;

  uint16_t family() const { return family_; }
  void set_limits(const MptcpLimits& limits);
  MptcpLimits limits();
  void add_endpoint(const MptcpEndpoint& ep);

 private:
  // Sends msg and reads the reply; with `out`, the first non-ack message is copied there.
  void request(NlBytes msg, const std::string& what, NlBytes* out = nullptr);
  mnl_socket* sock_ = nullptr;
  unsigned port_ = 0;
  uint32_t seq_ = 1;
  uint16_t family_ = 0;
};

}  // namespace ss::sys
