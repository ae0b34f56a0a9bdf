// Policy routing rules (RTM_NEWRULE/RTM_DELRULE) as wg-quick adds and deletes them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <vector>

#include "observe/rtnl.hpp"

using nlohmann::json;
using ss::Layer;
using ss::observe::RtnlDecoder;

namespace {

struct Rule {
  int family = AF_INET;
  unsigned table = RT_TABLE_MAIN;
  bool invert = false;
  int fwmark = -1;
  int suppress = -1;
  int priority = -1;
};

std::optional<ss::Event> rule(RtnlDecoder& d, uint16_t type, const Rule& r) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = static_cast<unsigned char>(r.family);
  frh->action = FR_ACT_TO_TBL;
  frh->table = static_cast<unsigned char>(r.table < 256 ? r.table : unsigned{RT_TABLE_UNSPEC});
  if (r.invert) frh->flags |= FIB_RULE_INVERT;
  mnl_attr_put_u32(nlh, FRA_TABLE, r.table);
  if (r.fwmark >= 0) mnl_attr_put_u32(nlh, FRA_FWMARK, static_cast<uint32_t>(r.fwmark));
  if (r.suppress >= 0)
    mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, static_cast<uint32_t>(r.suppress));
  if (r.priority >= 0) mnl_attr_put_u32(nlh, FRA_PRIORITY, static_cast<uint32_t>(r.priority));
  std::vector<char> exact(buf.begin(), buf.begin() + nlh->nlmsg_len);
  return d.decode(reinterpret_cast<const nlmsghdr*>(exact.data()));
}

TEST(RtnlRules, WgQuicksFwmarkRule) {
  RtnlDecoder d;
  auto e =
      rule(d, RTM_NEWRULE, {.table = 51820, .invert = true, .fwmark = 51820, .priority = 32764});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->layer, Layer::route);
  EXPECT_EQ(e->kind, "rule-added");
  EXPECT_EQ(e->detail["type"], "rule");
  EXPECT_EQ(e->detail["table"], 51820);
  EXPECT_EQ(e->detail["invert"], true);
  EXPECT_EQ(e->detail["fwmark"], 51820);
  EXPECT_EQ(e->detail["priority"], 32764);
  EXPECT_EQ(e->detail["suppress_prefixlength"], json(nullptr));
  EXPECT_EQ(e->detail["dst"], "0.0.0.0/0");
  EXPECT_EQ(e->detail["family"], "inet");
}

TEST(RtnlRules, SuppressPrefixlengthRuleRemoved) {
  RtnlDecoder d;
  auto e = rule(d, RTM_DELRULE, {.family = AF_INET6, .suppress = 0});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, "rule-removed");
  EXPECT_EQ(e->detail["table"], "main");
  EXPECT_EQ(e->detail["invert"], false);
  EXPECT_EQ(e->detail["suppress_prefixlength"], 0);
  EXPECT_EQ(e->detail["fwmark"], json(nullptr));
  EXPECT_EQ(e->detail["dst"], "::/0");
  EXPECT_EQ(e->detail["family"], "inet6");
}

}  // namespace
