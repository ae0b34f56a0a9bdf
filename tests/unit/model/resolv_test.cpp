#include "model/resolv.hpp"

#include <gtest/gtest.h>

using ss::parse_nameservers;
using Servers = std::vector<std::string>;

TEST(Resolv, NameserversInOrder) {
  EXPECT_EQ(parse_nameservers("# splitsecond lab: the home router's resolver\n"
                              "nameserver 192.168.1.1\n"
                              "search lab.test\n"
                              "nameserver 2001:db8:1::1\n"
                              "options edns0\n"),
            (Servers{"192.168.1.1", "2001:db8:1::1"}));
}

TEST(Resolv, ToleratesWhitespaceAndAMissingFinalNewline) {
  EXPECT_EQ(parse_nameservers("  nameserver\t10.8.0.1  \n\nnameserver 10.8.0.2"),
            (Servers{"10.8.0.1", "10.8.0.2"}));
  EXPECT_EQ(parse_nameservers("nameserver 10.8.0.1\r\n"), (Servers{"10.8.0.1"}));
}

TEST(Resolv, IgnoresCommentsOtherKeysAndEmptyValues) {
  EXPECT_TRUE(parse_nameservers("").empty());
  EXPECT_TRUE(parse_nameservers("# nameserver 10.0.0.1\n; nameserver 10.0.0.2\n").empty());
  EXPECT_TRUE(parse_nameservers("nameserver\n").empty());
  EXPECT_TRUE(parse_nameservers("nameservers 10.0.0.1\ndomain x\n").empty());
}
