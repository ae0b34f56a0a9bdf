#include "sys/netlink.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::sys {

Prefix Prefix::parse(const std::string& text) {
  Prefix p;
  auto slash = text.find('/');
  std::string ip = text.substr(0, slash);
  if (::inet_pton(AF_INET, ip.c_str(), p.addr) == 1)
    p.family = AF_INET;
  else if (::inet_pton(AF_INET6, ip.c_str(), p.addr) == 1)
    p.family = AF_INET6;
  else
    throw std::invalid_argument("not an IP address: " + text);
  const int max = p.family == AF_INET ? 32 : 128;
  if (slash == std::string::npos) {
    p.len = max;
  } else {
    size_t used = 0;
    std::string len = text.substr(slash + 1);
    try {
      p.len = std::stoi(len, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != len.size() || p.len < 0 || p.len > max)
      throw std::invalid_argument("bad prefix length: " + text);
  }
  return p;
}

Prefix Prefix::host(const std::string& ip) {
  Prefix p = parse(ip);
  p.len = p.family == AF_INET ? 32 : 128;
  return p;
}

Prefix Prefix::network() const {
  Prefix p = *this;
  const int bytes = family == AF_INET ? 4 : 16;
  for (int i = 0; i < bytes; ++i) {
    int keep = std::clamp(len - i * 8, 0, 8);
    p.addr[i] &= static_cast<unsigned char>(0xff00 >> keep);
  }
  return p;
}

namespace {
size_t addr_size(int family) {
  return family == AF_INET ? 4 : 16;
}
}  // namespace

Netlink::Netlink(int netns_fd) {
  auto open = [this] {
    sock_ = mnl_socket_open(NETLINK_ROUTE);
    if (!sock_) throw SysError("mnl_socket_open", "NETLINK_ROUTE", errno);
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
    throw SysError("mnl_socket_bind", "NETLINK_ROUTE", err);
  }
  port_ = mnl_socket_get_portid(sock_);
}

Netlink::~Netlink() {
  if (sock_) mnl_socket_close(sock_);
}

void Netlink::request(void* buf, const std::string& what) {
  auto* nlh = static_cast<nlmsghdr*>(buf);
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq_++;
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0)
    throw SysError("mnl_socket_sendto", what, errno);
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
  ssize_t n = mnl_socket_recvfrom(sock_, reply.data(), reply.size());
  if (n < 0) throw SysError("mnl_socket_recvfrom", what, errno);
  if (mnl_cb_run(reply.data(), static_cast<size_t>(n), nlh->nlmsg_seq, port_, nullptr, nullptr) < 0)
    throw SysError("rtnetlink", what, errno);
}

void Netlink::add_veth(const std::string& name, const std::string& peer, int peer_netns_fd) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  nlattr* peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  // The peer's attributes follow its own ifinfomsg.
  nlh->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer.c_str());
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  mnl_attr_nest_end(nlh, peer_attr);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  request(nlh, "add veth " + name + " peer " + peer);
}

int Netlink::ifindex(const std::string& ifname) {
  return link_state(ifname).index;
}

Netlink::LinkState Netlink::link_state(const std::string& ifname) {
  // if_nametoindex would look in the caller's namespace; ask this socket's namespace instead.
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = seq_++;
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname.c_str());
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0)
    throw SysError("mnl_socket_sendto", "get link " + ifname, errno);
  ssize_t n = mnl_socket_recvfrom(sock_, buf.data(), buf.size());
  if (n < 0) throw SysError("mnl_socket_recvfrom", "get link " + ifname, errno);
  auto* reply = reinterpret_cast<nlmsghdr*>(buf.data());
  if (reply->nlmsg_type == NLMSG_ERROR) {
    auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(reply));
    throw SysError("rtnetlink", "get link " + ifname, -err->error);
  }
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(reply));
  LinkState state;
  state.index = ifi->ifi_index;
  state.flags = ifi->ifi_flags;
  mnl_attr_parse(
      reply, sizeof(ifinfomsg),
      [](const nlattr* a, void* data) {
        if (mnl_attr_get_type(a) == IFLA_OPERSTATE && mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
          static_cast<LinkState*>(data)->operstate = mnl_attr_get_u8(a);
        return MNL_CB_OK;
      },
      &state);
  return state;
}

void Netlink::set_up(const std::string& ifname) {
  int index = ifindex(ifname);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_index = index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  request(nlh, "set " + ifname + " up");
}

