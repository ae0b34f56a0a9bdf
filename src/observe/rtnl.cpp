#include "observe/rtnl.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::observe {
namespace {

std::string addr_text(int family, const void* data) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, data, buf, sizeof buf);
  return buf;
}

const char* table_name(unsigned t) {
  switch (t) {
    case RT_TABLE_MAIN:
      return "main";
    case RT_TABLE_LOCAL:
      return "local";
    case RT_TABLE_DEFAULT:
      return "default";
    default:
      return nullptr;
  }
}

const char* route_type(unsigned t) {
  switch (t) {
    case RTN_UNICAST:
      return "unicast";
    case RTN_LOCAL:
      return "local";
    case RTN_BROADCAST:
      return "broadcast";
    case RTN_MULTICAST:
      return "multicast";
    case RTN_UNREACHABLE:
      return "unreachable";
    case RTN_BLACKHOLE:
      return "blackhole";
    case RTN_PROHIBIT:
      return "prohibit";
    default:
      return "other";
  }
}

// Attribute table of a message after its fixed header.
template <class Hdr>
std::map<int, const nlattr*> attrs(const nlmsghdr* nlh) {
  std::map<int, const nlattr*> out;
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(Hdr)));
  while (mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)))) {
    out[mnl_attr_get_type(a)] = a;
    a = static_cast<const nlattr*>(mnl_attr_next(a));
  }
  return out;
}

// IFLA_INFO_KIND inside IFLA_LINKINFO ("tun", "wireguard", "veth", ...), or "" when absent.
std::string link_kind(std::map<int, const nlattr*>& a) {
  if (!a.count(IFLA_LINKINFO)) return "";
  const nlattr* nested = a[IFLA_LINKINFO];
  const char* end =
      static_cast<const char*>(mnl_attr_get_payload(nested)) + mnl_attr_get_payload_len(nested);
  auto* attr = static_cast<const nlattr*>(mnl_attr_get_payload(nested));
  while (mnl_attr_ok(attr, static_cast<int>(end - reinterpret_cast<const char*>(attr)))) {
    if (mnl_attr_get_type(attr) == IFLA_INFO_KIND && mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
      return mnl_attr_get_str(attr);
    attr = static_cast<const nlattr*>(mnl_attr_next(attr));
  }
  return "";
}

}  // namespace

std::string RtnlDecoder::ifname(int index) const {
  auto it = names_.find(index);
  return it == names_.end() ? fmt::format("if{}", index) : it->second;
}

