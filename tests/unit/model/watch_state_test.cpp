// The tunnel the watch finds from rtnetlink events: split routes, a default route, wg-quick's
// fwmark rules; each found and, from events where it is not there, not found.
#include <gtest/gtest.h>

#include "model/watch_state.hpp"
#include "watch_events.hpp"

using namespace watchtest;

namespace {

ss::WatchState split_tunnel(bool tunnel_up) {
  ss::WatchState s;
  s.apply(en0());
  s.apply(addr("added", "192.168.1.100/24", "en0"));
  s.apply(link("added", "tun0", "tun", tunnel_up, true));
  s.apply(route("added", "198.51.100.1/32", "en0", "main", "192.168.1.1"));
  s.apply(route("added", "0.0.0.0/1", "tun0"));
  s.apply(route("added", "128.0.0.0/1", "tun0"));
  return s;
}

}  // namespace

TEST(WatchState, TunnelLinksByKindOrPointToPoint) {
  EXPECT_TRUE(ss::is_tunnel_link({"tun0", "tun", 65534, true, true, true}));
  EXPECT_TRUE(ss::is_tunnel_link({"wg0", "wireguard", 65534, false, true, true}));
  EXPECT_TRUE(ss::is_tunnel_link({"ppp0", "", 512, true, true, true}));
  EXPECT_FALSE(ss::is_tunnel_link({"en0", "veth", 1, false, true, true}));
  EXPECT_TRUE(ss::is_physical_link({"en0", "veth", 1, false, true, true}));
  EXPECT_FALSE(ss::is_physical_link({"lo", "", 772, false, true, true}));
  EXPECT_FALSE(ss::is_physical_link({"tap0", "tun", 1, false, true, true}));
}

TEST(WatchState, SplitRoutesThroughAnUpTunnelCarryEverything) {
  auto st = split_tunnel(true).status();
  ASSERT_TRUE(st.protected_now());
  EXPECT_EQ(st.full.front().method, "split-routes");
  EXPECT_EQ(st.full.front().dev, "tun0");
  EXPECT_EQ(st.full.front().family, "inet");
  EXPECT_EQ(st.tunnels, std::vector<std::string>{"tun0"});
  EXPECT_EQ(st.excepted_hosts, std::set<std::string>{"198.51.100.1"}) << "the endpoint's route";
}

TEST(WatchState, NoFullTunnelWhenTheTunnelIsDownOrAHalfIsMissing) {
  auto down = split_tunnel(false).status();
  EXPECT_FALSE(down.protected_now());
  EXPECT_TRUE(down.excepted_hosts.empty());
  auto half = split_tunnel(true);
  half.apply(route("removed", "128.0.0.0/1", "tun0"));
  EXPECT_FALSE(half.status().protected_now());
  auto gone = split_tunnel(true);
  gone.apply(link("removed", "tun0", "tun", false, true));
  EXPECT_FALSE(gone.status().protected_now());
  EXPECT_TRUE(gone.status().tunnels.empty());
}

TEST(WatchState, ADefaultRouteIntoATunnelCarriesEverything) {
  ss::WatchState s;
  s.apply(link("added", "vpn0", "", true, true));
  s.apply(route("added", "0.0.0.0/0", "vpn0"));
  ASSERT_TRUE(s.status().protected_now());
  EXPECT_EQ(s.status().full.front().method, "default-route");
  s.apply(route("added", "0.0.0.0/0", "en0", "main", "192.168.1.1"));
  s.apply(route("removed", "0.0.0.0/0", "vpn0"));
  EXPECT_FALSE(s.status().protected_now()) << "the default route through en0 is not a tunnel";
}

TEST(WatchState, WgQuickFwmarkRulesCarryEverything) {
  ss::WatchState s;
  s.apply(en0());
  s.apply(link("added", "wg0", "wireguard", true, true));
  s.apply(route("added", "0.0.0.0/0", "wg0", 51820));
  EXPECT_FALSE(s.status().protected_now()) << "table 51820 alone is used by no packet";
  s.apply(rule("rule-added", 51820, 51820, true, nullptr));
  s.apply(rule("rule-added", "main", nullptr, false, 0));
  auto st = s.status();
  ASSERT_TRUE(st.protected_now());
  EXPECT_EQ(st.full.front().method, "fwmark-rules");
  EXPECT_EQ(st.full.front().detail,
            "not fwmark 51820 -> table 51820, main suppress_prefixlength 0");
  s.apply(rule("rule-removed", 51820, 51820, true, nullptr));
  EXPECT_FALSE(s.status().protected_now());
}

TEST(WatchState, AFwmarkRuleThatIsNotInvertedSendsOnlyMarkedPackets) {
  ss::WatchState s;
  s.apply(link("added", "wg0", "wireguard", true, true));
  s.apply(route("added", "0.0.0.0/0", "wg0", 51820));
  s.apply(rule("rule-added", 51820, 51820, false, nullptr));
  EXPECT_FALSE(s.status().protected_now());
}

TEST(WatchState, AddressesFollowTheirEvents) {
  ss::WatchState s;
  s.apply(addr("added", "192.168.1.100/24", "en0"));
  EXPECT_EQ(s.addresses("en0"), std::set<std::string>{"192.168.1.100"});
  s.apply(addr("removed", "192.168.1.100/24", "en0"));
  EXPECT_TRUE(s.addresses("en0").empty());
  s.apply(addr("added", "192.168.1.100/24", "en0"));
  s.clear();
  EXPECT_TRUE(s.addresses("en0").empty());
}
