#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "lab/vpn.hpp"
#include "model/vpn_variants.hpp"

namespace {

// Scenario validation (model) and the drivers (lab) list the same (kind, client) pairs: a
// scenario accepted by parsing always finds a driver, and every driver can be named.
TEST(VpnRegistry, AgreesWithTheModelsList) {
  std::set<std::pair<std::string, std::string>> lab, model;
  for (const auto& e : ss::lab::vpn_registry()) {
    EXPECT_TRUE(lab.emplace(e.kind, e.client).second) << e.kind << "/" << e.client << " twice";
    EXPECT_NE(e.make, nullptr) << e.kind << "/" << e.client;
    EXPECT_GT(std::string(e.description).size(), 10u) << e.kind << "/" << e.client;
  }
  for (const auto& v : ss::known_vpn_variants()) model.emplace(v.kind, v.client);
  EXPECT_EQ(lab, model);
  EXPECT_TRUE(lab.count({"wireguard", "reference"}));
  EXPECT_TRUE(lab.count({"wireguard", "wg-quick"}));
}

}  // namespace