std::optional<Event> RtnlDecoder::decode(const nlmsghdr* nlh) {
  const uint16_t type = nlh->nlmsg_type;
  if (type == RTM_NEWLINK || type == RTM_DELLINK) {
    if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::nullopt;
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    auto a = attrs<ifinfomsg>(nlh);
    std::string name =
        a.count(IFLA_IFNAME) ? mnl_attr_get_str(a[IFLA_IFNAME]) : ifname(ifi->ifi_index);
    names_[ifi->ifi_index] = name;
    Event e;
    e.layer = Layer::link;
    e.detail = {{"ifname", name}, {"index", ifi->ifi_index}};
    const unsigned flags = ifi->ifi_flags;
    const bool up = flags & IFF_UP, lower_up = flags & IFF_LOWER_UP;
    e.detail["up"] = up;
    e.detail["lower_up"] = lower_up;
    // What kind of link it is (a watcher tells tunnels from physical links by these).
    e.detail["link_kind"] = link_kind(a);
    e.detail["link_type"] = ifi->ifi_type;
    e.detail["pointopoint"] = (flags & IFF_POINTOPOINT) != 0;
    if (type == RTM_DELLINK) {
      e.kind = "removed";
      flags_.erase(ifi->ifi_index);
      return e;
    }
    auto prev = flags_.find(ifi->ifi_index);
    const bool known = prev != flags_.end();
    const unsigned before = known ? prev->second : 0;
    flags_[ifi->ifi_index] = flags;
    if (!known) {
      e.kind = "added";
    } else {
      const unsigned changed = before ^ flags;
      if (!(changed & (IFF_UP | IFF_LOWER_UP | IFF_RUNNING))) return std::nullopt;
      e.kind = up && lower_up ? "up" : "down";
    }
    return e;
  }
  if (type == RTM_NEWADDR || type == RTM_DELADDR) {
    if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::nullopt;
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
    auto a = attrs<ifaddrmsg>(nlh);
    const nlattr* addr =
        a.count(IFA_LOCAL) ? a[IFA_LOCAL] : (a.count(IFA_ADDRESS) ? a[IFA_ADDRESS] : nullptr);
    if (!addr) return std::nullopt;
    Event e;
    e.layer = Layer::addr;
    e.kind = type == RTM_NEWADDR ? "added" : "removed";
    e.detail = {
        {"address", fmt::format("{}/{}", addr_text(ifa->ifa_family, mnl_attr_get_payload(addr)),
                                ifa->ifa_prefixlen)},
        {"dev", ifname(static_cast<int>(ifa->ifa_index))},
        {"family", ifa->ifa_family == AF_INET ? "inet" : "inet6"}};
    return e;
  }
  if (type == RTM_NEWROUTE || type == RTM_DELROUTE) {
    if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return std::nullopt;
    const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
    auto a = attrs<rtmsg>(nlh);
    unsigned table = a.count(RTA_TABLE) ? mnl_attr_get_u32(a[RTA_TABLE]) : rtm->rtm_table;
    Event e;
    e.layer = Layer::route;
    e.kind = type == RTM_NEWROUTE ? "added" : "removed";
    std::string dst = a.count(RTA_DST)
                          ? addr_text(rtm->rtm_family, mnl_attr_get_payload(a[RTA_DST]))
                          : (rtm->rtm_family == AF_INET ? "0.0.0.0" : "::");
    e.detail = {{"dst", fmt::format("{}/{}", dst, rtm->rtm_dst_len)},
                {"family", rtm->rtm_family == AF_INET ? "inet" : "inet6"},
                {"type", route_type(rtm->rtm_type)}};
    const char* tname = table_name(table);
    e.detail["table"] = tname ? nlohmann::json(tname) : nlohmann::json(table);
    e.detail["dev"] = a.count(RTA_OIF)
                          ? nlohmann::json(ifname(static_cast<int>(mnl_attr_get_u32(a[RTA_OIF]))))
                          : nlohmann::json(nullptr);
    e.detail["gateway"] =
        a.count(RTA_GATEWAY)
            ? nlohmann::json(addr_text(rtm->rtm_family, mnl_attr_get_payload(a[RTA_GATEWAY])))
            : nlohmann::json(nullptr);
    return e;
  }
  if (type == RTM_NEWRULE || type == RTM_DELRULE) {
    // Policy routing rules (wg-quick's `not fwmark 51820 table 51820` and `table main
    // suppress_prefixlength 0`): recorded in the route layer, kind rule-added/rule-removed.
    if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(fib_rule_hdr))) return std::nullopt;
    const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
    auto a = attrs<fib_rule_hdr>(nlh);
    unsigned table = a.count(FRA_TABLE) ? mnl_attr_get_u32(a[FRA_TABLE]) : frh->table;
    Event e;
    e.layer = Layer::route;
    e.kind = type == RTM_NEWRULE ? "rule-added" : "rule-removed";
    std::string dst = a.count(FRA_DST) ? addr_text(frh->family, mnl_attr_get_payload(a[FRA_DST]))
                                       : (frh->family == AF_INET ? "0.0.0.0" : "::");
    e.detail = {{"dst", fmt::format("{}/{}", dst, frh->dst_len)},
                {"family", frh->family == AF_INET ? "inet" : "inet6"},
                {"type", "rule"},
                {"dev", a.count(FRA_IFNAME) ? mnl_attr_get_str(a[FRA_IFNAME]) : ""},
                {"gateway", nullptr},
                {"invert", (frh->flags & FIB_RULE_INVERT) != 0}};
    const char* tname = table_name(table);
    e.detail["table"] = tname ? nlohmann::json(tname) : nlohmann::json(table);
    e.detail["priority"] =
        a.count(FRA_PRIORITY) ? nlohmann::json(mnl_attr_get_u32(a[FRA_PRIORITY])) : nullptr;
    e.detail["fwmark"] =
        a.count(FRA_FWMARK) ? nlohmann::json(mnl_attr_get_u32(a[FRA_FWMARK])) : nullptr;
    e.detail["suppress_prefixlength"] =
        a.count(FRA_SUPPRESS_PREFIXLEN)
            ? nlohmann::json(static_cast<int32_t>(mnl_attr_get_u32(a[FRA_SUPPRESS_PREFIXLEN])))
            : nullptr;
    return e;
  }
  return std::nullopt;
}

