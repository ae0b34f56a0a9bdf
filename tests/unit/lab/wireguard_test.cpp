// Reading wireguard-go's UDP listen socket out of a namespace's /proc/<pid>/net/udp table.
#include "lab/wireguard.hpp"

#include <gtest/gtest.h>

namespace {

// As /proc/<pid>/net/udp and udp6 print them (trailing columns shortened).
const char* kUdp4 =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops\n"
    "  140: 00000000:CA6C 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        "
    "0 31245 2 0000000000000000 0\n"
    "  251: 0100080A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        "
    "0 31301 2 0000000000000000 0\n";
const char* kUdp6 =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
    "  140: 00000000000000000000000000000000:CA6C 00000000000000000000000000000000:0000 07 "
    "00000000:00000000 00:00000000 00000000     0        0 31246 2 0000000000000000 0\n";

TEST(UdpTable, FindsTheListenPortInEitherFamily) {
  EXPECT_TRUE(ss::lab::udp_table_has_port(kUdp4, 51820));  // 0xCA6C
  EXPECT_TRUE(ss::lab::udp_table_has_port(kUdp6, 51820));
  EXPECT_TRUE(ss::lab::udp_table_has_port(kUdp4, 53));
}

TEST(UdpTable, APortNotBoundIsNotFound) {
  EXPECT_FALSE(ss::lab::udp_table_has_port(kUdp4, 51821));
  EXPECT_FALSE(ss::lab::udp_table_has_port(kUdp6, 53));
}

TEST(UdpTable, AnEmptyTableOrOnlyTheHeaderHasNoPort) {
  EXPECT_FALSE(ss::lab::udp_table_has_port("", 51820));
  EXPECT_FALSE(ss::lab::udp_table_has_port(
      "   sl  local_address rem_address   st tx_queue rx_queue\n", 51820));
}

TEST(UdpTable, TheRemotePortIsNotTheLocalOne) {
  const char* connected =
      "   sl  local_address rem_address   st\n"
      "   12: 2A00080A:A001 0100080A:CA6C 01\n";
  EXPECT_FALSE(ss::lab::udp_table_has_port(connected, 51820));
  EXPECT_TRUE(ss::lab::udp_table_has_port(connected, 0xA001));
}

}  // namespace
