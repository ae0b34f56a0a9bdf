// reap's outcome from a run's timeline, each figure both ways: reap ran or not; an RST from the
// tunnel's address out of the physical interface after t=0 counted, and every near miss not.
#include "model/reap_run.hpp"

#include <gtest/gtest.h>

namespace ss {
namespace {

Event ev(int64_t t_us, Layer layer, const std::string& kind, nlohmann::json detail) {
  Event e;
  e.t_us = t_us;
  e.layer = layer;
  e.kind = kind;
  e.detail = std::move(detail);
  return e;
}

Event rst(int64_t t_us, const std::string& src, const std::string& dir = "out", int flags = 20) {
  return ev(t_us, Layer::packet, "bypass",
            {{"dir", dir},
             {"src", src},
             {"dst", "203.0.113.10"},
             {"proto", 6},
             {"sport", 40000},
             {"dport", 7001},
             {"tcp_flags", flags}});
}

RunRecord with_reap() {
  RunRecord r;
  r.vpn.tunnel_ip = "10.8.0.42";
  r.events.push_back(
      ev(-400'000, Layer::probe, "ready", {{"agent", "reap"}, {"peer_ports", {7014}}}));
  r.events.push_back(ev(1'100, Layer::probe, "reap",
                        {{"agent", "reap"}, {"action", "destroyed"}, {"line", "  destroyed tcp"}}));
  r.events.push_back(ev(1'200, Layer::probe, "reaped",
                        {{"address", "10.8.0.42/32"}, {"tcp", 2}, {"udp", 1}, {"dry_run", false}}));
  return r;
}

TEST(ReapOutcome, NoneWithoutReapsReadyLine) {
  RunRecord r = with_reap();
  r.events.erase(r.events.begin());
  EXPECT_FALSE(reap_outcome(r));
  // A probe's own ready line is not reap's.
  r.events.push_back(ev(-300'000, Layer::probe, "ready", {{"agent", "tcp-client"}}));
  EXPECT_FALSE(reap_outcome(r));
}

TEST(ReapOutcome, CountsTheDestroyedSockets) {
  const auto o = reap_outcome(with_reap());
  ASSERT_TRUE(o);
  EXPECT_EQ(o->peer_ports, std::vector<int>{7014});
  EXPECT_EQ(o->removals, 1);
  EXPECT_EQ(o->tcp, 2);
  EXPECT_EQ(o->udp, 1);
  ASSERT_TRUE(o->first_ms);
  EXPECT_DOUBLE_EQ(*o->first_ms, 1.1);
  EXPECT_EQ(o->resets_from_tunnel, 0);
  EXPECT_FALSE(o->first_reset_ms);
}

TEST(ReapOutcome, ADryRunDestroysNothing) {
  RunRecord r = with_reap();
  r.events[1].detail["action"] = "would destroy";
  r.events[2].detail["dry_run"] = true;
  const auto o = reap_outcome(r);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->removals, 0);
  EXPECT_EQ(o->tcp, 0);
  EXPECT_FALSE(o->first_ms);
}

TEST(ReapOutcome, AnRstFromTheTunnelsAddressAfterT0Counts) {
  RunRecord r = with_reap();
  r.events.push_back(rst(1'500, "10.8.0.42"));
  const auto o = reap_outcome(r);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->resets_from_tunnel, 1);
  ASSERT_TRUE(o->first_reset_ms);
  EXPECT_DOUBLE_EQ(*o->first_reset_ms, 1.5);
}

TEST(ReapOutcome, NearMissesAreNotResetsFromTheTunnel) {
  RunRecord r = with_reap();
  r.events.push_back(rst(-10, "10.8.0.42"));               // before t=0
  r.events.push_back(rst(1'500, "192.168.1.100"));         // the physical address
  r.events.push_back(rst(1'500, "10.8.0.42", "in"));       // incoming
  r.events.push_back(rst(1'500, "10.8.0.42", "out", 16));  // a plain ACK
  const auto o = reap_outcome(r);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->resets_from_tunnel, 0);
}

TEST(ReapOutcome, AMalformedStoredRecordReadsAsAbsentFieldsAndNeverThrows) {
  RunRecord r = with_reap();
  r.events[0].detail["peer_ports"] = {"ssh", 22};
  r.events[2].detail["tcp"] = "two";
  r.events.push_back(ev(1'500, Layer::packet, "bypass",
                        {{"dir", 1}, {"src", "10.8.0.42"}, {"proto", "tcp"}, {"tcp_flags", "R"}}));
  std::optional<ReapOutcome> o;
  ASSERT_NO_THROW(o = reap_outcome(r));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->peer_ports, std::vector<int>{22});
  EXPECT_EQ(o->tcp, 0);
  EXPECT_EQ(o->udp, 1);
  EXPECT_EQ(o->resets_from_tunnel, 0);
}

}  // namespace
}  // namespace ss