void Netlink::set_down(const std::string& ifname) {
  int index = ifindex(ifname);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_index = index;
  ifi->ifi_flags = 0;
  ifi->ifi_change = IFF_UP;
  request(nlh, "set " + ifname + " down");
}

void Netlink::delete_link(const std::string& ifname) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_DELLINK;
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname.c_str());
  request(nlh, "delete link " + ifname);
}

void Netlink::add_address(const std::string& ifname, const Prefix& p, bool nodad) {
  int index = ifindex(ifname);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<unsigned char>(p.family);
  ifa->ifa_prefixlen = static_cast<unsigned char>(p.len);
  ifa->ifa_index = static_cast<unsigned>(index);
  ifa->ifa_flags = nodad && p.family == AF_INET6 ? IFA_F_NODAD : 0;
  mnl_attr_put(nlh, IFA_LOCAL, addr_size(p.family), p.addr);
  mnl_attr_put(nlh, IFA_ADDRESS, addr_size(p.family), p.addr);
  request(nlh, "add address on " + ifname);
}

void Netlink::delete_address(const std::string& ifname, const Prefix& p) {
  int index = ifindex(ifname);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_DELADDR;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<unsigned char>(p.family);
  ifa->ifa_prefixlen = static_cast<unsigned char>(p.len);
  ifa->ifa_index = static_cast<unsigned>(index);
  mnl_attr_put(nlh, IFA_LOCAL, addr_size(p.family), p.addr);
  request(nlh, "delete address on " + ifname);
}

void Netlink::add_route(const Prefix& dst, const std::string& gateway, const std::string& dev) {
  add_route_in_table(dst, gateway, dev, RT_TABLE_MAIN);
}

void Netlink::delete_route(const Prefix& dst, const std::string& dev) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_DELROUTE;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<unsigned char>(dst.family);
  rtm->rtm_dst_len = static_cast<unsigned char>(dst.len);
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_scope = RT_SCOPE_NOWHERE;
  if (dst.len > 0) mnl_attr_put(nlh, RTA_DST, addr_size(dst.family), dst.addr);
  if (!dev.empty()) mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(ifindex(dev)));
  request(nlh, "delete route on " + dev);
}

void Netlink::add_route_in_table(const Prefix& dst_in, const std::string& gateway,
                                 const std::string& dev, uint32_t table) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  const Prefix dst = dst_in.network();
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<unsigned char>(dst.family);
  rtm->rtm_dst_len = static_cast<unsigned char>(dst.len);
  rtm->rtm_table = static_cast<unsigned char>(table < 256 ? table : RT_TABLE_UNSPEC);
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = gateway.empty() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_TABLE, table);
  if (dst.len > 0) mnl_attr_put(nlh, RTA_DST, addr_size(dst.family), dst.addr);
  if (!gateway.empty()) {
    Prefix gw = Prefix::host(gateway);
    mnl_attr_put(nlh, RTA_GATEWAY, addr_size(gw.family), gw.addr);
  }
  if (!dev.empty()) mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(ifindex(dev)));
  request(nlh, "add route via " + (gateway.empty() ? dev : gateway) + " in table " +
                   std::to_string(table));
}

void Netlink::add_rule(const Prefix& from_in, uint32_t table, uint32_t priority) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  const Prefix from = from_in.network();
  nlh->nlmsg_type = RTM_NEWRULE;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = static_cast<unsigned char>(from.family);
  frh->src_len = static_cast<unsigned char>(from.len);
  frh->table = static_cast<unsigned char>(table < 256 ? table : RT_TABLE_UNSPEC);
  frh->action = FR_ACT_TO_TBL;
  if (from.len > 0) mnl_attr_put(nlh, FRA_SRC, addr_size(from.family), from.addr);
  mnl_attr_put_u32(nlh, FRA_TABLE, table);
  mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
  request(nlh, "add rule lookup " + std::to_string(table));
}

void write_sysctl(int netns_fd, const std::string& key, const std::string& value) {
  NetnsGuard in(netns_fd);
  const std::string path = "/proc/sys/" + key;
  std::ofstream f(path);
  f << value;
  f.close();
  if (!f) throw SysError("write", path, errno ? errno : EIO);
}

std::string read_sysctl(int netns_fd, const std::string& key) {
  NetnsGuard in(netns_fd);
  const std::string path = "/proc/sys/" + key;
  std::ifstream f(path);
  std::string value;
  std::getline(f, value);
  if (!f) throw SysError("read", path, errno ? errno : EIO);
  return value;
}

}  // namespace ss::sys
