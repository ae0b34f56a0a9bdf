// The MPTCP path-manager messages, byte by byte (what the kernel's generic netlink parser reads).
#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>

#include <bit>
#include <stdexcept>

#include "sys/mptcp_pm.hpp"

namespace {

using ss::sys::NlBytes;

class MptcpPmMessages : public testing::Test {
 protected:
  void SetUp() override {
    if (std::endian::native != std::endian::little)
      GTEST_SKIP() << "expected bytes are written for a little-endian host";
  }
};

TEST_F(MptcpPmMessages, FamilyRequestAsksTheControllerForMptcpPm) {
  const NlBytes expected = {36,
                            0,
                            0,
                            0,
                            0x10,
                            0,
                            5,
                            0,
                            3,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,  // nlmsghdr: len, GENL_ID_CTRL, REQUEST|ACK, seq 3
                            CTRL_CMD_GETFAMILY,
                            1,
                            0,
                            0,  // genlmsghdr
                            13,
                            0,
                            CTRL_ATTR_FAMILY_NAME,
                            0,
                            'm',
                            'p',
                            't',
                            'c',
                            'p',
                            '_',
                            'p',
                            'm',
                            0,
                            0,
                            0,
                            0};
  EXPECT_EQ(ss::sys::build_mptcp_family_request(3), expected);
}

TEST_F(MptcpPmMessages, SetLimitsCarriesBothLimitsAsU32) {
  const NlBytes expected = {36,
                            0,
                            0,
                            0,
                            0x1c,
                            0,
                            5,
                            0,
                            7,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            MPTCP_PM_CMD_SET_LIMITS,
                            MPTCP_PM_VER,
                            0,
                            0,
                            8,
                            0,
                            MPTCP_PM_ATTR_RCV_ADD_ADDRS,
                            0,
                            4,
                            0,
                            0,
                            0,
                            8,
                            0,
                            MPTCP_PM_ATTR_SUBFLOWS,
                            0,
                            8,
                            0,
                            0,
                            0};
  EXPECT_EQ(ss::sys::build_set_limits(0x1c, 7, {8, 4}), expected);
}

TEST_F(MptcpPmMessages, GetLimitsIsAHeaderOnly) {
  const NlBytes expected = {
      20,           0, 0, 0, 0x1c, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0, MPTCP_PM_CMD_GET_LIMITS,
      MPTCP_PM_VER, 0, 0};
  EXPECT_EQ(ss::sys::build_get_limits(0x1c, 1), expected);
}

TEST_F(MptcpPmMessages, AddEndpointNestsFamilyAddressFlagsAndDevice) {
  const NlBytes expected = {56,
                            0,
                            0,
                            0,
                            0x1c,
                            0,
                            5,
                            0,
                            9,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            MPTCP_PM_CMD_ADD_ADDR,
                            MPTCP_PM_VER,
                            0,
                            0,
                            36,
                            0,
                            MPTCP_PM_ATTR_ADDR,
                            0x80,  // nested (NLA_F_NESTED)
                            6,
                            0,
                            MPTCP_PM_ADDR_ATTR_FAMILY,
                            0,
                            AF_INET,
                            0,
                            0,
                            0,  // u16 + padding
                            8,
                            0,
                            MPTCP_PM_ADDR_ATTR_ADDR4,
                            0,
                            192,
                            168,
                            1,
                            100,  // network order
                            8,
                            0,
                            MPTCP_PM_ADDR_ATTR_FLAGS,
                            0,
                            MPTCP_PM_ADDR_FLAG_SUBFLOW,
                            0,
                            0,
                            0,
                            8,
                            0,
                            MPTCP_PM_ADDR_ATTR_IF_IDX,
                            0,
                            3,
                            0,
                            0,
                            0};
  EXPECT_EQ(
      ss::sys::build_add_endpoint(0x1c, 9, {"192.168.1.100", 3, MPTCP_PM_ADDR_FLAG_SUBFLOW, 0}),
      expected);
}

TEST_F(MptcpPmMessages, AddEndpointWithIdAndIpv6NoDevice) {
  NlBytes m =
      ss::sys::build_add_endpoint(0x1c, 1, {"2001:db8:1::100", 0, MPTCP_PM_ADDR_FLAG_SIGNAL, 5});
  // header 20 + nest 4 + family 8 + id 8 + addr6 20 + flags 8
  ASSERT_EQ(m.size(), 68u);
  // offsets: header 0-19, nest 20-23, family 24-31, id 32-39, address 40-59, flags 60-67
  EXPECT_EQ(m[24], 6);  // family attribute length
  EXPECT_EQ(m[28], AF_INET6);
  const NlBytes id = {5, 0, MPTCP_PM_ADDR_ATTR_ID, 0, 5, 0, 0, 0};
  EXPECT_EQ(NlBytes(m.begin() + 32, m.begin() + 40), id);
  EXPECT_EQ(m[40], 20);
  EXPECT_EQ(m[42], MPTCP_PM_ADDR_ATTR_ADDR6);
  const NlBytes addr = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00};
  EXPECT_EQ(NlBytes(m.begin() + 44, m.begin() + 60), addr);
  EXPECT_EQ(m[62], MPTCP_PM_ADDR_ATTR_FLAGS);
  EXPECT_EQ(m[64], MPTCP_PM_ADDR_FLAG_SIGNAL);
}

