// The record fields the claims read about the VPN client and the resolvers: written when known,
// read back whole, and absent (not empty, not zero) in records that lack them.
#include <gtest/gtest.h>

#include "model/record.hpp"

namespace {

ss::RunRecord minimal() {
  ss::RunRecord r;
  r.scenario = "disconnect";
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  return r;
}

}  // namespace

TEST(RecordClaimInputs, RoundTripWhenKnown) {
  ss::RunRecord r = minimal();
  r.vpn.client = "reference";
  r.vpn.resolver = "10.8.0.1";
  r.home_resolver = "192.168.1.1";
  r.resolver_before_vpn = std::vector<std::string>{"192.168.1.1", "192.168.1.2"};
  const nlohmann::json j = ss::to_json(r);
  EXPECT_EQ(j["vpn"]["client"], "reference");
  EXPECT_EQ(j["vpn"]["resolver"], "10.8.0.1");
  EXPECT_EQ(j["home_resolver"], "192.168.1.1");
  EXPECT_EQ(j["resolver_before_vpn"], nlohmann::json({"192.168.1.1", "192.168.1.2"}));
  const ss::RunRecord back = ss::record_from_json(j);
  EXPECT_EQ(back.vpn.client, "reference");
  EXPECT_EQ(back.vpn.resolver, "10.8.0.1");
  EXPECT_EQ(back.home_resolver, "192.168.1.1");
  ASSERT_TRUE(back.resolver_before_vpn.has_value());
  EXPECT_EQ(*back.resolver_before_vpn, (std::vector<std::string>{"192.168.1.1", "192.168.1.2"}));
}

TEST(RecordClaimInputs, AnEmptyResolverListIsKeptApartFromAMissingOne) {
  ss::RunRecord r = minimal();
  r.resolver_before_vpn = std::vector<std::string>{};
  const ss::RunRecord back = ss::record_from_json(ss::to_json(r));
  ASSERT_TRUE(back.resolver_before_vpn.has_value());
  EXPECT_TRUE(back.resolver_before_vpn->empty());
}

TEST(RecordClaimInputs, AbsentFromOlderRecordsAndNotWritten) {
  const nlohmann::json j = ss::to_json(minimal());
  EXPECT_FALSE(j["vpn"].contains("client"));
  EXPECT_FALSE(j["vpn"].contains("resolver"));
  EXPECT_FALSE(j.contains("home_resolver"));
  EXPECT_FALSE(j.contains("resolver_before_vpn"));
  const ss::RunRecord back = ss::record_from_json(j);
  EXPECT_EQ(back.vpn.client, "");
  EXPECT_EQ(back.home_resolver, "");
  EXPECT_FALSE(back.resolver_before_vpn.has_value());
}
