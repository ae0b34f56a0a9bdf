#include "sys/mptcp_pm.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>

#include <stdexcept>

#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::sys {
namespace {

constexpr size_t kMaxRequest = 256;

// A request header: netlink (type, flags, seq; the kernel fills the port) and generic netlink.
nlmsghdr* put_genl_header(NlBytes& buf, uint16_t type, uint8_t cmd, uint8_t version, uint32_t seq) {
  buf.assign(kMaxRequest, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq;
  auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  g->cmd = cmd;
  g->version = version;
  return nlh;
}

NlBytes finish(NlBytes& buf, const nlmsghdr* nlh) {
  buf.resize(nlh->nlmsg_len);
  return std::move(buf);
}

// The generic netlink message in msg (one netlink message), or nullptr.
const nlmsghdr* genl_message(const void* msg, size_t len) {
  const auto* nlh = static_cast<const nlmsghdr*>(msg);
  if (!mnl_nlmsg_ok(nlh, static_cast<int>(len))) return nullptr;
  if (nlh->nlmsg_type < NLMSG_MIN_TYPE) return nullptr;  // an error, ack or done
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(genlmsghdr)) return nullptr;
  return nlh;
}

template <typename Fn>
void each_attr(const nlmsghdr* nlh, Fn fn) {
  const auto* attr =
      static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(genlmsghdr)));
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (; mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr)));
       attr = mnl_attr_next(attr))
    fn(attr);
}

}  // namespace

NlBytes build_mptcp_family_request(uint32_t seq) {
  NlBytes buf;
  nlmsghdr* nlh = put_genl_header(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, seq);
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MPTCP_PM_NAME);
  return finish(buf, nlh);
}

std::optional<uint16_t> parse_family_id(const void* msg, size_t len) {
  const nlmsghdr* nlh = genl_message(msg, len);
  if (!nlh || nlh->nlmsg_type != GENL_ID_CTRL) return std::nullopt;
  std::optional<uint16_t> id;
  each_attr(nlh, [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) == 0)
      id = mnl_attr_get_u16(a);
  });
  return id;
}

NlBytes build_set_limits(uint16_t family, uint32_t seq, const MptcpLimits& limits) {
  NlBytes buf;
  nlmsghdr* nlh = put_genl_header(buf, family, MPTCP_PM_CMD_SET_LIMITS, MPTCP_PM_VER, seq);
  mnl_attr_put_u32(nlh, MPTCP_PM_ATTR_RCV_ADD_ADDRS, limits.add_addr_accepted);
  mnl_attr_put_u32(nlh, MPTCP_PM_ATTR_SUBFLOWS, limits.subflows);
  return finish(buf, nlh);
}

NlBytes build_get_limits(uint16_t family, uint32_t seq) {
  NlBytes buf;
  nlmsghdr* nlh = put_genl_header(buf, family, MPTCP_PM_CMD_GET_LIMITS, MPTCP_PM_VER, seq);
  return finish(buf, nlh);
}

NlBytes build_add_endpoint(uint16_t family, uint32_t seq, const MptcpEndpoint& ep) {
  unsigned char addr[16];
  uint16_t af = AF_INET;
  if (::inet_pton(AF_INET, ep.ip.c_str(), addr) != 1) {
    if (::inet_pton(AF_INET6, ep.ip.c_str(), addr) != 1)
      throw std::invalid_argument("MPTCP endpoint: not an IP address: " + ep.ip);
    af = AF_INET6;
  }
  NlBytes buf;
  nlmsghdr* nlh = put_genl_header(buf, family, MPTCP_PM_CMD_ADD_ADDR, MPTCP_PM_VER, seq);
  nlattr* nest = mnl_attr_nest_start(nlh, MPTCP_PM_ATTR_ADDR);
  mnl_attr_put_u16(nlh, MPTCP_PM_ADDR_ATTR_FAMILY, af);
  if (ep.id) mnl_attr_put_u8(nlh, MPTCP_PM_ADDR_ATTR_ID, ep.id);
  if (af == AF_INET)
    mnl_attr_put(nlh, MPTCP_PM_ADDR_ATTR_ADDR4, 4, addr);
  else
    mnl_attr_put(nlh, MPTCP_PM_ADDR_ATTR_ADDR6, 16, addr);
  if (ep.flags) mnl_attr_put_u32(nlh, MPTCP_PM_ADDR_ATTR_FLAGS, ep.flags);
  if (ep.ifindex)
    mnl_attr_put_u32(nlh, MPTCP_PM_ADDR_ATTR_IF_IDX, static_cast<uint32_t>(ep.ifindex));
  mnl_attr_nest_end(nlh, nest);
  return finish(buf, nlh);
}

