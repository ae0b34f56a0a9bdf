// The report's reap lines: absent when reap did not run; the figures when it did.
#include <gtest/gtest.h>

#include "report/reap.hpp"

namespace ss::report {
namespace {

Event ev(int64_t t_us, Layer layer, const std::string& kind, nlohmann::json detail) {
  Event e;
  e.t_us = t_us;
  e.layer = layer;
  e.kind = kind;
  e.detail = std::move(detail);
  return e;
}

TEST(RenderReap, NothingWhenReapDidNotRun) {
  RunRecord r;
  r.vpn.tunnel_ip = "10.8.0.42";
  EXPECT_EQ(render_reap(r), "");
}

TEST(RenderReap, SaysWhatItDestroyedAndTheResetsThatLeft) {
  RunRecord r;
  r.vpn.tunnel_ip = "10.8.0.42";
  r.events.push_back(ev(-1000, Layer::probe, "ready", {{"agent", "reap"}, {"peer_ports", {7014}}}));
  EXPECT_NE(render_reap(r).find("destroyed 0 TCP and 0 UDP sockets (no address"), std::string::npos)
      << render_reap(r);
  r.events.push_back(ev(2500, Layer::probe, "reap", {{"agent", "reap"}, {"action", "destroyed"}}));
  r.events.push_back(ev(2700, Layer::probe, "reaped", {{"tcp", 3}, {"udp", 0}}));
  r.events.push_back(ev(2600, Layer::packet, "bypass",
                        {{"dir", "out"}, {"src", "10.8.0.42"}, {"proto", 6}, {"tcp_flags", 20}}));
  const std::string out = render_reap(r);
  EXPECT_NE(out.find("reap (peer ports 7014): destroyed 3 TCP and 0 UDP sockets, the first at "
                     "+2.500 ms"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("from the tunnel's address 10.8.0.42 after t=0: 1, the first at +2.600 ms"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace ss::report
