// int64_t fields of the record must survive the JSON round trip whole.
#include <gtest/gtest.h>

#include "model/record.hpp"

TEST(RecordInt64, LargeCountsRoundTrip) {
  ss::RunRecord r;
  r.scenario = "disconnect";
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  r.events.push_back({0, ss::Layer::link, "trigger", {}});
  r.netlink_events_lost = int64_t{5'000'000'000};  // an int64_t field: more than 32 bits
  r.events[0].t_us = -int64_t{9'000'000'000};
  const ss::RunRecord back = ss::record_from_json(ss::to_json(r));
  EXPECT_EQ(back.events[0].t_us, r.events[0].t_us);
  EXPECT_EQ(back.netlink_events_lost, r.netlink_events_lost);
}
