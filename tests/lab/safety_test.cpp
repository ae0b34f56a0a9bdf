// The lab leaves the machine as it found it, on every path; bad input creates nothing.
#include <signal.h>

#include <thread>

#include "lab_util.hpp"

using namespace labtest;

namespace {

TEST(Safety, RootNamespaceAndFilesAreUntouchedAndNothingIsLeft) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string procs_before = lab_processes();
  const std::string resolv_before = slurp("/etc/resolv.conf");
  Result r = sh(bin() + " run disconnect --window 500ms");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), procs_before);
  EXPECT_EQ(slurp("/etc/resolv.conf"), resolv_before);
}

TEST(Safety, BadScenarioExits2AndCreatesNothing) {
  REQUIRE_ROOT();
  const std::string file = temp_path("bad.toml");
  std::ofstream(file) << "name = \"bad\"\n[disconnect]\nmode = \"clean\"\nwindwo = \"3s\"\n";
  const std::string before = host_state();
  Result r = sh(bin() + " run " + file);
  std::remove(file.c_str());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(file + ":4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("disconnect.windwo"), std::string::npos) << r.err;
  EXPECT_EQ(host_state(), before);
}

TEST(Safety, UnprivilegedUserExits3AndCreatesNothing) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  Result r =
      sh("setpriv --reuid=nobody --regid=nogroup --clear-groups " + bin() + " run disconnect");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("root"), std::string::npos) << r.err;
  EXPECT_EQ(host_state(), before);
}

TEST(Safety, TwoRunsAtOnceBothSucceed) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string a = temp_path("a.json"), b = temp_path("b.json");
  Result ra, rb;
  std::thread ta([&] { ra = sh(bin() + " run disconnect --window 1s --json " + a); });
  std::thread tb([&] { rb = sh(bin() + " run crash --window 1s --json " + b); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra.status, 0) << ra.err;
  EXPECT_EQ(rb.status, 0) << rb.err;
  for (const auto& path : {a, b}) {
    EXPECT_EQ(schema_problems(path), "") << path;
    auto rec = nlohmann::json::parse(slurp(path), nullptr, false);
    std::remove(path.c_str());
    ASSERT_FALSE(rec.is_discarded()) << path;
    EXPECT_TRUE(has_event(rec, "link", "removed", [](auto& e) { return e["ifname"] == "tun0"; }))
        << path;
  }
  EXPECT_EQ(host_state(), before);
}

TEST(Safety, SigintTearsEverythingDown) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  // Interrupt in the middle of the observation window.
  Result r =
      sh(bin() + " run disconnect --window 5s & pid=$!; sleep 1.5; kill -INT $pid; wait $pid");
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_EQ(host_state(), before);
}

TEST(Safety, CleanupRemovesWhatAKilledRunLeft) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  Result r = sh(
      bin() +
      " run disconnect --window 5s & pid=$!; sleep 1.5; kill -KILL $pid; wait $pid; ip netns list");
  EXPECT_NE(r.out.find("ss-"), std::string::npos)
      << "a SIGKILLed run should leave namespaces for cleanup to find";
  Result c = sh(bin() + " cleanup");
  EXPECT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(host_state(), before) << c.out;
}

}  // namespace
