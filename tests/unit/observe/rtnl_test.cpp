// RtnlDecoder fed with rtnetlink messages built here with libmnl, as the kernel sends them.
#include "observe/rtnl.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <string>
#include <vector>

using nlohmann::json;
using ss::Layer;
using ss::observe::RtnlDecoder;

namespace {

constexpr unsigned kUp = IFF_UP | IFF_LOWER_UP | IFF_RUNNING;

// One message in a buffer of exactly its own length (reads past it are caught by ASan).
class Msg {
 public:
  explicit Msg(uint16_t type) : buf_(MNL_SOCKET_BUFFER_SIZE) {
    nlh_ = mnl_nlmsg_put_header(buf_.data());
    nlh_->nlmsg_type = type;
  }
  template <class T>
  T* header() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(T)));
  }
  Msg& str(uint16_t type, const char* s) {
    mnl_attr_put_strz(nlh_, type, s);
    return *this;
  }
  Msg& u32(uint16_t type, uint32_t v) {
    mnl_attr_put_u32(nlh_, type, v);
    return *this;
  }
  Msg& addr(uint16_t type, int family, const char* text) {
    unsigned char a[16];
    EXPECT_EQ(::inet_pton(family, text, a), 1) << text;
    mnl_attr_put(nlh_, type, family == AF_INET ? 4 : 16, a);
    return *this;
  }
  const nlmsghdr* done() {
    exact_.assign(buf_.begin(), buf_.begin() + nlh_->nlmsg_len);
    return reinterpret_cast<const nlmsghdr*>(exact_.data());
  }

 private:
  std::vector<char> buf_;
  std::vector<char> exact_;
  nlmsghdr* nlh_;
};

std::optional<ss::Event> link(RtnlDecoder& d, uint16_t type, int index, unsigned flags,
                              const char* name = nullptr) {
  Msg m(type);
  auto* ifi = m.header<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = flags;
  if (name) m.str(IFLA_IFNAME, name);
  return d.decode(m.done());
}

std::optional<ss::Event> address(RtnlDecoder& d, uint16_t type, int family, int index,
                                 const char* ip, int prefix, bool local = true) {
  Msg m(type);
  auto* ifa = m.header<ifaddrmsg>();
  ifa->ifa_family = static_cast<unsigned char>(family);
  ifa->ifa_prefixlen = static_cast<unsigned char>(prefix);
  ifa->ifa_index = static_cast<unsigned>(index);
  if (ip) m.addr(local ? IFA_LOCAL : IFA_ADDRESS, family, ip);
  return d.decode(m.done());
}

struct Route {
  int family = AF_INET;
  const char* dst = nullptr;
  int dst_len = 0;
  const char* gateway = nullptr;
  int oif = 0;
  unsigned table = RT_TABLE_MAIN;
  unsigned char type = RTN_UNICAST;
};

std::optional<ss::Event> route(RtnlDecoder& d, uint16_t msg_type, const Route& r) {
  Msg m(msg_type);
  auto* rtm = m.header<rtmsg>();
  rtm->rtm_family = static_cast<unsigned char>(r.family);
  rtm->rtm_dst_len = static_cast<unsigned char>(r.dst_len);
  rtm->rtm_table = static_cast<unsigned char>(r.table < 256 ? r.table : unsigned{RT_TABLE_UNSPEC});
  rtm->rtm_type = r.type;
  m.u32(RTA_TABLE, r.table);
  if (r.dst) m.addr(RTA_DST, r.family, r.dst);
  if (r.gateway) m.addr(RTA_GATEWAY, r.family, r.gateway);
  if (r.oif) m.u32(RTA_OIF, static_cast<uint32_t>(r.oif));
  return d.decode(m.done());
}

}  // namespace

TEST(RtnlDecoder, LinkAddedAndRemoved) {
  RtnlDecoder d;
  auto e = link(d, RTM_NEWLINK, 3, 0, "tun0");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->layer, Layer::link);
  EXPECT_EQ(e->kind, "added");
  EXPECT_EQ(e->detail["ifname"], "tun0");
  EXPECT_EQ(e->detail["index"], 3);
  EXPECT_EQ(e->detail["up"], false);
  EXPECT_EQ(e->detail["lower_up"], false);

  // The same flags again (e.g. an MTU change): nothing a user would see.
  EXPECT_FALSE(link(d, RTM_NEWLINK, 3, 0, "tun0"));

  e = link(d, RTM_DELLINK, 3, 0, "tun0");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, "removed");
  EXPECT_EQ(e->detail["ifname"], "tun0");
  EXPECT_EQ(e->detail["index"], 3);

  // A new link reusing the index is "added" again, not a flag change of the old one.
  e = link(d, RTM_NEWLINK, 3, kUp, "tun1");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, "added");
  EXPECT_EQ(e->detail["ifname"], "tun1");
  EXPECT_EQ(e->detail["up"], true);
  EXPECT_EQ(e->detail["lower_up"], true);
}

