// rtnetlink messages built by hand, decoded into path changes (no socket, no kernel).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>

#include <vector>

#include "rtnl_watch.hpp"

namespace ss::path {
namespace {

struct Msg {
  std::vector<char> buf = std::vector<char>(4096, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
};

Msg link(int type, int index, const char* name, unsigned flags, unsigned short arphrd) {
  Msg m;
  m.nlh->nlmsg_type = static_cast<uint16_t>(type);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(ifinfomsg)));
  ifi->ifi_index = index;
  ifi->ifi_flags = flags;
  ifi->ifi_type = arphrd;
  mnl_attr_put_strz(m.nlh, IFLA_IFNAME, name);
  return m;
}

Msg address(int type, int index, const char* text, int len) {
  Msg m;
  m.nlh->nlmsg_type = static_cast<uint16_t>(type);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(ifaddrmsg)));
  const bool v6 = std::string(text).find(':') != std::string::npos;
  ifa->ifa_family = v6 ? AF_INET6 : AF_INET;
  ifa->ifa_prefixlen = static_cast<unsigned char>(len);
  ifa->ifa_index = static_cast<unsigned>(index);
  unsigned char a[16] = {};
  inet_pton(ifa->ifa_family, text, a);
  if (!v6) mnl_attr_put(m.nlh, IFA_LOCAL, 4, a);
  mnl_attr_put(m.nlh, IFA_ADDRESS, v6 ? 16 : 4, a);
  return m;
}

Msg route(int type, int dst_len, int oif) {
  Msg m;
  m.nlh->nlmsg_type = static_cast<uint16_t>(type);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = static_cast<unsigned char>(dst_len);
  rtm->rtm_type = RTN_UNICAST;
  rtm->rtm_table = RT_TABLE_MAIN;
  if (dst_len) {
    unsigned char dst[4] = {128, 0, 0, 0};
    mnl_attr_put(m.nlh, RTA_DST, 4, dst);
  }
  mnl_attr_put_u32(m.nlh, RTA_OIF, static_cast<uint32_t>(oif));
  return m;
}

TEST(PathRtnlDecode, ATunnelLinkIsNamedAndMarked) {
  RtnlDecoder d;
  auto c = d.decode(link(RTM_NEWLINK, 5, "wg0", IFF_UP, ARPHRD_NONE).nlh);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Change::Kind::link_added);
  EXPECT_EQ(c->ifname, "wg0");
  EXPECT_TRUE(c->tunnel);
  auto eth = d.decode(link(RTM_NEWLINK, 2, "eth0", IFF_UP, ARPHRD_ETHER).nlh);
  ASSERT_TRUE(eth);
  EXPECT_FALSE(eth->tunnel);
}

TEST(PathRtnlDecode, UpAndDownAreReportedARepeatIsNot) {
  RtnlDecoder d;
  d.decode(link(RTM_NEWLINK, 5, "wg0", IFF_UP, ARPHRD_NONE).nlh);
  EXPECT_FALSE(d.decode(link(RTM_NEWLINK, 5, "wg0", IFF_UP, ARPHRD_NONE).nlh));
  auto down = d.decode(link(RTM_NEWLINK, 5, "wg0", 0, ARPHRD_NONE).nlh);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->kind, Change::Kind::link_down);
  auto up = d.decode(link(RTM_NEWLINK, 5, "wg0", IFF_UP, ARPHRD_NONE).nlh);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->kind, Change::Kind::link_up);
}

TEST(PathRtnlDecode, AddressesCarryTheirInterfaceNameEvenAfterItsRemoval) {
  RtnlDecoder d;
  d.decode(link(RTM_NEWLINK, 5, "wg0", IFF_UP, ARPHRD_NONE).nlh);
  auto added = d.decode(address(RTM_NEWADDR, 5, "10.9.0.2", 32).nlh);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->kind, Change::Kind::address_added);
  EXPECT_EQ(added->ifname, "wg0");
  EXPECT_EQ(address_text(added->family, added->addr), "10.9.0.2");
  EXPECT_EQ(added->prefix_len, 32);
  auto gone = d.decode(link(RTM_DELLINK, 5, "wg0", 0, ARPHRD_NONE).nlh);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->kind, Change::Kind::link_removed);
  EXPECT_EQ(gone->ifname, "wg0");
  auto v6 = d.decode(address(RTM_DELADDR, 5, "2001:db8::2", 64).nlh);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->kind, Change::Kind::address_removed);
  EXPECT_EQ(address_text(v6->family, v6->addr), "2001:db8::2");
}

TEST(PathRtnlDecode, OnlyDefaultAndSplitDefaultRoutes) {
  RtnlDecoder d;
  d.decode(link(RTM_NEWLINK, 5, "wg0", IFF_UP, ARPHRD_NONE).nlh);
  auto def = d.decode(route(RTM_DELROUTE, 0, 5).nlh);
  ASSERT_TRUE(def);
  EXPECT_EQ(def->kind, Change::Kind::route_removed);
  EXPECT_EQ(def->ifname, "wg0");
  EXPECT_TRUE(def->tunnel);
  auto half = d.decode(route(RTM_NEWROUTE, 1, 5).nlh);
  ASSERT_TRUE(half);
  EXPECT_EQ(address_text(half->family, half->addr), "128.0.0.0");
  EXPECT_FALSE(d.decode(route(RTM_NEWROUTE, 24, 5).nlh));
}

}  // namespace
}  // namespace ss::path
