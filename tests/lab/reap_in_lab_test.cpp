// `run --reap`: splitsecond reap in the client namespace through a real disconnect of the
// reference client. The probes' connections from the tunnel's address are destroyed when the
// tunnel goes (they end with ECONNABORTED instead of hanging), and the capture of the physical
// interface says whether the RSTs of the aborted sockets left it carrying the tunnel's source
// address: without the kill switch and with ours (which must let none out).
#include <gtest/gtest.h>

#include <cstdio>

#include "lab_util.hpp"
#include "model/reap_run.hpp"
#include "model/record.hpp"

namespace {

struct Case {
  const char* name;
  const char* args;
};

class ReapInTheLab : public ::testing::TestWithParam<Case> {};

TEST_P(ReapInTheLab, AbortsTheTunnelsConnectionsAndCountsTheRstsThatLeft) {
  REQUIRE_ROOT();
  labtest::Result r;
  const nlohmann::json j =
      labtest::run_json(std::string("disconnect --reap ") + GetParam().args, &r);  // + schema
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const ss::RunRecord rec = ss::record_from_json(j);
  const auto o = ss::reap_outcome(rec);
  ASSERT_TRUE(o) << "no ready line of reap on the timeline:\n" << r.out;
  EXPECT_GE(o->tcp, 1) << r.out;  // the tcp, websocket, ssh... probes' connections
  std::vector<std::string> aborted;
  for (const auto& p : rec.probes)
    if (p.error && *p.error == "ECONNABORTED") aborted.push_back(p.name);
  EXPECT_FALSE(aborted.empty()) << "no probe ended with ECONNABORTED:\n" << r.out;
  std::printf(
      "reap in the lab (%s): destroyed %d TCP, %d UDP sockets, the first at %.3f ms; %zu probes "
      "ended with ECONNABORTED; RSTs out of %s from the tunnel's address %s: %d\n",
      GetParam().name, o->tcp, o->udp, o->first_ms.value_or(-1), aborted.size(),
      rec.physical_interface.c_str(), rec.vpn.tunnel_ip.c_str(), o->resets_from_tunnel);
  RecordProperty("resets_from_tunnel", o->resets_from_tunnel);
  RecordProperty("tcp_destroyed", o->tcp);
  if (rec.killswitch) {
    EXPECT_EQ(o->resets_from_tunnel, 0) << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Killswitch, ReapInTheLab,
                         ::testing::Values(Case{"none", ""}, Case{"ours", "--killswitch ours"}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