TEST(RtnlDecoder, NamesAreKeptForDeletedLinks) {
  RtnlDecoder d;
  ASSERT_TRUE(link(d, RTM_NEWLINK, 7, kUp, "tun0"));
  auto e = link(d, RTM_DELLINK, 7, 0);  // no IFLA_IFNAME: named from what was seen
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["ifname"], "tun0");
  EXPECT_EQ(d.ifname(7), "tun0");
  // The kernel announces the link's addresses and routes going after the link itself.
  e = address(d, RTM_DELADDR, AF_INET, 7, "10.8.0.42", 24);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["dev"], "tun0");
  e = route(d, RTM_DELROUTE, {.dst = "0.0.0.0", .dst_len = 1, .oif = 7});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["dev"], "tun0");
}

TEST(RtnlDecoder, UnknownIndexIsNamedByNumber) {
  RtnlDecoder d;
  EXPECT_EQ(d.ifname(42), "if42");
  auto e = address(d, RTM_NEWADDR, AF_INET, 42, "192.168.1.100", 24);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["dev"], "if42");
  e = link(d, RTM_NEWLINK, 42, 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["ifname"], "if42");
}

TEST(RtnlDecoder, AddressesAddedAndRemoved) {
  RtnlDecoder d;
  ASSERT_TRUE(link(d, RTM_NEWLINK, 2, kUp, "en0"));
  auto e = address(d, RTM_NEWADDR, AF_INET, 2, "192.168.1.100", 24);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->layer, Layer::addr);
  EXPECT_EQ(e->kind, "added");
  EXPECT_EQ(e->detail, json({{"address", "192.168.1.100/24"}, {"dev", "en0"}, {"family", "inet"}}));
  // IPv6 addresses come with IFA_ADDRESS only.
  e = address(d, RTM_DELADDR, AF_INET6, 2, "fe80::e877:bbff:fe31:7700", 64, false);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, "removed");
  EXPECT_EQ(
      e->detail,
      json({{"address", "fe80::e877:bbff:fe31:7700/64"}, {"dev", "en0"}, {"family", "inet6"}}));
  // No address attribute: nothing to report.
  EXPECT_FALSE(address(d, RTM_NEWADDR, AF_INET, 2, nullptr, 24));
}

TEST(RtnlDecoder, RoutesAddedAndRemoved) {
  RtnlDecoder d;
  ASSERT_TRUE(link(d, RTM_NEWLINK, 2, kUp, "en0"));
  ASSERT_TRUE(link(d, RTM_NEWLINK, 3, kUp, "tun0"));
  auto e = route(d, RTM_NEWROUTE,
                 {.dst = "198.51.100.1", .dst_len = 32, .gateway = "192.168.1.1", .oif = 2});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->layer, Layer::route);
  EXPECT_EQ(e->kind, "added");
  EXPECT_EQ(e->detail, json({{"dst", "198.51.100.1/32"},
                             {"family", "inet"},
                             {"type", "unicast"},
                             {"table", "main"},
                             {"dev", "en0"},
                             {"gateway", "192.168.1.1"}}));
  e = route(d, RTM_DELROUTE, {.dst = "128.0.0.0", .dst_len = 1, .oif = 3});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, "removed");
  EXPECT_EQ(e->detail["dst"], "128.0.0.0/1");
  EXPECT_EQ(e->detail["dev"], "tun0");
  EXPECT_TRUE(e->detail["gateway"].is_null());
}

TEST(RtnlDecoder, DefaultRoutesTablesAndTypes) {
  RtnlDecoder d;
  auto e = route(d, RTM_NEWROUTE, {.gateway = "192.168.1.1", .oif = 2});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["dst"], "0.0.0.0/0");
  e = route(d, RTM_NEWROUTE, {.family = AF_INET6, .gateway = "2001:db8:1::1", .oif = 2});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["dst"], "::/0");
  EXPECT_EQ(e->detail["family"], "inet6");
  EXPECT_EQ(e->detail["gateway"], "2001:db8:1::1");
  EXPECT_EQ(e->detail["dev"], "if2");
  // wg-quick's own table, by number; the local table by name; types by name.
  e = route(d, RTM_NEWROUTE, {.dst = "0.0.0.0", .table = 51820});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["table"], 51820);
  EXPECT_TRUE(e->detail["dev"].is_null());
  e = route(
      d, RTM_DELROUTE,
      {.dst = "10.8.0.42", .dst_len = 32, .oif = 3, .table = RT_TABLE_LOCAL, .type = RTN_LOCAL});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["table"], "local");
  EXPECT_EQ(e->detail["type"], "local");
  e = route(d, RTM_NEWROUTE, {.dst = "10.0.0.0", .dst_len = 8, .type = RTN_BLACKHOLE});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["type"], "blackhole");
  e = route(d, RTM_NEWROUTE,
            {.family = AF_INET6,
             .dst = "ff00::",
             .dst_len = 8,
             .table = RT_TABLE_LOCAL,
             .type = RTN_MULTICAST});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->detail["dst"], "ff00::/8");
  EXPECT_EQ(e->detail["type"], "multicast");
}

TEST(RtnlDecoder, ShortAndUnrelatedMessagesGiveNothing) {
  RtnlDecoder d;
  for (uint16_t type :
       {RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE}) {
    Msg m(type);  // a bare header, without the family header that must follow
    EXPECT_FALSE(d.decode(m.done())) << type;
  }
  Msg neigh(RTM_NEWNEIGH);
  neigh.header<ndmsg>();
  EXPECT_FALSE(d.decode(neigh.done()));
  Msg done(NLMSG_DONE);
  EXPECT_FALSE(d.decode(done.done()));
}