NetlinkMonitor::NetlinkMonitor(int netns_fd) {
  {
    // netns_fd < 0: the caller's own namespace (no setns, which would need CAP_SYS_ADMIN).
    std::optional<sys::NetnsGuard> in;
    if (netns_fd >= 0) in.emplace(netns_fd);
    sock_ = mnl_socket_open(NETLINK_ROUTE);
    dump_sock_ = mnl_socket_open(NETLINK_ROUTE);
  }
  if (!sock_ || !dump_sock_) throw sys::SysError("mnl_socket_open", "monitor", errno);
  if (mnl_socket_bind(dump_sock_, 0, MNL_SOCKET_AUTOPID) < 0)
    throw sys::SysError("mnl_socket_bind", "route dump", errno);
  const int fd = mnl_socket_get_fd(sock_);
  int bufsize = 32 << 20;  // bursts of thousands of route events must not overrun
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof bufsize) < 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
  if (mnl_socket_bind(sock_, 0, MNL_SOCKET_AUTOPID) < 0)
    throw sys::SysError("mnl_socket_bind", "monitor", errno);
  // Seed the names of existing links before subscribing.
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* req = mnl_nlmsg_put_header(buf);
  req->nlmsg_type = RTM_GETLINK;
  req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req->nlmsg_seq = 1;
  auto* gen = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(req, sizeof(rtgenmsg)));
  gen->rtgen_family = AF_UNSPEC;
  if (mnl_socket_sendto(sock_, req, req->nlmsg_len) < 0)
    throw sys::SysError("mnl_socket_sendto", "link dump", errno);
  for (bool done = false; !done;) {
    ssize_t n = mnl_socket_recvfrom(sock_, buf, sizeof buf);
    if (n <= 0) throw sys::SysError("mnl_socket_recvfrom", "link dump", errno);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf); mnl_nlmsg_ok(nlh, static_cast<int>(n));
         nlh = mnl_nlmsg_next(nlh, reinterpret_cast<int*>(&n))) {
      if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
        done = true;
        break;
      }
      decoder_.decode(nlh);
    }
  }
  for (int group : {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
                    RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE}) {
    if (::setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
      throw sys::SysError("setsockopt(NETLINK_ADD_MEMBERSHIP)", "monitor", errno);
  }
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  routes_ = dump_routes();
}

NetlinkMonitor::~NetlinkMonitor() {
  if (sock_) mnl_socket_close(sock_);
  if (dump_sock_) mnl_socket_close(dump_sock_);
}

std::string NetlinkMonitor::route_key(const Event& e) {
  const auto& d = e.detail;
  return d.value("dst", "") + "|" + d["dev"].dump() + "|" + d["table"].dump() + "|" +
         d.value("type", "") + "|" + d["gateway"].dump();
}

std::map<std::string, Event> NetlinkMonitor::dump_routes() {
  std::map<std::string, Event> table;
  for (int family : {AF_INET, AF_INET6}) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* req = mnl_nlmsg_put_header(buf);
    req->nlmsg_type = RTM_GETROUTE;
    req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req->nlmsg_seq = ++dump_seq_;
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(req, sizeof(rtmsg)));
    rtm->rtm_family = static_cast<unsigned char>(family);
    if (mnl_socket_sendto(dump_sock_, req, req->nlmsg_len) < 0)
      throw sys::SysError("mnl_socket_sendto", "route dump", errno);
    for (bool done = false; !done;) {
      ssize_t n = mnl_socket_recvfrom(dump_sock_, buf, sizeof buf);
      if (n <= 0) throw sys::SysError("mnl_socket_recvfrom", "route dump", errno);
      int len = static_cast<int>(n);
      for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf); mnl_nlmsg_ok(nlh, len);
           nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
          done = true;
          break;
        }
        if (auto e = decoder_.decode(nlh)) table.emplace(route_key(*e), std::move(*e));
      }
    }
  }
  return table;
}

void NetlinkMonitor::resync_routes(int64_t now_ns, std::vector<std::pair<int64_t, Event>>& out) {
  auto now = dump_routes();
  for (auto& [key, e] : routes_) {
    if (now.count(key)) continue;
    e.kind = "removed";
    e.detail["notified"] = false;
    reported_unnotified_.insert(key);
    out.emplace_back(now_ns, e);
  }
  routes_ = std::move(now);
}

int NetlinkMonitor::fd() const {
  return mnl_socket_get_fd(sock_);
}

void NetlinkMonitor::drain(int64_t now_ns, std::vector<std::pair<int64_t, Event>>& out) {
  alignas(nlmsghdr) char buf[1 << 16];
  bool link_went = false, drained = false;
  for (int reads = 0; reads < 4096; ++reads) {
    ssize_t n = ::recv(fd(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == ENOBUFS) {
        ++overruns_;
        resync_pending_ = true;
        continue;
      }
      drained = errno == EAGAIN;
      if (errno == EAGAIN || errno == EINTR) break;
      throw sys::SysError("recv", "netlink monitor", errno);
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      auto e = decoder_.decode(nlh);
      if (!e) continue;
      if (e->layer == Layer::route && (e->kind == "added" || e->kind == "removed")) {
        const std::string key = route_key(*e);
        if (e->kind == "added") {
          reported_unnotified_.erase(key);  // a new route under the key: its notice can come
          routes_[key] = *e;
        } else if (reported_unnotified_.erase(key)) {
          continue;  // already reported by a resync; this notice came late
        } else {
          routes_.erase(key);
        }
      }
      if (e->layer == Layer::link && (e->kind == "removed" || e->kind == "down")) link_went = true;
      out.emplace_back(now_ns, std::move(*e));
    }
  }
  // Only once everything queued is read: a notification still queued is not "unnotified".
  // After an overrun the kernel dropped notices (and drops them until the queue is empty):
  // once it is, the dump is the only truth left.
  const bool after_overrun = resync_pending_ && drained;
  if (link_went || after_overrun) resync_routes(now_ns, out);
  if (after_overrun) {
    resync_pending_ = false;
    ++overrun_resyncs_;
  }
}

}  // namespace ss::observe
