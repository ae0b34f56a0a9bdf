// Every probe through the tunnel, on this kernel: what the record says each one lived through.
#include "lab_util.hpp"

using namespace labtest;

namespace {

const nlohmann::json* probe(const nlohmann::json& rec, const std::string& name) {
  for (const auto& p : rec["probes"])
    if (p["name"] == name) return &p;
  return nullptr;
}

class Survival : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    record_ = new nlohmann::json(run_json("survival", &result_));
  }
  static void TearDownTestSuite() {
    delete record_;
    record_ = nullptr;
  }
  void SetUp() override {
    require_root();
    ASSERT_NE(record_, nullptr);
    ASSERT_FALSE(record_->is_discarded()) << result_.err;
  }
  const nlohmann::json& rec() { return *record_; }
  const nlohmann::json& get(const std::string& name) {
    auto* p = probe(rec(), name);
    if (!p) throw std::runtime_error("no probe " + name + " in the record");
    EXPECT_TRUE((*p)["setup_ok"].get<bool>()) << name << ": " << p->dump();
    return *p;
  }
  static inline nlohmann::json* record_ = nullptr;
  static inline Result result_;
};

TEST_F(Survival, EveryProbeReachedItsServerBeforeTheDisconnect) {
  for (const auto& p : rec()["probes"]) EXPECT_TRUE(p["setup_ok"].get<bool>()) << p.dump();
}

TEST_F(Survival, QuicSurvivesAndTheServerSeesTheNewAddress) {
  const auto& q = get("quic");
  EXPECT_TRUE(q["survived"].get<bool>()) << q.dump();
  EXPECT_GE(q["server_addresses"].size(), 2u) << q.dump();
  EXPECT_NE(q["path_validation"].dump().find("success"), std::string::npos) << q.dump();
}

TEST_F(Survival, PlainTcpDoesNotSurvive) {
  for (const char* name : {"tcp", "tcp-send-now", "tcp-inflight"}) {
    const auto& t = get(name);
    EXPECT_FALSE(t["survived"].get<bool>()) << t.dump();
  }
}

TEST_F(Survival, TheServerSawTwoDifferentAddresses) {
  const auto& ip = get("ip-seen");
  EXPECT_TRUE(ip["address_changed"].get<bool>()) << ip.dump();
}

TEST_F(Survival, MoshResumes) {
  const auto& m = get("mosh");
  EXPECT_TRUE(m["survived"].get<bool>()) << m.dump();
}

TEST_F(Survival, SshFreezesOrErrors) {
  const auto& s = get("ssh");
  EXPECT_FALSE(s["survived"].get<bool>()) << s.dump();
}

TEST_F(Survival, TheTerminalShowsTheTable) {
  EXPECT_NE(result_.out.find("What survived"), std::string::npos);
  for (const auto& p : rec()["probes"])
    EXPECT_NE(result_.out.find(p["name"].get<std::string>()), std::string::npos);
}

TEST(Probes, UnknownProbeExits2AndCreatesNothing) {
  require_root();
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
  require_root();
  const std::string file = temp_path("range.toml");
  std::ofstream(file) << "name = \"x\"\n[probes.tcp]\ninterval = \"5ms\"\n";
  Result r = sh(bin() + " run " + file);
  std::remove(file.c_str());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("probes.tcp.interval"), std::string::npos) << r.err;
}

TEST(Claims, VerdictsAreStableAcrossRuns) {
  require_root();
  auto verdicts = [] {
    const std::string json = temp_path("claims.json");
    Result r = sh(bin() + " claims --json " + json, 300);
    EXPECT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(slurp(json), nullptr, false);
    std::remove(json.c_str());
    std::map<std::string, std::string> out;
    if (j.is_discarded()) return out;
    EXPECT_EQ(j["schema"], "splitsecond.claims/1");
    for (const auto& c : j["claims"]) {
      const std::string v = c["verdict"];
      EXPECT_TRUE(v == "confirmed" || v == "contradicted" || v == "depends") << c.dump();
      out[c["id"]] = v;
    }
    return out;
  };
  const std::string before = host_state();
  auto first = verdicts();
  auto second = verdicts();
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  EXPECT_EQ(host_state(), before);
}

}  // namespace
