#include "probes/app_ipseen.hpp"

#include <gtest/gtest.h>

namespace ss::probes {
namespace {

TEST(IpSeen, BodyCarriesTheAddressBackToTheClient) {
  EXPECT_EQ(parse_seen_as(ipseen_body("198.51.100.7:40112", "/")), "198.51.100.7:40112");
  EXPECT_EQ(parse_seen_as(ipseen_body("[2001:db8::7]:40112", "/x")), "[2001:db8::7]:40112");
}

TEST(IpSeen, BodyIsOneJsonLine) {
  EXPECT_EQ(ipseen_body("10.0.0.2:5000", "/a"),
            "{\"path\":\"/a\",\"seen_as\":\"10.0.0.2:5000\"}\n");
}

TEST(IpSeen, AnythingElseIsNotAnAnswer) {
  EXPECT_EQ(parse_seen_as(""), std::nullopt);
  EXPECT_EQ(parse_seen_as("<html>502 Bad Gateway</html>"), std::nullopt);
  EXPECT_EQ(parse_seen_as("{\"seen_as\":42}"), std::nullopt);
  EXPECT_EQ(parse_seen_as("[\"seen_as\"]"), std::nullopt);
}

}  // namespace
}  // namespace ss::probes
