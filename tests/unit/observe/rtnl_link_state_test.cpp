// A link going up or down is reported once per change of IFF_UP / IFF_LOWER_UP / IFF_RUNNING.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <vector>

#include "observe/rtnl.hpp"

namespace {

constexpr unsigned kUp = IFF_UP | IFF_LOWER_UP | IFF_RUNNING;

std::optional<ss::Event> link(ss::observe::RtnlDecoder& d, int index, unsigned flags) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_index = index;
  ifi->ifi_flags = flags;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, "tun0");
  return d.decode(nlh);
}

}  // namespace

TEST(RtnlLinkState, UpAndDownAreReportedOncePerChange) {
  ss::observe::RtnlDecoder d;
  ASSERT_TRUE(link(d, 3, 0));  // added, down
  auto e = link(d, 3, kUp);
  ASSERT_TRUE(e) << "up not reported";
  EXPECT_EQ(e->kind, "up");
  EXPECT_EQ(e->detail["up"], true);
  EXPECT_EQ(e->detail["lower_up"], true);
  EXPECT_FALSE(link(d, 3, kUp | IFF_PROMISC)) << "no change of state";
  e = link(d, 3, IFF_UP);  // carrier lost while administratively up
  ASSERT_TRUE(e) << "down not reported";
  EXPECT_EQ(e->kind, "down");
  EXPECT_EQ(e->detail["lower_up"], false);
  e = link(d, 3, kUp);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, "up");
  e = link(d, 3, 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, "down");
}
