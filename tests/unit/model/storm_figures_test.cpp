// The storm's figures from kernel counter text and agent lines, both ways for every verdict.
#include "model/storm_figures.hpp"

#include <gtest/gtest.h>

namespace ss {
namespace {

const char* kNetstat =
    "TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops\n"
    "TcpExt: 3 0 17 19\n"
    "IpExt: InNoRoutes\n"
    "IpExt: 0\n";
const char* kSnmp =
    "Ip: Forwarding DefaultTTL\n"
    "Ip: 1 64\n"
    "Tcp: RtoAlgorithm ActiveOpens OutRsts InCsumErrors\n"
    "Tcp: 1 5 42 0\n";

TEST(KernelCounters, ParsesTheFourFields) {
  KernelCounters c = parse_kernel_counters(kNetstat, kSnmp);
  EXPECT_EQ(c.syncookies_sent, 3);
  EXPECT_EQ(c.listen_overflows, 17);
  EXPECT_EQ(c.listen_drops, 19);
  EXPECT_EQ(c.out_rsts, 42);
}

TEST(KernelCounters, AMissingOrMalformedFieldIsNamed) {
  try {
    parse_kernel_counters("TcpExt: SyncookiesSent\nTcpExt: 1\n", kSnmp);
    FAIL() << "accepted a netstat without ListenOverflows";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ListenOverflows"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_kernel_counters(kNetstat, "Tcp: OutRsts\nTcp: x\n"), std::invalid_argument);
  EXPECT_THROW(parse_kernel_counters(kNetstat, "Tcp: OutRsts Other\nTcp: 1\n"),
               std::invalid_argument);
}

TEST(KernelCounters, DeltaAndJsonRoundTrip) {
  KernelCounters b{1, 2, 3, 4}, a{11, 12, 3, 9};
  KernelCounters d = counter_delta(b, a);
  EXPECT_EQ(d, (KernelCounters{10, 10, 0, 5}));
  EXPECT_EQ(counters_from_json(to_json(a)), a);
}

nlohmann::json line(int64_t t_ns, const char* agent, const char* kind, nlohmann::json f = {}) {
  if (f.is_null()) f = nlohmann::json::object();
  f["t_ns"] = t_ns;
  f["agent"] = agent;
  f["kind"] = kind;
  return f;
}

nlohmann::json counters(int64_t overflows, int64_t established) {
  return {{"counters",
           {{"listen_overflows", overflows},
            {"listen_drops", overflows},
            {"syncookies_sent", 0},
            {"resets_sent", 5}}},
          {"sockets", {{"established", established}, {"syn_recv", 0}}}};
}

constexpr int64_t kT0 = 1'000'000'000, kEnd = 4'000'000'000, kMs = 1'000'000;

// Three clients up before t=0; two lose their connection and come back, one of them after a
// failed attempt; the server sees the new connections from another address.
struct Storm {
  AgentLines client = {
      line(100 * kMs, "storm-client", "up", {{"c", 0}}),
      line(110 * kMs, "storm-client", "up", {{"c", 1}}),
      line(120 * kMs, "storm-client", "up", {{"c", 2}}),
      line(200 * kMs, "storm-client", "ready", {{"clients", 3}, {"connected", 3}}),
      line(kT0 + 50 * kMs, "storm-client", "lost", {{"c", 0}, {"error", "ECONNRESET"}}),
      line(kT0 + 60 * kMs, "storm-client", "lost", {{"c", 1}, {"error", "ECONNRESET"}}),
      line(kT0 + 70 * kMs, "storm-client", "fail", {{"c", 0}, {"error", "ECONNREFUSED"}}),
      line(kT0 + 80 * kMs, "storm-client", "up", {{"c", 1}}),
      line(kT0 + 95 * kMs, "storm-client", "up", {{"c", 0}}),
  };
  AgentLines server = {
      line(50 * kMs, "storm-server", "ready", counters(7, 0)),
      line(100 * kMs, "storm-server", "upgraded", {{"peer", "10.9.0.1:40000"}}),
      line(110 * kMs, "storm-server", "upgraded", {{"peer", "10.9.0.1:40001"}}),
      line(120 * kMs, "storm-server", "upgraded", {{"peer", "10.9.0.1:40002"}}),
      line(kT0 + 80 * kMs, "storm-server", "upgraded", {{"peer", "192.0.2.7:50000"}}),
      line(kT0 + 95 * kMs, "storm-server", "upgraded", {{"peer", "192.0.2.7:50001"}}),
      line(kEnd - 100 * kMs, "storm-server", "counters", counters(9, 5)),
      line(kEnd + 100 * kMs, "storm-server", "counters", counters(50, 0)),  // after the end
  };
};

TEST(StormFigures, RecoveryFromTimestamps) {
  Storm s;
  auto f = storm_figures(s.client, s.server, kT0, kEnd);
  EXPECT_EQ(f["clients"], 3);
  EXPECT_EQ(f["connected_at_t0"], 3);
  EXPECT_EQ(f["lost"], 2);
  EXPECT_EQ(f["back"], 2);
  EXPECT_EQ(f["connected_at_end"], 3);
  EXPECT_DOUBLE_EQ(f["first_lost_ms"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(f["time_to_50_ms"].get<double>(), 80.0);
  EXPECT_DOUBLE_EQ(f["time_to_99_ms"].get<double>(), 95.0);
  EXPECT_DOUBLE_EQ(f["time_to_all_ms"].get<double>(), 95.0);
  EXPECT_EQ(f["attempts"], 3);
  EXPECT_EQ(f["wasted"], 1);
  EXPECT_EQ(f["lost_errors"]["ECONNRESET"], 2);
  EXPECT_EQ(f["reconnects_per_bucket"], (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(f["peak_reconnects_per_bucket"], 1);
}

TEST(StormFigures, AClientNotBackLeavesTimeToAllOpen) {
  Storm s;
  s.client.pop_back();  // client 0 never comes back
  auto f = storm_figures(s.client, s.server, kT0, kEnd);
  EXPECT_EQ(f["lost"], 2);
  EXPECT_EQ(f["back"], 1);
  EXPECT_DOUBLE_EQ(f["time_to_50_ms"].get<double>(), 80.0);
  EXPECT_TRUE(f["time_to_99_ms"].is_null());
  EXPECT_TRUE(f["time_to_all_ms"].is_null());
  EXPECT_EQ(f["connected_at_end"], 2);
}

TEST(StormFigures, NoStormWhenNothingWasLost) {
  Storm s;
  s.client.resize(4);  // only the set-up
  auto f = storm_figures(s.client, s.server, kT0, kEnd);
  EXPECT_EQ(f["lost"], 0);
  EXPECT_EQ(f["attempts"], 0);
  EXPECT_TRUE(f["time_to_50_ms"].is_null());
  EXPECT_TRUE(f["time_to_all_ms"].is_null());
  EXPECT_TRUE(f["first_lost_ms"].is_null());
}

TEST(StormFigures, AddressesTheServerSawBeforeAndAfter) {
  Storm s;
  auto f = storm_figures(s.client, s.server, kT0, kEnd);
  EXPECT_EQ(f["server_saw_before"], std::vector<std::string>{"10.9.0.1"});
  EXPECT_EQ(f["server_saw_after"], std::vector<std::string>{"192.0.2.7"});
  EXPECT_TRUE(f["address_changed"]);
  // The same address after: no change.
  s.server[4]["peer"] = "10.9.0.1:40003";
  s.server[5]["peer"] = "10.9.0.1:40004";
  f = storm_figures(s.client, s.server, kT0, kEnd);
  EXPECT_FALSE(f["address_changed"]);
}

TEST(StormFigures, KernelCountersBeforeAndAfterTheStorm) {
  Storm s;
  auto f = storm_figures(s.client, s.server, kT0, kEnd);
  ASSERT_TRUE(f["kernel"].is_object());
  EXPECT_EQ(f["kernel"]["delta"]["listen_overflows"], 2);  // 9 - 7; the reading after the end
  EXPECT_TRUE(f["kernel"]["accept_queue_overflowed"]);     // is not used
  EXPECT_DOUBLE_EQ(f["kernel"]["after_ms"].get<double>(), 2900.0);
  // Five established at the end for three connected clients: two half-open.
  EXPECT_EQ(f["server_sockets_at_end"]["half_open"], 2);
}

TEST(StormFigures, NoOverflowWhenTheCounterStayed) {
  Storm s;
  s.server[6] = line(kEnd - 100 * kMs, "storm-server", "counters", counters(7, 3));
  auto f = storm_figures(s.client, s.server, kT0, kEnd);
  EXPECT_EQ(f["kernel"]["delta"]["listen_overflows"], 0);
  EXPECT_FALSE(f["kernel"]["accept_queue_overflowed"]);
  EXPECT_EQ(f["server_sockets_at_end"]["half_open"], 0);
}

TEST(StormFigures, NoKernelPartWithoutAReadingAfterTheStart) {
  Storm s;
  s.server.resize(6);
  auto f = storm_figures(s.client, s.server, kT0, kEnd);
  EXPECT_TRUE(f["kernel"].is_null());
  EXPECT_TRUE(f["server_sockets_at_end"].is_null());
}

TEST(StormFigures, ShareOf) {
  EXPECT_EQ(share_of(3, 0.5), 2u);
  EXPECT_EQ(share_of(200, 0.99), 198u);
  EXPECT_EQ(share_of(1, 0.5), 1u);
}

}  // namespace
}  // namespace ss

namespace ss {
namespace {

TEST(StormBatches, ExpandIntoOneLinePerEventInTimeOrder) {
  AgentLines lines = {
      {{"t_ns", 500}, {"agent", "storm-client"}, {"kind", "ready"}, {"clients", 2}},
      {{"t_ns", 900},
       {"agent", "storm-client"},
       {"kind", "batch"},
       {"up", nlohmann::json::array({nlohmann::json::array({1, 700})})},
       {"lost", nlohmann::json::array({nlohmann::json::array({0, 600, "ECONNRESET"})})}},
      {{"t_ns", 950},
       {"agent", "storm-server"},
       {"kind", "batch"},
       {"upgraded", nlohmann::json::array({nlohmann::json::array({"10.0.0.1:5", 650})})},
       {"counters", {{"listen_overflows", 1}}},
       {"sockets", {{"established", 2}}}},
  };
  AgentLines out = expand_storm_batches(lines);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0]["kind"], "ready");
  EXPECT_EQ(out[1]["kind"], "lost");
  EXPECT_EQ(out[1]["c"], 0);
  EXPECT_EQ(out[1]["error"], "ECONNRESET");
  EXPECT_EQ(out[2]["kind"], "upgraded");
  EXPECT_EQ(out[2]["peer"], "10.0.0.1:5");
  EXPECT_EQ(out[3]["kind"], "up");
  EXPECT_EQ(out[4]["kind"], "counters");
  EXPECT_EQ(out[4]["t_ns"], 950);
  EXPECT_EQ(out[4]["sockets"]["established"], 2);
}

}  // namespace
}  // namespace ss