TEST_F(MptcpPmMessages, AddEndpointRejectsANonAddress) {
  EXPECT_THROW(ss::sys::build_add_endpoint(0x1c, 1, {"en0", 0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(ss::sys::build_add_endpoint(0x1c, 1, {"192.168.1.100/24", 0, 0, 0}),
               std::invalid_argument);
}

TEST_F(MptcpPmMessages, FamilyIdFromTheControllersReply) {
  const NlBytes reply = {36,
                         0,
                         0,
                         0,
                         0x10,
                         0,
                         0,
                         0,
                         3,
                         0,
                         0,
                         0,
                         0x55,
                         0,
                         0,
                         0,
                         CTRL_CMD_NEWFAMILY,
                         2,
                         0,
                         0,
                         13,
                         0,
                         CTRL_ATTR_FAMILY_NAME,
                         0,
                         'm',
                         'p',
                         't',
                         'c',
                         'p',
                         '_',
                         'p',
                         'm',
                         0,
                         0,
                         0,
                         0};
  EXPECT_EQ(ss::sys::parse_family_id(reply.data(), reply.size()), std::nullopt);  // no id attribute
  NlBytes with_id = reply;
  with_id[0] = 44;
  with_id.insert(with_id.end(), {6, 0, CTRL_ATTR_FAMILY_ID, 0, 0x1c, 0, 0, 0});
  EXPECT_EQ(ss::sys::parse_family_id(with_id.data(), with_id.size()), 0x1c);
  EXPECT_EQ(ss::sys::parse_family_id(with_id.data(), 10), std::nullopt);  // truncated
}

TEST_F(MptcpPmMessages, AnErrorMessageCarriesNoFamily) {
  const NlBytes err = {36,   0,    0,    0,    NLMSG_ERROR, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
                       0xfe, 0xff, 0xff, 0xff,  // -ENOENT
                       20,   0,    0,    0,    0x10,        0, 5, 0, 3, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(ss::sys::parse_family_id(err.data(), err.size()), std::nullopt);
}

TEST_F(MptcpPmMessages, LimitsFromAGetLimitsReply) {
  NlBytes reply = {36,
                   0,
                   0,
                   0,
                   0x1c,
                   0,
                   0,
                   0,
                   1,
                   0,
                   0,
                   0,
                   0,
                   0,
                   0,
                   0,
                   MPTCP_PM_CMD_GET_LIMITS,
                   MPTCP_PM_VER,
                   0,
                   0,
                   8,
                   0,
                   MPTCP_PM_ATTR_RCV_ADD_ADDRS,
                   0,
                   0,
                   0,
                   0,
                   0,
                   8,
                   0,
                   MPTCP_PM_ATTR_SUBFLOWS,
                   0,
                   2,
                   0,
                   0,
                   0};
  auto l = ss::sys::parse_limits(reply.data(), reply.size());
  ASSERT_TRUE(l);
  EXPECT_EQ(l->subflows, 2u);
  EXPECT_EQ(l->add_addr_accepted, 0u);
  reply[0] = 28;  // the subflows attribute cut off
  EXPECT_EQ(ss::sys::parse_limits(reply.data(), 28), std::nullopt);
}

}  // namespace
