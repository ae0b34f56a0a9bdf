// A record read from a file may lack the optional parts a probe or event usually carries (an
// older or hand-edited record): the report must still render, never read a missing key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/timeline.hpp"

using nlohmann::json;
using ::testing::HasSubstr;

TEST(TimelinePartialRecord, DnsProbeWithoutItsExtraFields) {
  ss::RunRecord r;
  r.scenario = "hand";
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  ss::ProbeFate dns;
  dns.name = "dns";
  dns.proto = "dns";
  dns.survived = true;  // extra is {}: no answered_by_before / answered_by_after
  r.probes = {dns};
  EXPECT_THAT(ss::report::render_run(r), HasSubstr("dns probe: survived"));
}

TEST(TimelinePartialRecord, ResolverChangeWithoutFromAndTo) {
  ss::RunRecord r;
  r.scenario = "hand";
  r.events.push_back({5, ss::Layer::dns, "resolver_changed", json::object()});
  EXPECT_THAT(ss::report::render_run(r), HasSubstr("resolv.conf nameservers"));
  EXPECT_THAT(ss::report::describe_event(r.events[0]), HasSubstr("resolv.conf nameservers"));
}
