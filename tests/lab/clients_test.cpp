// Each client (the reference client, wg-quick, OpenVPN) through the flicker and the roam: every
// action recorded, the physical link's own changes seen, the lease taken by DHCP, nothing left
// behind and the host's /etc untouched after every client.
#include "lab_util.hpp"

using namespace labtest;

namespace {

class Clients : public ::testing::TestWithParam<const char*> {};

const nlohmann::json* trigger(const nlohmann::json& rec, const std::string& action) {
  for (const auto& t : rec["triggers"])
    if (t["action"] == action) return &t;
  return nullptr;
}

int64_t at_us(const nlohmann::json* t) {
  return t ? (*t)["at_us"].get<int64_t>() : 0;
}

TEST_P(Clients, FlickerRecordsBothActionsAndTheLinkLosingItsCarrier) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  auto rec = run_json(std::string("flicker ") + GetParam());
  ASSERT_FALSE(rec.is_discarded());
  const auto* down = trigger(rec, "carrier-down");
  const auto* up = trigger(rec, "carrier-up");
  ASSERT_TRUE(down && up) << rec["triggers"].dump();
  EXPECT_FALSE((*down)["params"].contains("error"));
  EXPECT_FALSE((*up)["params"].contains("error"));
  // The laptop's own interface had lost its carrier right after the first action and had it
  // back right after the second, as read from the kernel (RTM_GETLINK). Whether the kernel
  // also announced it is the recorder's finding, not asserted: linkwatch may announce a
  // carrier change up to a second late, or not at all if it is back by then.
  EXPECT_EQ((*down)["params"]["client_link"]["lower_up"], false) << down->dump();
  EXPECT_EQ((*down)["params"]["client_link"]["up"], true);
  EXPECT_EQ((*up)["params"]["client_link"]["lower_up"], true) << up->dump();
  EXPECT_TRUE(rec["leaks"].contains("before_t0_ipv6"));
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), "");
}

TEST_P(Clients, RoamTakesANewLeaseFromTheHomeRoutersDhcp) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  auto rec = run_json(std::string("roam ") + GetParam());
  ASSERT_FALSE(rec.is_discarded());
  const auto* dhcp = trigger(rec, "dhcp");
  ASSERT_TRUE(dhcp) << rec["triggers"].dump();
  const auto& p = (*dhcp)["params"];
  ASSERT_FALSE(p.contains("error")) << p.dump();
  EXPECT_EQ(p["server"], "192.168.1.1");
  EXPECT_EQ(p["from"], "192.168.1.100/24");
  const std::string lease = p["address"];
  // From the router's pool, .150-.199.
  ASSERT_EQ(lease.rfind("192.168.1.", 0), 0u) << lease;
  const int host = std::stoi(lease.substr(10, lease.find('/') - 10));
  EXPECT_GE(host, 150);
  EXPECT_LE(host, 199);
  // udhcpc's deconfig took the old address, and its script set the new one: the recorder saw
  // both on en0 after the action began.
  EXPECT_TRUE(has_event(rec, "addr", "removed", [&](auto& e) {
    return e["dev"] == "en0" && e["address"] == "192.168.1.100/24" &&
           e["t_us"].template get<int64_t>() >= at_us(dhcp);
  }));
  EXPECT_TRUE(has_event(rec, "addr", "added", [&](auto& e) {
    return e["dev"] == "en0" && e["address"] == lease &&
           e["t_us"].template get<int64_t>() >= at_us(dhcp);
  }));
  EXPECT_EQ(host_state(), before);  // Debian's script wrote only the namespace's resolv.conf
  EXPECT_EQ(lab_processes(), "");
}

INSTANTIATE_TEST_SUITE_P(, Clients, ::testing::Values("", "--client wg-quick", "--vpn openvpn"),
                         [](const auto& info) {
                           return std::string(info.param).empty() ? std::string("reference")
                                  : std::string(info.param).find("wg") != std::string::npos
                                      ? std::string("wgquick")
                                      : std::string("openvpn");
                         });

// The reference client's supervisor, after 100 ms without an answer, tears down and comes
// back with the address the VPN hands out on reconnection.
TEST(ReferenceSupervisor, FlickerNewIpReconnectsWithTheNextTunnelAddress) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  auto rec = run_json("flicker-new-ip");
  ASSERT_FALSE(rec.is_discarded());
  const auto* r = trigger(rec, "client-reconnect");
  ASSERT_TRUE(r) << rec["triggers"].dump();
  EXPECT_FALSE((*r)["from_timeline"].get<bool>());
  EXPECT_EQ((*r)["params"]["from_tunnel_ip"], "10.8.0.42");
  EXPECT_EQ((*r)["params"]["tunnel_ip"], "10.8.0.43");
  EXPECT_GE((*r)["params"]["silence_ms"].get<double>(), 100.0);
  EXPECT_TRUE(has_event(rec, "addr", "added", [&](auto& e) {
    return e["dev"] == "tun0" && e["address"] == "10.8.0.43/24" &&
           e["t_us"].template get<int64_t>() >= at_us(r);
  })) << "the new tunnel address never appeared";
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), "");
}

}  // namespace
