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

using Agent = ss::apptest::Process;

Agent agent(std::vector<std::string> args) {
  return Agent(Agent::agent(std::move(args)));
}

// The next `kind` event that has `key`, within `limit` (events without it are passed over).
json next_with(Agent& a, const std::string& kind, const std::string& key,
               std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return nullptr;
    auto e = a.next(kind, left);
    if (!e) return nullptr;
    if (e->contains(key)) return *e;
  }
}

json next(Agent& a, const std::string& kind, std::chrono::milliseconds limit) {
  auto e = a.next(kind, limit);
  return e ? *e : json(nullptr);
}

TEST(TcpLateSend, AnIdleClientSendsOneLineOnSigusr2AndReportsItsEcho) {
  const int port = ss::apptest::free_port();
  Agent server = agent({"tcp-server", "--listen", ss::apptest::loopback(port)});
  ASSERT_FALSE(next(server, "ready", 3000ms).is_null());
  Agent client = agent({"tcp-client", "--server", ss::apptest::loopback(port), "--mode", "idle",
                        "--duration", "5s"});
  ASSERT_FALSE(next(client, "ready", 3000ms).is_null());
  EXPECT_TRUE(next(client, "echo", 300ms).is_null()) << "an idle client sends nothing";
  client.signal(SIGUSR2);
  const json sent = next(client, "late_send", 3000ms);
  ASSERT_FALSE(sent.is_null());
  EXPECT_EQ(sent["seq"], 1);
  const json echo = next(client, "echo", 3000ms);
  ASSERT_FALSE(echo.is_null());
  EXPECT_EQ(echo["seq"], 1);
  EXPECT_GE(echo["rtt_us"].get<int64_t>(), 0);
  EXPECT_GE(echo["t_ns"].get<int64_t>(), sent["t_ns"].get<int64_t>());
}

TEST(TcpLateSend, ABurstClientsLateLineIsEchoedAfterTheBurst) {
  const int port = ss::apptest::free_port();
  Agent server = agent({"tcp-server", "--listen", ss::apptest::loopback(port)});
  ASSERT_FALSE(next(server, "ready", 3000ms).is_null());
  Agent client = agent({"tcp-client", "--server", ss::apptest::loopback(port), "--mode", "burst",
                        "--duration", "5s"});
  ASSERT_FALSE(next(client, "ready", 3000ms).is_null());
  client.signal(SIGUSR1);
  const json burst = next(client, "burst", 3000ms);
  ASSERT_FALSE(burst.is_null());
  client.signal(SIGUSR2);
  ASSERT_FALSE(next(client, "late_send", 3000ms).is_null());
  // The burst's bulk echoes carry bytes only; the late line's echo carries its seq, once
  // every byte before it has come back (the server echoes in order).
  const json echo = next_with(client, "echo", "seq", 5000ms);
  ASSERT_FALSE(echo.is_null());
  EXPECT_EQ(echo["seq"], 1);
  EXPECT_GE(echo["rtt_us"].get<int64_t>(), 0);
  EXPECT_EQ(echo["bytes"].get<uint64_t>(), burst["bytes"].get<uint64_t>() + 2);  // "1\n"
}

}  // namespace
