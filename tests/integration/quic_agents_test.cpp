// The QUIC agents as the lab runs them: the built binary, real UDP on loopback, real ngtcp2.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "probes/tls_identity.hpp"
#include "sys/process.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "quic_" + std::to_string(getpid()) + "_" + name;
}

// One agent process: its stdout read as JSON lines, ended by pid when the test is done.
class Agent {
 public:
  explicit Agent(const std::vector<std::string>& args, const std::string& name) {
    ss::sys::SpawnSpec spec;
    spec.argv = {SPLITSECOND_BIN, "agent"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.capture_stdout = true;
    spec.stderr_path = temp_path(name + ".stderr");
    child_ = ss::sys::spawn(spec);
    fcntl(child_.stdout_fd(), F_SETFL, fcntl(child_.stdout_fd(), F_GETFL) | O_NONBLOCK);
  }
  ~Agent() { stop(); }

  // Waits (bounded) for the first event of this kind.
  std::optional<json> wait_for(const std::string& kind, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      for (const auto& e : events()) {
        if (e.value("kind", "") == kind) return e;
      }
      if (Clock::now() >= deadline || eof_) return std::nullopt;
      wait_readable(deadline);
    }
  }
  // Waits (bounded) for the process to exit on its own; its exit code, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!eof_ && Clock::now() < deadline) wait_readable(deadline);
    while (Clock::now() < deadline) {
      if (auto s = child_.poll_exit()) return WIFEXITED(*s) ? WEXITSTATUS(*s) : -1;
      poll(nullptr, 0, 10);
    }
    return -1;
  }
  // SIGTERM (then SIGKILL after a grace period), by pid; reads what it printed last.
  void stop() {
    child_.stop(3000ms);
    while (!eof_) wait_readable(Clock::now() + 1s);
  }

  std::vector<json> events() {
    read_available();
    std::vector<json> out;
    size_t start = 0;
    for (size_t nl = text_.find('\n'); nl != std::string::npos; nl = text_.find('\n', start)) {
      out.push_back(json::parse(text_.substr(start, nl - start)));
      start = nl + 1;
    }
    return out;
  }
  std::vector<json> events(const std::string& kind) {
    std::vector<json> out;
    for (auto& e : events()) {
      if (e["kind"] == kind) out.push_back(e);
    }
    return out;
  }

 private:
  void wait_readable(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{child_.stdout_fd(), POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::clamp<long>(left.count(), 0, 100)));
    read_available();
  }
  void read_available() {
    char buf[4096];
    for (;;) {
      ssize_t n = read(child_.stdout_fd(), buf, sizeof(buf));
      if (n > 0) {
        text_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) eof_ = true;
      return;
    }
  }

  ss::sys::Child child_;
  std::string text_;
  bool eof_ = false;
};

struct ServerUp {
  std::unique_ptr<Agent> agent;
  std::string addr;
  std::string cert_path;
};

ServerUp start_server(std::vector<std::string> extra = {}) {
  ServerUp s;
  s.cert_path = temp_path("cert.pem");
  std::vector<std::string> args{"quic-server", "--listen", "127.0.0.1:0", "--cert-out",
                                s.cert_path};
  args.insert(args.end(), extra.begin(), extra.end());
  s.agent = std::make_unique<Agent>(args, "server");
  auto ready = s.agent->wait_for("ready", 10s);
  if (ready) s.addr = (*ready)["listen"];
  return s;
}

// Echoes of messages sent after time t (ns).
size_t echoes_sent_after(const std::vector<json>& echoes, uint64_t t) {
  size_t n = 0;
  for (const auto& e : echoes) n += e["sent_t_ns"].get<uint64_t>() > t;
  return n;
}

TEST(QuicAgents, EchoesFlowOnLoopback) {
  auto server = start_server();
  ASSERT_FALSE(server.addr.empty()) << "server never printed ready";
  Agent client({"quic-client", "--server", server.addr, "--interval", "50ms", "--duration",
                "1500ms", "--pin-cert", server.cert_path},
               "client");
  ASSERT_EQ(client.wait_exit(15s), 0);

  auto ready = client.events("ready");
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0]["remote"], server.addr);
  EXPECT_EQ(ready[0]["local"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
  auto summary = client.events("summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_GE(summary[0]["sent"].get<int>(), 10);
  EXPECT_GE(summary[0]["echoed"].get<int>(), summary[0]["sent"].get<int>() - 1);
  EXPECT_EQ(client.events("echo").size(), summary[0]["echoed"].get<size_t>());
  EXPECT_EQ(client.events().back()["kind"], "summary");
  // The client says it closed the connection itself, and why.
  ASSERT_EQ(client.events("closed").size(), 1u);
  EXPECT_EQ(client.events("closed")[0]["error"], "local close (end of --duration)");

  server.agent->stop();
  auto seen = server.agent->events("client_address");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["addr"], ready[0]["local"]);
  EXPECT_EQ(server.agent->events("recv").size(), summary[0]["sent"].get<size_t>());
  EXPECT_EQ(server.agent->events("closed").at(0)["error"], "peer closed: application error 0x0");
  EXPECT_EQ(server.agent->events().back()["kind"], "summary");
}

TEST(QuicAgents, ASignalledClientSaysItClosedOnASignal) {
  auto server = start_server();
  ASSERT_FALSE(server.addr.empty()) << "server never printed ready";
  Agent client({"quic-client", "--server", server.addr, "--interval", "50ms", "--duration", "60s",
                "--pin-cert", server.cert_path},
               "client");
  ASSERT_TRUE(client.wait_for("echo", 10s)) << "no echo";
  client.stop();  // SIGTERM, as the lab's teardown ends it
  auto closed = client.events("closed");
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0]["error"], "local close (signal)");
  EXPECT_EQ(client.events().back()["kind"], "summary");
  server.agent->stop();
  EXPECT_EQ(server.agent->events("closed").at(0)["error"], "peer closed: application error 0x0");
}

