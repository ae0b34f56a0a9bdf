// The MPTCP agents as the lab runs them: the built binary, real IPPROTO_MPTCP sockets on
// loopback. The second test also drives the kernel's path manager (limits, an endpoint on
// 127.0.0.2) and the policy-routing additions, in a private network namespace (root only).
#include <fcntl.h>
#include <linux/mptcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "app_agent_harness.hpp"
#include "sys/mptcp_pm.hpp"
#include "sys/netlink.hpp"
#include "sys/process.hpp"
#include "sys/syserror.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// An agent started in a network namespace (-1: this one); its stdout read as JSON lines.
class Agent {
 public:
  Agent(std::vector<std::string> args, int netns_fd) {
    ss::sys::SpawnSpec spec;
    spec.argv = {SPLITSECOND_BIN, "agent"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.capture_stdout = true;
    spec.netns_fd = netns_fd;
    spec.stderr_path =
        testing::TempDir() + "mptcp_" + std::to_string(getpid()) + "_" + args[0] + ".stderr";
    child_ = ss::sys::spawn(spec);
  }
  ~Agent() { child_.stop(2000ms); }

  // Reads until an event of `kind` comes (bounded); it, or null.
  json wait_for(const std::string& kind, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (size_t seen = 0;;) {
      for (; seen < events_.size(); ++seen)
        if (events_[seen].value("kind", "") == kind) return events_[seen];
      if (Clock::now() >= deadline || !read_some(deadline)) return nullptr;
    }
  }
  // Reads to the end of its output (bounded); its exit code, or -1.
  int wait_exit(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline && read_some(deadline)) {
    }
    int status = child_.stop(200ms);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::vector<json> all(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& e : events_)
      if (e.value("kind", "") == kind) out.push_back(e);
    return out;
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

// Fails (never skips) when the kernel refuses IPPROTO_MPTCP here: the lab needs it.
#define FAIL_IF_REFUSED(setup_failed)                                 \
  if (!(setup_failed).is_null() && (setup_failed).contains("reason")) \
  FAIL() << "the kernel refuses MPTCP here: " << (setup_failed).dump()

TEST(MptcpAgents, EchoOverAnMptcpConnectionOnLoopback) {
  const int port = ss::apptest::free_port();
  Agent server({"mptcp-server", "--listen", ss::apptest::loopback(port), "--interval", "50ms"}, -1);
  json ready = server.wait_for("ready", 3000ms);
  if (ready.is_null()) {
    FAIL_IF_REFUSED(server.wait_for("setup_failed", 100ms));
    FAIL() << "the server printed no ready line";
  }
  Agent client({"mptcp-client", "--server", ss::apptest::loopback(port), "--interval", "50ms",
                "--duration", "1s"},
               -1);
  ASSERT_EQ(client.wait_exit(5000ms), 0);
  ASSERT_EQ(client.all("ready").size(), 1u);
  const std::string local = client.all("ready")[0]["local"];

  auto views = client.all("subflows");
  ASSERT_FALSE(views.empty());
  EXPECT_EQ(views[0]["fallback"], false) << views[0].dump();
  EXPECT_EQ(views[0]["count"], 1);
  EXPECT_EQ(views[0]["list"], json({local + "->" + ss::apptest::loopback(port)}));
  EXPECT_EQ(views[0]["detail"][0]["state"], "ESTABLISHED");

  auto echoes = client.all("echo");
  EXPECT_GE(echoes.size(), 5u);
  for (size_t i = 0; i < echoes.size(); ++i) EXPECT_EQ(echoes[i]["seq"], i + 1);
  auto summary = client.all("summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["echoed"], echoes.size());
  EXPECT_EQ(summary[0]["fallback"], false);

  json accept = server.wait_for("accept", 1000ms);
  ASSERT_FALSE(accept.is_null());
  EXPECT_EQ(accept["peer"], local);
  json server_view = server.wait_for("subflows", 1000ms);
  ASSERT_FALSE(server_view.is_null());
  EXPECT_EQ(server_view["peer"], local);
  EXPECT_EQ(server_view["list"], json({ss::apptest::loopback(port) + "->" + local}));
}

TEST(MptcpAgents, ClientRefusesABadServerAddress) {
  Agent client({"mptcp-client", "--server", "127.0.0.1:notaport"}, -1);
  EXPECT_EQ(client.wait_exit(3000ms), 2);
}

// A new network namespace held by an fd (the thread that made it ends; the namespace stays).
ss::sys::Fd private_netns() {
  ss::sys::Fd fd;
  int err = 0;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) < 0) {
      err = errno;
      return;
    }
    fd.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!fd) err = errno;
  }).join();
  if (err) throw ss::sys::SysError("unshare(CLONE_NEWNET)", "private namespace", err);
  return fd;
}

