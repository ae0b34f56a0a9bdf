// A real WireGuard full tunnel, disconnected: what the recorder saw, layer by layer.
#include "lab_util.hpp"

using namespace labtest;

namespace {

const nlohmann::json* trigger_of(const nlohmann::json& rec) {
  for (const auto& e : rec["events"])
    if (e["layer"] == "link" && e["kind"] == "trigger") return &e;
  return nullptr;
}

TEST(Disconnect, CleanTeardownIsRecordedLayerByLayer) {
  REQUIRE_ROOT();
  auto rec = run_json("disconnect");
  ASSERT_FALSE(rec.is_discarded());
  EXPECT_EQ(rec["schema"], "splitsecond.run/1");
  EXPECT_EQ(rec["vpn"]["interface"], "tun0");
  EXPECT_EQ(rec["vpn"]["tunnel_ip"], "10.8.0.42");
  // Layer 1: the tunnel link is gone, at or after t=0.
  EXPECT_TRUE(has_event(rec, "link", "removed",
                        [](auto& e) { return e["ifname"] == "tun0" && e["t_us"] >= 0; }));
  // Layer 2: both split routes are reported removed.
  for (const char* dst : {"0.0.0.0/1", "128.0.0.0/1"}) {
    EXPECT_TRUE(has_event(rec, "route", "removed", [&](auto& e) {
      return e["dst"] == dst && e["t_us"] >= 0;
    })) << dst;
  }
  // Layer 4: the resolver moves away from the VPN's.
  EXPECT_TRUE(has_event(rec, "dns", "resolver_changed", [](auto& e) {
    auto from = e["from"].dump();
    return from.find("10.8.0.1") != std::string::npos &&
           e["to"].dump().find("10.8.0.1") == std::string::npos;
  }));
  // Layer 3: the TCP connection through the tunnel does not carry on.
  auto* tcp = probe(rec, "tcp");
  ASSERT_NE(tcp, nullptr);
  EXPECT_TRUE((*tcp)["setup_ok"].get<bool>());
  EXPECT_FALSE((*tcp)["survived"].get<bool>());
  EXPECT_NE((*tcp)["outcome"], "yes") << tcp->dump();
  EXPECT_GT((*tcp)["silence_bound_ms"].get<double>(), 0) << tcp->dump();
  // A clean disconnect completes when its call returns.
  const auto* trigger = trigger_of(rec);
  ASSERT_NE(trigger, nullptr);
  EXPECT_EQ((*trigger)["completed_by"], "call");
  EXPECT_EQ((*trigger)["completed_us"], (*trigger)["took_us"]);
  // The tunnel carried traffic before the disconnect.
  EXPECT_TRUE(has_event(rec, "packet", "tunnel", [](auto& e) { return e["t_us"] < 0; }));
  EXPECT_GT(rec["timings"]["lab_up_ms"].get<double>(), 0);
  EXPECT_GT(rec["timings"]["vpn_up_ms"].get<double>(), 0);
}

TEST(Disconnect, CrashKillsTheTunnelWithoutTidying) {
  REQUIRE_ROOT();
  auto rec = run_json("crash");
  ASSERT_FALSE(rec.is_discarded());
  EXPECT_EQ(rec["disconnect"], "crash");
  EXPECT_TRUE(has_event(rec, "link", "removed",
                        [](auto& e) { return e["ifname"] == "tun0" && e["t_us"] >= 0; }));
  // Nobody restores the resolver after a crash: no change away from the VPN's is recorded.
  EXPECT_FALSE(has_event(rec, "dns", "resolver_changed", [](auto& e) { return e["t_us"] >= 0; }));
  auto* tcp = probe(rec, "tcp");
  ASSERT_NE(tcp, nullptr);
  EXPECT_FALSE((*tcp)["survived"].get<bool>());
  // A crash completes when the tunnel link is seen removed, not when SIGKILL was sent.
  const auto* trigger = trigger_of(rec);
  ASSERT_NE(trigger, nullptr);
  EXPECT_EQ((*trigger)["completed_by"], "link-removed") << trigger->dump();
  EXPECT_TRUE(has_event(rec, "link", "removed", [&](auto& e) {
    return e["ifname"] == "tun0" && e["t_us"] == (*trigger)["completed_us"];
  })) << trigger->dump();
  EXPECT_NEAR((*tcp)["trigger_end_ms"].get<double>() * 1000,
              (*trigger)["completed_us"].get<double>(), 1.0)  // ns vs whole us
      << tcp->dump();
}

TEST(Disconnect, PcapIsReadableByTshark) {
  REQUIRE_ROOT();
  if (sh("command -v tshark").status != 0)
    FAIL() << "tshark is not installed: scripts/deps.sh must install it";
  const std::string pcap = temp_path("capture.pcap");
  Result r = sh(bin() + " run disconnect --window 500ms --pcap " + pcap);
  ASSERT_EQ(r.status, 0) << r.err;
  Result t = sh("tshark -r " + pcap + " -Y wg 2>/dev/null | wc -l");
  std::remove(pcap.c_str());
  EXPECT_EQ(t.status, 0);
  EXPECT_GT(std::stoi(t.out), 0) << "no WireGuard packet in the capture";
}

}  // namespace
