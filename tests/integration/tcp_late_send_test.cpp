// tcp-client's late message (docs/agents.md): on SIGUSR2 an idle or burst client sends one
// numbered line and reports its echo. The built binary, real sockets on loopback.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app_agent_harness.hpp"
#include "sys/process.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// An agent on loopback; its stdout read as JSON lines.
class Agent {
 public:
  explicit Agent(std::vector<std::string> args) {
    ss::sys::SpawnSpec spec;
    spec.argv = {SPLITSECOND_BIN, "agent"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.capture_stdout = true;
    spec.stderr_path = testing::TempDir() + "late_send_" + std::to_string(getpid()) + "_" +
                       args[0] + "_" + args.back() + ".stderr";
    child_ = ss::sys::spawn(spec);
  }
  ~Agent() { child_.stop(2000ms); }
  void signal(int sig) { child_.signal(sig); }

  // Reads until an event of `kind` (with `key`, if given) comes (bounded); it, or null.
  json wait_for(const std::string& kind, std::chrono::milliseconds limit,
                const std::string& key = "") {
    const auto deadline = Clock::now() + limit;
    for (size_t seen = 0;;) {
      for (; seen < events_.size(); ++seen)
        if (events_[seen].value("kind", "") == kind && (key.empty() || events_[seen].contains(key)))
          return events_[seen];
      if (Clock::now() >= deadline || !read_some(deadline)) return nullptr;
    }
  }

 private:
  bool read_some(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{child_.stdout_fd(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[8192];
    ssize_t n = ::read(child_.stdout_fd(), buf, sizeof buf);
    if (n <= 0) return false;
    partial_.append(buf, static_cast<size_t>(n));
    for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
      events_.push_back(json::parse(partial_.substr(0, nl)));
      partial_.erase(0, nl + 1);
    }
    return true;
  }

  ss::sys::Child child_;
  std::string partial_;
  std::vector<json> events_;
};

TEST(TcpLateSend, AnIdleClientSendsOneLineOnSigusr2AndReportsItsEcho) {
  const int port = ss::apptest::free_port();
  Agent server({"tcp-server", "--listen", ss::apptest::loopback(port)});
  ASSERT_FALSE(server.wait_for("ready", 3000ms).is_null());
  Agent client({"tcp-client", "--server", ss::apptest::loopback(port), "--mode", "idle",
                "--duration", "5s"});
  ASSERT_FALSE(client.wait_for("ready", 3000ms).is_null());
  EXPECT_TRUE(client.wait_for("echo", 300ms).is_null()) << "an idle client sends nothing";
  client.signal(SIGUSR2);
  const json sent = client.wait_for("late_send", 3000ms);
  ASSERT_FALSE(sent.is_null());
  EXPECT_EQ(sent["seq"], 1);
  const json echo = client.wait_for("echo", 3000ms);
  ASSERT_FALSE(echo.is_null());
  EXPECT_EQ(echo["seq"], 1);
  EXPECT_GE(echo["rtt_us"].get<int64_t>(), 0);
  EXPECT_GE(echo["t_ns"].get<int64_t>(), sent["t_ns"].get<int64_t>());
}

TEST(TcpLateSend, ABurstClientsLateLineIsEchoedAfterTheBurst) {
  const int port = ss::apptest::free_port();
  Agent server({"tcp-server", "--listen", ss::apptest::loopback(port)});
  ASSERT_FALSE(server.wait_for("ready", 3000ms).is_null());
  Agent client({"tcp-client", "--server", ss::apptest::loopback(port), "--mode", "burst",
                "--duration", "5s"});
  ASSERT_FALSE(client.wait_for("ready", 3000ms).is_null());
  client.signal(SIGUSR1);
  const json burst = client.wait_for("burst", 3000ms);
  ASSERT_FALSE(burst.is_null());
  client.signal(SIGUSR2);
  ASSERT_FALSE(client.wait_for("late_send", 3000ms).is_null());
  // The burst's bulk echoes carry bytes only; the late line's echo carries its seq, once
  // every byte before it has come back (the server echoes in order).
  const json echo = client.wait_for("echo", 5000ms, "seq");
  ASSERT_FALSE(echo.is_null());
  EXPECT_EQ(echo["seq"], 1);
  EXPECT_GE(echo["rtt_us"].get<int64_t>(), 0);
  EXPECT_EQ(echo["bytes"].get<uint64_t>(), burst["bytes"].get<uint64_t>() + 2);  // "1\n"
}

}  // namespace