TEST(MptcpAgents, PathManagerEndpointAddsASecondSubflowInAPrivateNamespace) {
  if (::geteuid() != 0) FAIL() << "needs root for a private network namespace: run as root";
  ss::sys::Fd ns = private_netns();
  ss::sys::Netlink nl(ns.get());
  nl.set_up("lo");
  try {
    ss::sys::write_sysctl(ns.get(), "net/mptcp/enabled", "1");
  } catch (const ss::sys::SysError& e) {
    FAIL() << "no MPTCP in this kernel: " << e.what();
  }
  ss::sys::MptcpPm pm(ns.get());
  pm.set_limits({4, 3});
  EXPECT_EQ(pm.limits().subflows, 4u);
  EXPECT_EQ(pm.limits().add_addr_accepted, 3u);
  pm.add_endpoint({"127.0.0.2", nl.ifindex("lo"), MPTCP_PM_ADDR_FLAG_SUBFLOW, 0});
  try {
    pm.add_endpoint({"127.0.0.2", nl.ifindex("lo"), MPTCP_PM_ADDR_FLAG_SUBFLOW, 0});
    ADD_FAILURE() << "the kernel accepted the same endpoint twice";
  } catch (const ss::sys::SysError& e) {
    EXPECT_EQ(e.error(), EEXIST) << e.what();
  }
  // The policy-routing additions: created (a second identical one is EEXIST).
  nl.add_route_in_table(ss::sys::Prefix::parse("127.0.0.0/8"), "", "lo", 100);
  nl.add_rule(ss::sys::Prefix::host("127.0.0.2"), 100, 100);
  for (auto add :
       {+[](ss::sys::Netlink& n) {
          n.add_route_in_table(ss::sys::Prefix::parse("127.0.0.0/8"), "", "lo", 100);
        },
        +[](ss::sys::Netlink& n) { n.add_rule(ss::sys::Prefix::host("127.0.0.2"), 100, 100); }}) {
    try {
      add(nl);
      ADD_FAILURE() << "a second identical route or rule was accepted";
    } catch (const ss::sys::SysError& e) {
      EXPECT_EQ(e.error(), EEXIST) << e.what();
    }
  }

  Agent server({"mptcp-server", "--listen", "127.0.0.1:7005", "--interval", "50ms"}, ns.get());
  ASSERT_FALSE(server.wait_for("ready", 3000ms).is_null());
  Agent client(
      {"mptcp-client", "--server", "127.0.0.1:7005", "--interval", "50ms", "--duration", "1500ms"},
      ns.get());
  ASSERT_EQ(client.wait_exit(5000ms), 0);
  bool second = false;
  for (const auto& v : client.all("subflows"))
    for (const auto& p : v["list"]) second |= p.get<std::string>().rfind("127.0.0.2:", 0) == 0;
  EXPECT_TRUE(second) << "no subflow from the 127.0.0.2 endpoint; last view: "
                      << (client.all("subflows").empty() ? "none"
                                                         : client.all("subflows").back().dump());
  EXPECT_GE(client.all("echo").size(), 5u);
}

}  // namespace