std::optional<MptcpLimits> parse_limits(const void* msg, size_t len) {
  const nlmsghdr* nlh = genl_message(msg, len);
  if (!nlh) return std::nullopt;
  MptcpLimits l;
  int seen = 0;
  each_attr(nlh, [&](const nlattr* a) {
    if (mnl_attr_validate(a, MNL_TYPE_U32) != 0) return;
    if (mnl_attr_get_type(a) == MPTCP_PM_ATTR_RCV_ADD_ADDRS)
      l.add_addr_accepted = mnl_attr_get_u32(a), ++seen;
    if (mnl_attr_get_type(a) == MPTCP_PM_ATTR_SUBFLOWS) l.subflows = mnl_attr_get_u32(a), ++seen;
  });
  if (seen != 2) return std::nullopt;
  return l;
}

MptcpPm::MptcpPm(int netns_fd) {
  auto open = [this] {
    sock_ = mnl_socket_open(NETLINK_GENERIC);
    if (!sock_) throw SysError("mnl_socket_open", "NETLINK_GENERIC", errno);
  };
  if (netns_fd >= 0) {
    NetnsGuard in(netns_fd);
    open();
  } else {
    open();
  }
  if (mnl_socket_bind(sock_, 0, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(sock_);
    throw SysError("mnl_socket_bind", "NETLINK_GENERIC", err);
  }
  port_ = mnl_socket_get_portid(sock_);
  NlBytes reply;
  try {
    request(build_mptcp_family_request(seq_++), "resolve generic netlink family " MPTCP_PM_NAME,
            &reply);
  } catch (...) {
    mnl_socket_close(sock_);
    throw;
  }
  auto id = parse_family_id(reply.data(), reply.size());
  if (!id) {
    mnl_socket_close(sock_);
    throw SysError("CTRL_CMD_GETFAMILY", MPTCP_PM_NAME " (no family id in the reply)", EPROTO);
  }
  family_ = *id;
}

MptcpPm::~MptcpPm() {
  if (sock_) mnl_socket_close(sock_);
}

void MptcpPm::request(NlBytes msg, const std::string& what, NlBytes* out) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(msg.data());
  const uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(sock_, msg.data(), msg.size()) < 0)
    throw SysError("mnl_socket_sendto", what, errno);
  auto keep_first = [](const nlmsghdr* m, void* data) {
    auto* dst = static_cast<NlBytes*>(data);
    if (dst && dst->empty())
      dst->assign(reinterpret_cast<const uint8_t*>(m),
                  reinterpret_cast<const uint8_t*>(m) + m->nlmsg_len);
    return MNL_CB_OK;
  };
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
  // The data reply (if any) and the acknowledgement may arrive as separate datagrams.
  for (int i = 0; i < 8; ++i) {
    ssize_t n = mnl_socket_recvfrom(sock_, reply.data(), reply.size());
    if (n < 0) throw SysError("mnl_socket_recvfrom", what, errno);
    int rc = mnl_cb_run(reply.data(), static_cast<size_t>(n), seq, port_, keep_first, out);
    if (rc < 0) throw SysError("genetlink", what, errno);
    if (rc == MNL_CB_STOP) return;
  }
  throw SysError("genetlink", what + " (no acknowledgement)", EPROTO);
}

void MptcpPm::set_limits(const MptcpLimits& limits) {
  request(build_set_limits(family_, seq_++, limits), "MPTCP_PM_CMD_SET_LIMITS");
}

MptcpLimits MptcpPm::limits() {
  NlBytes reply;
  request(build_get_limits(family_, seq_++), "MPTCP_PM_CMD_GET_LIMITS", &reply);
  auto l = parse_limits(reply.data(), reply.size());
  if (!l) throw SysError("MPTCP_PM_CMD_GET_LIMITS", "no limits in the reply", EPROTO);
  return *l;
}

void MptcpPm::add_endpoint(const MptcpEndpoint& ep) {
  request(build_add_endpoint(family_, seq_++, ep), "MPTCP_PM_CMD_ADD_ADDR " + ep.ip);
}

}  // namespace ss::sys
