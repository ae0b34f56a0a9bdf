// The run record: JSON shape (splitsecond.run/1), round trips on real records, timeline order.
#include "model/record.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

using nlohmann::json;
using ss::Event;
using ss::Layer;
using ss::ProbeFate;
using ss::RunRecord;

namespace {

json load(const std::string& name) {
  std::ifstream f(std::string(SS_TEST_DATA) + "/" + name);
  EXPECT_TRUE(f) << name;
  return json::parse(f);
}

RunRecord hand_built() {
  RunRecord r;
  r.scenario = "disconnect";
  r.disconnect = "clean";
  r.window_ms = 3000;
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  r.events.push_back({-1200, Layer::probe, "ready", {{"agent", "tcp-client"}}});
  r.events.push_back({0, Layer::link, "trigger", {{"mode", "clean"}, {"took_us", 412}}});
  r.events.push_back({412, Layer::link, "removed", {{"ifname", "tun0"}, {"index", 3}}});
  r.events.push_back({413, Layer::route, "removed", {{"dst", "0.0.0.0/1"}, {"gateway", nullptr}}});
  r.events.push_back({500, Layer::addr, "removed", {{"address", "10.8.0.42/24"}}});
  r.events.push_back(
      {800, Layer::dns, "resolver_changed", {{"from", {"10.8.0.1"}}, {"to", {"192.168.1.1"}}}});
  r.events.push_back(
      {900, Layer::packet, "dns_plaintext", {{"src", "192.168.1.100"}, {"dport", 53}}});
  ProbeFate tcp;
  tcp.name = "tcp";
  tcp.proto = "tcp";
  tcp.error = "ECONNRESET";
  tcp.detected_ms = 250.125;
  tcp.extra = {{"state", "failed"}, {"echoes_after_t0", 0}, {"gap_ms", nullptr}};
  ProbeFate dns;
  dns.name = "dns";
  dns.proto = "dns";
  dns.survived = true;
  dns.extra = {{"answered_by_before", {"vpn-resolver"}}, {"answered_by_after", {"home-resolver"}}};
  ProbeFate quic;
  quic.name = "quic";
  quic.proto = "quic";
  quic.setup_ok = false;
  quic.error = "handshake timeout";
  r.probes = {tcp, dns, quic};
  r.leaks.dns_plaintext = 60;
  r.leaks.non_tunnel_packets = 2;
  r.timings = {9.25, 14.5, 43.0};
  r.netlink_events_lost = 3;
  r.notes = {"resolv.conf not restored"};
  return r;
}

void expect_same(const RunRecord& a, const RunRecord& b) {
  EXPECT_EQ(a.scenario, b.scenario);
  EXPECT_EQ(a.disconnect, b.disconnect);
  EXPECT_EQ(a.window_ms, b.window_ms);
  EXPECT_EQ(a.vpn.kind, b.vpn.kind);
  EXPECT_EQ(a.vpn.implementation, b.vpn.implementation);
  EXPECT_EQ(a.vpn.interface, b.vpn.interface);
  EXPECT_EQ(a.vpn.tunnel_ip, b.vpn.tunnel_ip);
  EXPECT_EQ(a.vpn.endpoint, b.vpn.endpoint);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(a.events[i].t_us, b.events[i].t_us);
    EXPECT_EQ(a.events[i].layer, b.events[i].layer);
    EXPECT_EQ(a.events[i].kind, b.events[i].kind);
    EXPECT_EQ(a.events[i].detail, b.events[i].detail);
  }
  ASSERT_EQ(a.probes.size(), b.probes.size());
  for (size_t i = 0; i < a.probes.size(); ++i) {
    SCOPED_TRACE(a.probes[i].name);
    EXPECT_EQ(a.probes[i].name, b.probes[i].name);
    EXPECT_EQ(a.probes[i].proto, b.probes[i].proto);
    EXPECT_EQ(a.probes[i].setup_ok, b.probes[i].setup_ok);
    EXPECT_EQ(a.probes[i].survived, b.probes[i].survived);
    EXPECT_EQ(a.probes[i].error, b.probes[i].error);
    EXPECT_EQ(a.probes[i].detected_ms, b.probes[i].detected_ms);
    EXPECT_EQ(a.probes[i].extra, b.probes[i].extra);
  }
  EXPECT_EQ(a.leaks.dns_plaintext, b.leaks.dns_plaintext);
  EXPECT_EQ(a.leaks.non_tunnel_packets, b.leaks.non_tunnel_packets);
  EXPECT_EQ(a.timings.lab_up_ms, b.timings.lab_up_ms);
  EXPECT_EQ(a.timings.vpn_up_ms, b.timings.vpn_up_ms);
  EXPECT_EQ(a.timings.teardown_ms, b.timings.teardown_ms);
  EXPECT_EQ(a.netlink_events_lost, b.netlink_events_lost);
  EXPECT_EQ(a.notes, b.notes);
}

