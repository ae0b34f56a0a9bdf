// WebSocket storms on loopback (storm real --ws), driven through the built binary: against the
// built-in server beside the simulator, the simulator's disconnect spread and flap trains,
// the kernel's counters when the accept queue overflows, your own server, and bad input.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

extern char** environ;

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
  return std::string(::testing::TempDir()) + "storm-ws-" + std::to_string(::getpid()) + "-" + name;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

// The real run's time to all back within 25% of the simulator's for the same storm.
void expect_agrees(const std::string& options, const char* name) {
  std::string json = temp_path(name);
  Ran r = run("storm real --ws " + options + " --max-time 60s --compare-sim --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = read_json(json);
  const auto& real = j.at("real");
  const auto& sim = j.at("sim");
  EXPECT_EQ(real.at("protocol"), "websocket");
  EXPECT_TRUE(real.at("complete").get<bool>()) << r.output;
  ASSERT_FALSE(real.at("time_to_all_ms").is_null()) << r.output;
  ASSERT_FALSE(sim.at("time_to_all_ms").is_null()) << r.output;
  double real_ms = real.at("time_to_all_ms"), sim_ms = sim.at("time_to_all_ms");
  EXPECT_NEAR(real_ms, sim_ms, 0.25 * sim_ms) << r.output;
  EXPECT_TRUE(real.at("kernel").is_object()) << r.output;
}

}  // namespace

TEST(StormWs, ReferenceServerAgreesWithTheSimulatorFullJitter) {
  expect_agrees("-n 500 --capacity 1000 --backlog 128 --policy full-jitter --base 50ms --cap 500ms",
                "full.json");
}

TEST(StormWs, ReferenceServerAgreesWithTheSimulatorDecorrelated) {
  expect_agrees(
      "-n 500 --capacity 1000 --backlog 128 --policy decorrelated --base 50ms --cap 500ms",
      "decorrelated.json");
}

// Each client notices at its own time (uniform over 500 ms), two flaps 1 s apart, the
// network down for 200 ms after each.
TEST(StormWs, SpreadAndFlapTrainAgreeWithTheSimulator) {
  expect_agrees(
      "-n 300 --capacity 1000 --backlog 128 --policy full-jitter --base 50ms --cap 500ms "
      "--disconnect uniform:500ms --flaps 2 --flap-interval 1s --outage 200ms",
      "flaps.json");
}

// A listen backlog of 1 and clients retrying at once: the kernel drops connections at the
// listener, and the counters read before and after the storm say so.
TEST(StormWs, KernelCountersMoveWhenTheAcceptQueueOverflows) {
  std::string json = temp_path("overflow.json");
  Ran r =
      run("storm real --ws -n 500 --policy immediate --listen-backlog 1 --attempt-timeout 1s "
          "--max-time 8s --json " +
          json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto k = read_json(json).at("kernel");
  EXPECT_GT(k.at("delta").at("listen_overflows").get<int64_t>(), 0) << r.output;
  EXPECT_TRUE(k.at("accept_queue_overflowed").get<bool>());
  EXPECT_NE(r.output.find("the accept queue overflowed"), std::string::npos) << r.output;
  EXPECT_GE(k.at("after").at("listen_drops").get<int64_t>(),
            k.at("before").at("listen_drops").get<int64_t>());
}

// Your own server: here the lab's storm-server agent on loopback; a client is back when its
// first message has echoed.
TEST(StormWs, YourOwnServerWithEcho) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  std::string bin = SPLITSECOND_BIN;
  std::vector<std::string> args = {bin, "agent", "storm-server", "--listen", listen};
  std::vector<char*> argv;
  for (auto& x : args) argv.push_back(x.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  Ran r{-1, ""};
  // The server is ready when it accepts (bounded: 5 s).
  for (int i = 0; i < 250; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM, 0);
    bool up = ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(c);
    if (up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string json = temp_path("own.json");
  r = run("storm real --ws ws://" + listen +
          "/chat --ws-echo -n 100 --base 20ms --cap 200ms "
          "--max-time 8s --json " +
          json);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = read_json(json);
  EXPECT_EQ(j.at("back"), 100) << r.output;
  EXPECT_TRUE(j.at("complete").get<bool>());
  EXPECT_EQ(r.output.find("reference server"), std::string::npos) << r.output;
}

TEST(StormWs, BadInputExitsTwoAndStartsNothing) {
  for (const char* args : {
           "storm real --ws ws://192.0.2.1:8080/ -n 10",     // not this machine
           "storm real --ws wss://127.0.0.1:8443/ -n 10",    // TLS
           "storm real --ws http://127.0.0.1:80/ -n 10",     // not a ws URL
           "storm real --ws ws://127.0.0.1:99999/ -n 10",    // port
           "storm real --ws ws://example.com/ -n 10",        // a name
           "storm real -n 10 --allow-network 192.0.2.0/24",  // without --ws URL
           "storm real --ws ws://192.0.2.1/ --allow-network 192.0.2.0/33",
           "storm real -n 10 --flaps 2",  // plain TCP: not yet
           "storm real --ws -n 10 --disconnect sideways:1s",
           "storm real --ws -n 10 --outage 2s --flap-interval 1s",
           "storm real -n 10 --ws-echo",
       }) {
    Ran r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_EQ(r.output.find("reference server"), std::string::npos) << args;
  }
}
