// The WebSocket agents on loopback, through the built binary.
#include <gtest/gtest.h>

#include "app_agent_harness.hpp"

namespace ss::apptest {
namespace {

std::unique_ptr<Process> ws_server(int port) {
  auto p = std::make_unique<Process>(Process::agent({"ws-server", "--listen", loopback(port)}));
  EXPECT_TRUE(p->next("ready")) << "ws-server did not start on " << loopback(port);
  return p;
}

TEST(WsAgents, EchoesFlowAndTheServerSeesTheClientsAddress) {
  int port = free_port();
  auto server = ws_server(port);
  Process client(Process::agent(
      {"ws-client", "--server", loopback(port), "--interval", "50ms", "--duration", "600ms"}));
  auto ready = client.next("ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["remote"], loopback(port));
  EXPECT_EQ(client.wait_exit(5000ms), 0);
  auto echoes = client.all("echo");
  ASSERT_GE(echoes.size(), 5u);
  for (size_t i = 0; i < echoes.size(); ++i) {
    EXPECT_EQ(echoes[i]["seq"], i + 1);
    EXPECT_GE(echoes[i]["rtt_us"].get<int64_t>(), 0);
  }
  auto summary = client.all("summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["echoed"], echoes.size());
  EXPECT_EQ(summary[0]["errors"], 0);

  auto accept = server->next("accept");
  ASSERT_TRUE(accept);
  EXPECT_EQ((*accept)["peer"],
            (*ready)["local"]);  // the kernel-chosen source, as the server saw it
  auto recv = server->next("recv");
  ASSERT_TRUE(recv);
  EXPECT_EQ((*recv)["seq"], 1);
  auto close = server->next("close");  // the client's close frame at the end of its duration
  ASSERT_TRUE(close);
  EXPECT_EQ((*close)["code"], 1000);
  EXPECT_TRUE((*close)["error"].is_null());
}

TEST(WsAgents, ServerKilledClientReportsTheErrorAndWhen) {
  int port = free_port();
  auto server = ws_server(port);
  Process client(Process::agent(
      {"ws-client", "--server", loopback(port), "--interval", "50ms", "--duration", "10s"}));
  ASSERT_TRUE(client.next("echo"));
  ASSERT_TRUE(client.next("echo"));
  const int64_t killed_ns = sys::mono_ns();
  server->signal(SIGKILL);
  auto error = client.next("error", 3000ms);
  ASSERT_TRUE(error) << "no error event within 3s of SIGKILL";
  EXPECT_EQ((*error)["op"], "read");
  EXPECT_FALSE((*error)["error"].get<std::string>().empty());
  const int64_t detected_ns = (*error)["t_ns"].get<int64_t>();
  EXPECT_GE(detected_ns, killed_ns);
  RecordProperty("detected_us", std::to_string((detected_ns - killed_ns) / 1000));
  client.signal(SIGTERM);
  EXPECT_EQ(client.wait_exit(3000ms), 0);
  auto summary = client.all("summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["fate"], "error");
  EXPECT_TRUE(client.all("reconnect").empty());  // no --reconnect: stays down
}

TEST(WsAgents, ReconnectingClientComesBackAfterTheServerRestarts) {
  int port = free_port();
  auto server = ws_server(port);
  Process client(
      Process::agent({"ws-client", "--server", loopback(port), "--interval", "50ms", "--duration",
                      "10s", "--reconnect", "backoff", "--reconnect-base", "50ms",
                      "--reconnect-cap", "200ms", "--reconnect-attempts", "100"}));
  auto ready = client.next("ready");
  ASSERT_TRUE(ready);
  ASSERT_TRUE(client.next("echo"));
  server->signal(SIGKILL);
  server->stop();
  ASSERT_TRUE(client.next("error"));
  ASSERT_TRUE(client.next("reconnect"));  // at least one attempt while nothing listens
  auto refused = client.all("reconnect");
  EXPECT_EQ(refused.front()["ok"], false);
  EXPECT_EQ(refused.front()["error"], "ECONNREFUSED");

  auto restarted = ws_server(port);
  std::optional<json> back;
  for (int i = 0; i < 100 && !back; ++i) {  // bounded: the client gives up after 100 attempts
    auto r = client.next("reconnect", 3000ms);
    ASSERT_TRUE(r) << "no reconnect attempt within 3s";
    if ((*r)["ok"] == true) back = r;
  }
  ASSERT_TRUE(back);
  EXPECT_NE((*back)["local"], (*ready)["local"]);  // a new connection, a new source port
  auto echo = client.next("echo");
  ASSERT_TRUE(echo);
  EXPECT_GT((*echo)["t_ns"].get<int64_t>(), (*back)["t_ns"].get<int64_t>());
  auto accept = restarted->next("accept");
  ASSERT_TRUE(accept);
  EXPECT_EQ((*accept)["peer"], (*back)["local"]);
  for (const auto& r : client.all("reconnect"))
    EXPECT_LE(r["delay_ms"].get<int>(), 200);  // the cap holds
}

TEST(WsAgents, NoServerIsAFailedSetUp) {
  int port = free_port();
  Process client(Process::agent({"ws-client", "--server", loopback(port), "--duration", "1s"}));
  auto failed = client.next("setup_failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["error"], "ECONNREFUSED");
  EXPECT_EQ(client.wait_exit(3000ms), 4);
  EXPECT_TRUE(client.all("ready").empty());
}

TEST(WsAgents, BadOptionsExitTwo) {
  Process bad_policy(
      Process::agent({"ws-client", "--server", "127.0.0.1:1", "--reconnect", "sometimes"}));
  EXPECT_EQ(bad_policy.wait_exit(3000ms), 2);
  Process bad_cap(Process::agent({"ws-client", "--server", "127.0.0.1:1", "--reconnect-base", "1s",
                                  "--reconnect-cap", "100ms"}));
  EXPECT_EQ(bad_cap.wait_exit(3000ms), 2);
  Process bad_listen(Process::agent({"ws-server", "--listen", "localhost:80"}));
  EXPECT_EQ(bad_listen.wait_exit(3000ms), 2);
}

}  // namespace
}  // namespace ss::apptest
