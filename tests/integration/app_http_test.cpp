// The ip-seen agents (HTTP server recording client addresses, and its client) on loopback.
#include <gtest/gtest.h>

#include <set>

#include "app_agent_harness.hpp"

namespace ss::apptest {
namespace {

std::unique_ptr<Process> ipseen_server(int port) {
  auto p = std::make_unique<Process>(Process::agent({"http-ipseen", "--listen", loopback(port)}));
  EXPECT_TRUE(p->next("ready")) << "http-ipseen did not start on " << loopback(port);
  return p;
}

TEST(IpSeenAgents, KeepAliveClientIsSeenAsOneAddress) {
  int port = free_port();
  auto server = ipseen_server(port);
  Process client(Process::agent(
      {"http-client", "--server", loopback(port), "--interval", "50ms", "--duration", "500ms"}));
  auto ready = client.next("ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(client.wait_exit(5000ms), 0);
  auto responses = client.all("response");
  ASSERT_GE(responses.size(), 4u);
  for (size_t i = 0; i < responses.size(); ++i) {
    EXPECT_EQ(responses[i]["status"], 200);
    EXPECT_EQ(responses[i]["seen_as"], (*ready)["local"]);
    EXPECT_EQ(responses[i]["new_connection"], i == 0);
  }
  auto request = server->next("request");
  ASSERT_TRUE(request);
  EXPECT_EQ((*request)["peer"], (*ready)["local"]);
  EXPECT_EQ((*request)["path"], "/");
  EXPECT_EQ(client.all("summary").at(0)["connections"], 1);
}

TEST(IpSeenAgents, NewConnectionEachIsSeenAsANewAddressEachTime) {
  int port = free_port();
  auto server = ipseen_server(port);
  Process client(
      Process::agent({"http-client", "--server", loopback(port), "--interval", "50ms", "--duration",
                      "400ms", "--new-connection-each", "--path", "/pin"}));
  EXPECT_EQ(client.wait_exit(5000ms), 0);
  auto responses = client.all("response");
  ASSERT_GE(responses.size(), 3u);
  std::set<std::string> seen;
  for (const auto& r : responses) {
    EXPECT_EQ(r["new_connection"], true);
    EXPECT_EQ(r["seen_as"], r["local"]);
    seen.insert(r["seen_as"].get<std::string>());
  }
  EXPECT_EQ(seen.size(), responses.size());
  EXPECT_EQ(server->next("request").value()["path"], "/pin");
}

TEST(IpSeenAgents, AfterTheServerRestartsItSeesADifferentAddress) {
  int port = free_port();
  auto server = ipseen_server(port);
  Process client(Process::agent(
      {"http-client", "--server", loopback(port), "--interval", "50ms", "--duration", "10s"}));
  auto before = client.next("response");
  ASSERT_TRUE(before);
  server->signal(SIGKILL);
  server->stop();
  auto error = client.next("error");
  ASSERT_TRUE(error);
  auto restarted = ipseen_server(port);
  std::optional<json> after;
  for (int i = 0; i < 100 && !after; ++i) {
    auto r = client.next("response", 3000ms);
    ASSERT_TRUE(r);
    if ((*r)["t_ns"] > (*error)["t_ns"]) after = r;
  }
  ASSERT_TRUE(after);
  EXPECT_EQ((*after)["new_connection"], true);
  EXPECT_NE((*after)["seen_as"], (*before)["seen_as"]);
  EXPECT_EQ(restarted->next("request").value()["peer"], (*after)["seen_as"]);
}

TEST(IpSeenAgents, NoServerIsAFailedSetUp) {
  Process client(
      Process::agent({"http-client", "--server", loopback(free_port()), "--duration", "1s"}));
  EXPECT_EQ(client.wait_exit(3000ms), 4);
  ASSERT_EQ(client.all("setup_failed").size(), 1u);
  EXPECT_EQ(client.all("setup_failed")[0]["error"], "ECONNREFUSED");
}

TEST(IpSeenAgents, BadOptionsExitTwo) {
  Process bad_path(Process::agent({"http-client", "--server", "127.0.0.1:1", "--path", "nope"}));
  EXPECT_EQ(bad_path.wait_exit(3000ms), 2);
  Process bad_interval(
      Process::agent({"http-client", "--server", "127.0.0.1:1", "--interval", "0ms"}));
  EXPECT_EQ(bad_interval.wait_exit(3000ms), 2);
}

}  // namespace
}  // namespace ss::apptest
