// The lab storm's lines in the run summary: what it says, and the overflow line only when the
// accept queue overflowed.
#include <gtest/gtest.h>

#include "storm/output.hpp"

namespace ss::storm {
namespace {

nlohmann::json section(int64_t overflows) {
  nlohmann::json counters = {
      {"listen_overflows", 0}, {"listen_drops", 0}, {"syncookies_sent", 0}, {"resets_sent", 0}};
  nlohmann::json delta = counters;
  delta["listen_overflows"] = overflows;
  return {{"clients", 200},
          {"policy", "full-jitter"},
          {"connected_at_t0", 200},
          {"lost", 200},
          {"lost_errors", {{"timeout", 200}}},
          {"first_lost_ms", 1318.5},
          {"back", 200},
          {"connected_at_end", 200},
          {"time_to_50_ms", 1484.0},
          {"time_to_99_ms", 1575.9},
          {"time_to_all_ms", 1586.9},
          {"attempts", 210},
          {"wasted", 10},
          {"bucket_ms", 10.0},
          {"peak_reconnects_per_bucket", 19},
          {"server_saw_before", {"198.51.100.1"}},
          {"server_saw_after", {"203.0.113.2"}},
          {"address_changed", true},
          {"kernel",
           {{"before", counters},
            {"after", counters},
            {"delta", delta},
            {"before_ms", -24.3},
            {"after_ms", 2881.5},
            {"accept_queue_overflowed", overflows > 0}}},
          {"server_sockets_at_end",
           {{"established", 400},
            {"syn_recv", 0},
            {"close_wait", 0},
            {"other", 0},
            {"half_open", 200}}}};
}

TEST(LabStormRender, TheStormAsTheServerSawIt) {
  std::string text = render_lab_storm(section(0));
  for (const char* part : {"200 WebSocket clients (full-jitter)", "lost 200 (timeout 200)",
                           "all at +1586.9 ms", "wasted 10", "peak 19 reconnects per 10 ms",
                           "198.51.100.1 before t=0, 203.0.113.2 after (a new address)",
                           "ListenOverflows 0", "200 half-open"})
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  EXPECT_EQ(text.find("overflowed"), std::string::npos) << text;
}

TEST(LabStormRender, SaysSoWhenTheAcceptQueueOverflowed) {
  std::string text = render_lab_storm(section(37));
  EXPECT_NE(text.find("ListenOverflows +37"), std::string::npos) << text;
  EXPECT_NE(text.find("the accept queue overflowed: the kernel dropped 37"), std::string::npos)
      << text;
}

TEST(LabStormRender, NoKernelReadingAndNoneBack) {
  nlohmann::json s = section(0);
  s["kernel"] = nullptr;
  s["server_sockets_at_end"] = nullptr;
  s["time_to_all_ms"] = nullptr;
  s["back"] = 0;
  std::string text = render_lab_storm(s);
  EXPECT_NE(text.find("server's kernel: not read"), std::string::npos) << text;
  EXPECT_NE(text.find("all at -"), std::string::npos) << text;
}

}  // namespace
}  // namespace ss::storm
