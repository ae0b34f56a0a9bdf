// Every probe through the tunnel, on this kernel: what the record says each one lived through.
#include "lab_util.hpp"

using namespace labtest;

namespace {

// One survival run (each lab run takes seconds), every probe's observed fate checked.
TEST(Survival, EveryProbeOnThisKernel) {
  REQUIRE_ROOT();
  Result result;
  const nlohmann::json rec = run_json("survival", &result);
  ASSERT_FALSE(rec.is_discarded()) << result.err;
  auto get = [&](const std::string& name) -> const nlohmann::json& {
    auto* p = probe(rec, name);
    if (!p) throw std::runtime_error("no probe " + name + " in the record");
    return *p;
  };
  {
    SCOPED_TRACE("every probe reached its server before the disconnect");
    for (const auto& p : rec["probes"]) EXPECT_TRUE(p["setup_ok"].get<bool>()) << p.dump();
  }
  {
    SCOPED_TRACE("QUIC survives and the server sees the new address after path validation");
    const auto& q = get("quic");
    EXPECT_TRUE(q["survived"].get<bool>()) << q.dump();
    EXPECT_GE(q["server_addresses"].size(), 2u) << q.dump();
    EXPECT_NE(q["path_validation"].dump().find("success"), std::string::npos) << q.dump();
  }
  {
    SCOPED_TRACE("plain TCP does not survive");
    for (const char* name : {"tcp", "tcp-send-now", "tcp-inflight"})
      EXPECT_FALSE(get(name)["survived"].get<bool>()) << name;
  }
  {
    SCOPED_TRACE("the ip-seen server saw two different addresses");
    EXPECT_TRUE(get("ip-seen")["address_changed"].get<bool>()) << get("ip-seen").dump();
  }
  {
    SCOPED_TRACE("mosh resumes; ssh freezes or errors");
    EXPECT_TRUE(get("mosh")["survived"].get<bool>()) << get("mosh").dump();
    EXPECT_FALSE(get("ssh")["survived"].get<bool>()) << get("ssh").dump();
  }
  {
    SCOPED_TRACE("the terminal shows the survival table with every probe");
    EXPECT_NE(result.out.find("What survived"), std::string::npos);
    for (const auto& p : rec["probes"])
      EXPECT_NE(result.out.find(p["name"].get<std::string>()), std::string::npos);
  }
}

TEST(Probes, UnknownProbeExits2AndCreatesNothing) {
  REQUIRE_ROOT();
  const std::string file = temp_path("unknown-probe.toml");
  std::ofstream(file) << "name = \"x\"\n[probes.udp-flood]\n";
  const std::string before = host_state();
  Result r = sh(bin() + " run " + file);
  std::remove(file.c_str());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("probes.udp-flood"), std::string::npos) << r.err;
  EXPECT_EQ(host_state(), before);
}

TEST(Probes, OptionOutOfRangeExits2) {
  REQUIRE_ROOT();
  const std::string file = temp_path("range.toml");
  std::ofstream(file) << "name = \"x\"\n[probes.tcp]\ninterval = \"5ms\"\n";
  Result r = sh(bin() + " run " + file);
  std::remove(file.c_str());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("probes.tcp.interval"), std::string::npos) << r.err;
}

}  // namespace
