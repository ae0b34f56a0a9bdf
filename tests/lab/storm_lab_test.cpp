// run --storm N: N WebSocket clients through the tunnel while the run's real VPN event
// happens; the record's storm section is present and consistent (no timing is asserted, and
// no outcome: what the flicker or disconnect does to the clients is the measurement).
#include <algorithm>
#include <numeric>

#include "lab_util.hpp"

using namespace labtest;

namespace {

// The figures agree with each other, whatever the storm was.
void expect_consistent(const nlohmann::json& p, int clients) {
  ASSERT_TRUE(p.contains("storm")) << p.dump();
  const auto& s = p["storm"];
  EXPECT_EQ(s["clients"], clients);
  EXPECT_EQ(s["connected_at_t0"], clients) << "every client was connected before t=0";
  const int64_t lost = s["lost"], back = s["back"], attempts = s["attempts"], wasted = s["wasted"],
                losses = s["losses"];
  EXPECT_LE(lost, clients);
  EXPECT_LE(back, lost);
  EXPECT_GE(losses, lost);
  EXPECT_LE(s["connected_at_end"].get<int64_t>(), clients);
  EXPECT_GE(attempts, back) << "every client back made an attempt";
  EXPECT_LE(wasted, attempts);
  EXPECT_EQ(p["survived"].get<bool>(), lost == 0);
  EXPECT_EQ(p["detected_ms"].is_null(), lost == 0);
  EXPECT_EQ(s["first_lost_ms"].is_null(), lost == 0);
  // The server completed an upgrade for every client that came back.
  const auto& buckets = s["reconnects_per_bucket"];
  int64_t upgrades =
      std::accumulate(buckets.begin(), buckets.end(), int64_t{0},
                      [](int64_t a, const nlohmann::json& b) { return a + b.get<int64_t>(); });
  EXPECT_GE(upgrades, back);
  if (!buckets.empty()) {
    EXPECT_EQ(s["peak_reconnects_per_bucket"], *std::max_element(buckets.begin(), buckets.end()));
  }
  // The times to 50/99/100% back are ordered, and all-back is known exactly when all came back.
  EXPECT_EQ(s["time_to_all_ms"].is_null(), lost == 0 || back < lost);
  if (!s["time_to_all_ms"].is_null()) {
    EXPECT_LE(s["time_to_50_ms"].get<double>(), s["time_to_99_ms"].get<double>());
    EXPECT_LE(s["time_to_99_ms"].get<double>(), s["time_to_all_ms"].get<double>());
    EXPECT_GE(s["time_to_50_ms"].get<double>(), s["first_lost_ms"].get<double>());
  }
  // Before t=0 the server saw the clients through the tunnel; after, whoever came back.
  EXPECT_FALSE(s["server_saw_before"].empty());
  if (back > 0) {
    EXPECT_FALSE(s["server_saw_after"].empty());
  }
  // The server's kernel, read from inside its namespace before and after.
  ASSERT_TRUE(s["kernel"].is_object()) << s.dump();
  const auto& k = s["kernel"];
  for (const char* c : {"listen_overflows", "listen_drops", "syncookies_sent", "resets_sent"}) {
    EXPECT_EQ(k["delta"][c].get<int64_t>(),
              k["after"][c].get<int64_t>() - k["before"][c].get<int64_t>())
        << c;
    EXPECT_GE(k["delta"][c].get<int64_t>(), 0) << c;
  }
  EXPECT_EQ(k["accept_queue_overflowed"].get<bool>(),
            k["delta"]["listen_overflows"].get<int64_t>() > 0);
  EXPECT_LE(k["before_ms"].get<double>(), 0);
  EXPECT_GT(k["after_ms"].get<double>(), 0);
  ASSERT_TRUE(s["server_sockets_at_end"].is_object());
  EXPECT_GE(s["server_sockets_at_end"]["half_open"].get<int64_t>(), 0);
}

}  // namespace

TEST(StormLab, FlickerWithTwoHundredClients) {
  REQUIRE_ROOT();
  auto rec = run_json("flicker --storm 200");
  ASSERT_FALSE(rec.is_discarded());
  const auto* p = probe(rec, "storm");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE((*p)["setup_ok"].get<bool>()) << p->dump();
  expect_consistent(*p, 200);
  // Batched: a storm of hundreds is a handful of timeline events, not one per client.
  int storm_events = 0;
  for (const auto& e : rec["events"])
    if (e.value("agent", "").rfind("storm-", 0) == 0) ++storm_events;
  EXPECT_LT(storm_events, 200);
}

TEST(StormLab, DisconnectWithFiveHundredClients) {
  REQUIRE_ROOT();
  auto rec = run_json("disconnect --storm 500 --storm-policy decorrelated");
  ASSERT_FALSE(rec.is_discarded());
  const auto* p = probe(rec, "storm");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE((*p)["setup_ok"].get<bool>()) << p->dump();
  EXPECT_EQ((*p)["storm"]["policy"], "decorrelated");
  expect_consistent(*p, 500);
}

TEST(StormLab, BadStormOptionsExitTwo) {
  REQUIRE_ROOT();
  for (const char* args : {"flicker --storm 20001", "flicker --storm 10 --storm-policy sideways"}) {
    Result r = sh(bin() + " run " + args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
  }
}