void expect_keys(const json& j, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    EXPECT_TRUE(j.contains(k)) << "missing key " << k << " in " << j.dump();
}

// The keys of splitsecond.run/1 that reports and users rely on.
void expect_schema(const json& j) {
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["schema"], "splitsecond.run/1");
  expect_keys(j, {"schema", "scenario", "disconnect", "window_ms", "vpn", "events", "probes",
                  "leaks", "timings", "netlink_events_lost", "notes"});
  expect_keys(j["vpn"], {"kind", "implementation", "interface", "tunnel_ip", "endpoint"});
  ASSERT_TRUE(j["events"].is_array());
  for (const auto& e : j["events"]) {
    expect_keys(e, {"t_us", "layer", "kind"});
    EXPECT_TRUE(e["t_us"].is_number_integer());
    EXPECT_TRUE(e["layer"].is_string());
  }
  ASSERT_TRUE(j["probes"].is_array());
  for (const auto& p : j["probes"]) {
    expect_keys(p, {"name", "proto", "setup_ok", "survived", "error", "detected_ms"});
    EXPECT_TRUE(p["survived"].is_boolean());
    EXPECT_TRUE(p["error"].is_null() || p["error"].is_string());
    EXPECT_TRUE(p["detected_ms"].is_null() || p["detected_ms"].is_number());
  }
  expect_keys(j["leaks"], {"dns_plaintext", "non_tunnel_packets"});
  expect_keys(j["timings"], {"lab_up_ms", "vpn_up_ms", "teardown_ms"});
}

}  // namespace

TEST(Record, LayerNames) {
  EXPECT_STREQ(ss::layer_name(Layer::link), "link");
  EXPECT_STREQ(ss::layer_name(Layer::addr), "addr");
  EXPECT_STREQ(ss::layer_name(Layer::route), "route");
  EXPECT_STREQ(ss::layer_name(Layer::dns), "dns");
  EXPECT_STREQ(ss::layer_name(Layer::packet), "packet");
  EXPECT_STREQ(ss::layer_name(Layer::probe), "probe");
}

TEST(Record, ToJsonHasTheSchemaKeys) {
  const json j = ss::to_json(hand_built());
  expect_schema(j);
  EXPECT_EQ(j["vpn"]["endpoint"], "198.51.100.1:51820");
  EXPECT_EQ(j["events"][2], json({{"t_us", 412},
                                  {"layer", "link"},
                                  {"kind", "removed"},
                                  {"ifname", "tun0"},
                                  {"index", 3}}));
  EXPECT_EQ(j["probes"][0]["error"], "ECONNRESET");
  EXPECT_EQ(j["probes"][0]["detected_ms"], 250.125);
  EXPECT_TRUE(j["probes"][1]["error"].is_null());
  EXPECT_TRUE(j["probes"][1]["detected_ms"].is_null());
  EXPECT_EQ(j["probes"][2]["setup_ok"], false);
  EXPECT_EQ(j["leaks"]["dns_plaintext"], 60);
  EXPECT_EQ(j["timings"]["vpn_up_ms"], 14.5);
  EXPECT_EQ(j["netlink_events_lost"], 3);
  EXPECT_EQ(j["notes"], json({"resolv.conf not restored"}));
}

TEST(Record, HandBuiltRecordRoundTrips) {
  const RunRecord r = hand_built();
  expect_same(ss::record_from_json(ss::to_json(r)), r);
  // Through text too, as records are stored.
  expect_same(ss::record_from_json(json::parse(ss::to_json(r).dump())), r);
}