TEST(QuicAgents, ServerFollowsRebindingAfterPathValidation) {
  auto server = start_server();
  ASSERT_FALSE(server.addr.empty());
  Agent client({"quic-client", "--server", server.addr, "--interval", "50ms", "--duration", "3s",
                "--rebind-after", "1s", "--rebind-to", "127.0.0.2"},
               "client");
  ASSERT_EQ(client.wait_exit(15s), 0);
  server.agent->stop();

  auto seen = server.agent->events("client_address");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0]["addr"], seen[1]["addr"]);
  EXPECT_EQ(seen[1]["addr"].get<std::string>().rfind("127.0.0.2:", 0), 0u);
  EXPECT_EQ(seen[1]["previous"], seen[0]["addr"]);
  auto validations = server.agent->events("path_validation");
  ASSERT_FALSE(validations.empty());
  for (const auto& v : validations) {
    EXPECT_EQ(v["result"], "success");
    EXPECT_EQ(v["addr"], seen[1]["addr"]);
  }

  auto rebind = client.events("rebind");
  ASSERT_EQ(rebind.size(), 1u);
  EXPECT_EQ(rebind[0]["local"], seen[1]["addr"]);
  uint64_t moved_at = rebind[0]["t_ns"];
  // Messages sent from the new address were echoed: the connection survived the move.
  EXPECT_GE(echoes_sent_after(client.events("echo"), moved_at), 20u);
  auto summary = client.events("summary").at(0);
  EXPECT_GE(summary["echoed"].get<int>(), summary["sent"].get<int>() - 1);
}

TEST(QuicAgents, WithMigrationDisabledTheMovedClientIsNotEchoed) {
  auto server = start_server({"--disable-migration"});
  ASSERT_FALSE(server.addr.empty());
  Agent client({"quic-client", "--server", server.addr, "--interval", "50ms", "--duration", "3s",
                "--rebind-after", "1s", "--rebind-to", "127.0.0.2"},
               "client");
  ASSERT_EQ(client.wait_exit(15s), 0);
  server.agent->stop();

  // Observed with ngtcp2 0.12.1: packets from the new address are dropped; no path validation,
  // the server keeps the old address, and nothing sent after the move comes back.
  auto seen = server.agent->events("client_address");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["addr"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
  EXPECT_TRUE(server.agent->events("path_validation").empty());
  for (const auto& r : server.agent->events("recv")) EXPECT_EQ(r["from"], seen[0]["addr"]);

  uint64_t moved_at = client.events("rebind").at(0)["t_ns"];
  auto echoes = client.events("echo");
  EXPECT_GE(echoes.size(), 10u) << "echoes flowed before the move";
  EXPECT_EQ(echoes_sent_after(echoes, moved_at), 0u);
  auto summary = client.events("summary").at(0);
  EXPECT_LT(summary["echoed"].get<int>(), summary["sent"].get<int>());
}

TEST(QuicAgents, ClientRejectsACertificateOtherThanThePinnedOne) {
  auto server = start_server();
  ASSERT_FALSE(server.addr.empty());
  std::string other = temp_path("other.pem");
  std::ofstream(other) << ss::probes::make_self_signed("impostor", {"127.0.0.1"}).cert_pem;
  Agent client({"quic-client", "--server", server.addr, "--pin-cert", other, "--duration", "5s"},
               "client");
  EXPECT_EQ(client.wait_exit(15s), 4);
  auto failed = client.events("setup_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["error"], "server certificate differs from --pin-cert");
  EXPECT_TRUE(client.events("ready").empty());
}

TEST(QuicAgents, NoServerIsAFailedSetupWithinTheConnectTimeout) {
  // A server stopped by pid leaves its port without a listener.
  std::string addr;
  {
    auto server = start_server();
    addr = server.addr;
  }
  ASSERT_FALSE(addr.empty());
  Agent client({"quic-client", "--server", addr, "--connect-timeout", "500ms"}, "client");
  EXPECT_EQ(client.wait_exit(10s), 4);
  ASSERT_EQ(client.events("setup_failed").size(), 1u);
  EXPECT_TRUE(client.events("ready").empty());
}

TEST(QuicAgents, BadOptionsExitWithUsageError) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"quic-client", "--server", "127.0.0.1"},
        {"quic-client", "--server", "127.0.0.1:4433", "--interval", "0ms"},
        {"quic-client", "--server", "127.0.0.1:4433", "--rebind-to", "127.0.0.2"},
        {"quic-server", "--listen", "localhost:4433"},
        {"quic-server", "--listen", "127.0.0.1:4433", "--idle-timeout", "30"}}) {
    Agent agent(args, "bad");
    EXPECT_EQ(agent.wait_exit(5s), 2) << args[0] << " " << args[1] << " " << args[2];
    EXPECT_TRUE(agent.events().empty()) << "nothing on stdout for bad input";
  }
}

}  // namespace
