// The server's sockets (sock_diag) and the DoH bootstrap, in a real lab run: the record carries
// what was read and where it came from. What the sockets and the DoH client did is the lab's
// finding, not checked here; that the reading is wired to the right namespace, ports, times
// and names is.
#include <set>

#include "lab_util.hpp"

using namespace labtest;

namespace {

TEST(ServerView, TheServersSocketsAndTheDohBootstrapAreRecorded) {
  REQUIRE_ROOT();
  const std::string toml = temp_path("server-doh.toml");
  std::ofstream(toml) << "name = \"server-doh\"\n"
                         "[record]\nbefore = \"1500ms\"\nwindow = \"2s\"\n"
                         "[probes.tcp]\n[probes.doh]\n";
  Result result;
  const nlohmann::json rec = run_json(toml, &result);
  std::remove(toml.c_str());
  ASSERT_FALSE(rec.is_discarded()) << result.err;

  ASSERT_TRUE(rec.contains("server_sockets")) << rec["notes"].dump();
  const auto& v = rec["server_sockets"];
  EXPECT_EQ(v["ports"].get<std::set<int>>(), (std::set<int>{7001, 8443}));
  EXPECT_GE(v["read_at_ms"].get<double>(), 2000.0);  // read after the window's end
  for (const auto& e : rec["events"]) {
    if (e["layer"] == "link" && e["kind"] == "trigger") {
      EXPECT_NEAR(v["disconnect_done_ms"].get<double>(), e["completed_us"].get<double>() / 1000.0,
                  0.01);
    }
  }
  for (const auto& s : v["sockets"]) {
    const std::string local = s["local"];
    EXPECT_TRUE(local == "198.51.100.10:7001" || local == "198.51.100.10:8443") << s.dump();
    EXPECT_NE(s["state"], "LISTEN");
    EXPECT_NE(s["state"], "TIME_WAIT");
    EXPECT_TRUE(s["last_data_recv_ms"].is_number_integer()) << "no tcp_info: " << s.dump();
  }

  const nlohmann::json* doh = probe(rec, "doh");
  ASSERT_NE(doh, nullptr);
  ASSERT_TRUE((*doh)["setup_ok"].get<bool>()) << doh->dump();
  EXPECT_EQ((*doh)["bootstrap"]["name"], "doh.splitsecond.test");
  EXPECT_EQ((*doh)["bootstrap"]["dns_cache_s"], 60);
  EXPECT_TRUE((*doh)["plaintext_dns_after_t0"]["count"].is_number_integer()) << doh->dump();
  // The name went through the system resolver before t=0 and led to the server's address.
  EXPECT_TRUE(has_event(rec, "probe", "resolve", [](const nlohmann::json& e) {
    return e["agent"] == "doh-client" && e["name"] == "doh.splitsecond.test" &&
           e["t_us"].get<int64_t>() < 0;
  }));
  EXPECT_TRUE(has_event(rec, "probe", "ready", [](const nlohmann::json& e) {
    return e["agent"] == "doh-client" && e["remote"] == "198.51.100.10:8443";
  }));
}

}  // namespace