TEST(Record, StoredRecordsRoundTripUnchanged) {
  for (const char* name : {"disconnect-record.json", "crash-record.json"}) {
    SCOPED_TRACE(name);
    const json stored = load(name);
    expect_schema(stored);
    const RunRecord r = ss::record_from_json(stored);
    EXPECT_EQ(ss::to_json(r), stored);
    expect_same(ss::record_from_json(ss::to_json(r)), r);
  }
}

TEST(Record, StoredRecordsReadAsTheirContent) {
  const RunRecord r = ss::record_from_json(load("disconnect-record.json"));
  EXPECT_EQ(r.scenario, "disconnect");
  EXPECT_EQ(r.disconnect, "clean");
  EXPECT_EQ(r.vpn.interface, "tun0");
  EXPECT_EQ(r.vpn.endpoint, "198.51.100.1:51820");
  ASSERT_EQ(r.probes.size(), 2u);
  EXPECT_EQ(r.probes[0].name, "dns");
  EXPECT_TRUE(r.probes[0].survived);
  EXPECT_EQ(r.probes[0].extra["answered_by_after"], json({"home-resolver"}));
  EXPECT_EQ(r.probes[1].name, "tcp");
  EXPECT_FALSE(r.probes[1].survived);
  EXPECT_FALSE(r.probes[1].error);
  EXPECT_EQ(r.probes[1].extra["state"], "hanging");
  EXPECT_EQ(r.leaks.dns_plaintext, 60);
  const RunRecord c = ss::record_from_json(load("crash-record.json"));
  EXPECT_EQ(c.disconnect, "crash");
  EXPECT_EQ(c.probes[0].error, "TRY_AGAIN");
  EXPECT_TRUE(c.probes[0].detected_ms);
  // The stored timelines are in order.
  for (const RunRecord* rec : {&r, &c})
    for (size_t i = 1; i < rec->events.size(); ++i)
      EXPECT_LE(rec->events[i - 1].t_us, rec->events[i].t_us);
}

TEST(Record, RejectsOtherSchemasAndMissingParts) {
  json j = ss::to_json(hand_built());
  json other = j;
  other["schema"] = "splitsecond.run/2";
  EXPECT_THROW(ss::record_from_json(other), std::invalid_argument);
  EXPECT_THROW(ss::record_from_json(json::array()), std::exception);
  json no_vpn = j;
  no_vpn.erase("vpn");
  EXPECT_THROW(ss::record_from_json(no_vpn), std::exception);
  json bad_layer = j;
  bad_layer["events"][0]["layer"] = "kernel";
  EXPECT_THROW(ss::record_from_json(bad_layer), std::invalid_argument);
  json no_survived = j;
  no_survived["probes"][0].erase("survived");
  EXPECT_THROW(ss::record_from_json(no_survived), std::exception);
}

TEST(Record, SortTimelineIsStable) {
  std::vector<Event> events;
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int64_t> t(-5, 5);  // few distinct times: many ties
  for (int i = 0; i < 500; ++i)
    events.push_back({t(rng) * 1000, Layer::route, "removed", {{"seq", i}}});
  ss::sort_timeline(events);
  for (size_t i = 1; i < events.size(); ++i) {
    ASSERT_LE(events[i - 1].t_us, events[i].t_us);
    if (events[i - 1].t_us == events[i].t_us) {
      ASSERT_LT(events[i - 1].detail["seq"].get<int>(), events[i].detail["seq"].get<int>())
          << "equal times must keep the order they were observed in";
    }
  }
  // A link removal and the routes the kernel flushes with it share one time: kept as observed.
  std::vector<Event> burst = {{26118, Layer::link, "removed", {}},
                              {26118, Layer::route, "removed", {}},
                              {-5, Layer::probe, "ready", {}},
                              {26118, Layer::addr, "removed", {}}};
  ss::sort_timeline(burst);
  EXPECT_EQ(burst[0].layer, Layer::probe);
  EXPECT_EQ(burst[1].layer, Layer::link);
  EXPECT_EQ(burst[2].layer, Layer::route);
  EXPECT_EQ(burst[3].layer, Layer::addr);
}
