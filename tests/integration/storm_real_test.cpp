// Real reconnect storms on loopback, driven through the built binary.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct Ran {
  int exit_code;
  std::string output;  // stdout and stderr
};

Ran run(const std::string& args) {
  std::string cmd = std::string(SPLITSECOND_BIN) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string temp_path(const char* name) {
  return std::string(::testing::TempDir()) + "storm-" + std::to_string(::getpid()) + "-" + name;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

}  // namespace

// 2,000 real clients lose their connection at once and reconnect with jittered backoff to
// the reference server (1,000 connections/s, backlog 128): every client comes back, and
// the time until the last one is back is within 25% of the simulator's for the same storm.
TEST(StormReal, TwoThousandClientsAllReconnectAndAgreeWithTheSimulator) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < 2000 + 1024) {
    FAIL() << "RLIMIT_NOFILE hard limit " << lim.rlim_max
           << " is below the 3024 this storm needs: raise it (ulimit -Hn) for the tests";
  }
  std::string json = temp_path("real.json");
  Ran r =
      run("storm real -n 2000 --capacity 1000 --backlog 128 --policy full-jitter --base 50ms --cap "
          "500ms "
          "--max-time 60s --compare-sim --json " +
          json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = read_json(json);
  const auto& real = j.at("real");
  const auto& sim = j.at("sim");
  EXPECT_EQ(real.at("clients"), 2000);
  EXPECT_EQ(real.at("back"), 2000) << r.output;
  EXPECT_TRUE(real.at("complete").get<bool>()) << r.output;
  ASSERT_FALSE(real.at("time_to_all_ms").is_null()) << r.output;
  double real_ms = real.at("time_to_all_ms"), sim_ms = sim.at("time_to_all_ms");
  EXPECT_NEAR(real_ms, sim_ms, 0.25 * sim_ms) << r.output;
  EXPECT_GT(real.at("rejected").get<double>(), 0) << "the backlog should have overflowed";
  for (const char* key :
       {"policy", "seed", "time_to_50_ms", "time_to_99_ms", "attempts", "peak_rate_per_s"}) {
    EXPECT_TRUE(real.contains(key) && sim.contains(key)) << key;
  }
}

// A rate-limited server (token bucket, reject): clients still all come back.
TEST(StormReal, RateLimitedServerRejectsButEveryoneComesBack) {
  std::string json = temp_path("limited.json");
  Ran r = run(
      "storm real -n 500 --rate-limit 1000 --burst 100 --policy decorrelated --base 20ms --cap 1s "
      "--max-time 30s --json " +
      json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = read_json(json);
  EXPECT_EQ(j.at("back"), 500);
  EXPECT_GT(j.at("rejected").get<int>(), 0);
  EXPECT_GE(j.at("time_to_all_ms").get<double>(), 300.0);  // 400 beyond the burst at 1000/s
}

// The user's own server on loopback: here a listening socket whose kernel backlog completes
// the handshakes; clients count themselves back when connected.
TEST(StormReal, OwnLoopbackServer) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(s, 4096), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  std::string json = temp_path("own.json");
  Ran r = run("storm real -n 300 --policy fixed --base 10ms --max-time 10s --server 127.0.0.1:" +
              std::to_string(ntohs(a.sin_port)) + " --json " + json);
  ::close(s);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = read_json(json);
  EXPECT_EQ(j.at("back"), 300);
  EXPECT_EQ(j.at("attempts"), 300);
}

TEST(StormReal, BadInputExitsTwoWithAClearMessage) {
  struct Case {
    const char* args;
    const char* says;
  };
  for (const Case& c :
       {Case{"storm sim -n 0", "--clients 0"}, Case{"storm sim --rate-limit -5", "--rate-limit"},
        Case{"storm sim --capacity -1", "--capacity"},
        Case{"storm sim --policy sometimes", "unknown policy"},
        Case{"storm sim --disconnect gradually", "--disconnect"},
        Case{"storm real -n 0", "--clients 0"}, Case{"storm real --server 8.8.8.8:53", "loopback"},
        Case{"storm real --server 192.168.1.10:80", "loopback"},
        Case{"storm real --server 127.0.0.1", "ADDRESS:PORT"},
        Case{"storm real --policy sometimes", "unknown policy"}}) {
    Ran r = run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.args << "\n" << r.output;
  }
}

TEST(StormReal, TooFewFileDescriptorsExitsThree) {
  std::string cmd = "sh -c 'ulimit -n 256 && ulimit -Hn 256 && exec " +
                    std::string(SPLITSECOND_BIN) + " storm real -n 2000' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[1024];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 3) << out;
  EXPECT_NE(out.find("hard limit"), std::string::npos) << out;
}

TEST(StormSim, CompareWritesRunsAndAPlot) {
  std::string json = temp_path("cmp.json"), svg = temp_path("cmp.svg"), csv = temp_path("cmp.csv");
  Ran r =
      run("storm sim -n 20000 --capacity 5000 --rate-limit 8000 --compare --policies "
          "exponential,full-jitter,decorrelated --json " +
          json + " --plot " + svg + " --csv " + csv);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = read_json(json);
  ASSERT_EQ(j.at("runs").size(), 3u);
  EXPECT_EQ(j["runs"][1].at("policy"), "full-jitter");
  EXPECT_EQ(j["runs"][1].at("clients"), 20000);
  std::ifstream plot(svg);
  std::string text((std::istreambuf_iterator<char>(plot)), {});
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n') > 3, true);
  EXPECT_NE(text.find("decorrelated"), std::string::npos);
}
