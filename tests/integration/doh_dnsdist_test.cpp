// DoH end to end on loopback: the doh-client agent -> Debian's dnsdist (configured by
// dnsdist_config) -> Debian's dnsmasq. Fails, loudly, when either program is missing.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app_agent_harness.hpp"
#include "probes/doh_dnsdist.hpp"
#include "probes/tls_identity.hpp"
#include "sys/netlink.hpp"
#include "sys/netns.hpp"

namespace ss::apptest {
namespace {

constexpr const char* kName = "probe.splitsecond.test";
constexpr const char* kAddress = "198.51.100.10";

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

class DohThroughDnsdist : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* program : {"dnsdist", "dnsmasq"})
      if (sys::find_program(program).empty())
        FAIL() << program << " is not installed: scripts/deps.sh must install it";
    char dir_template[] = "/tmp/splitsecond-doh-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    auto identity = probes::make_self_signed("splitsecond test resolver", {"127.0.0.1"});
    write_file(dir_ / "cert.pem", identity.cert_pem);
    write_file(dir_ / "key.pem", identity.key_pem);
    dns_port_ = free_port();
    doh_port_ = free_port();
    dnsmasq_ = std::make_unique<Process>(
        std::vector<std::string>{"dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                                 "--listen-address=127.0.0.1",
                                 "--port=" + std::to_string(dns_port_), "--bind-interfaces",
                                 std::string("--address=/") + kName + "/" + kAddress,
                                 "--conf-file=/dev/null", "--pid-file="},
        false);
    ASSERT_TRUE(wait_listening(dns_port_, 5000ms))
        << "dnsmasq did not listen on " << loopback(dns_port_);
    probes::DnsdistConfig config;
    config.listen = loopback(doh_port_);
    config.cert_file = dir_ / "cert.pem";
    config.key_file = dir_ / "key.pem";
    config.backend = loopback(dns_port_);
    config.check_name = std::string(kName) + ".";
    write_file(dir_ / "dnsdist.conf", probes::dnsdist_config(config));
    start_dnsdist();
  }

  void TearDown() override {
    dnsdist_.reset();
    dnsmasq_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void start_dnsdist() {
    dnsdist_ = std::make_unique<Process>(
        std::vector<std::string>{"dnsdist", "--supervised", "--disable-syslog", "-C",
                                 dir_ / "dnsdist.conf"},
        false);
    ASSERT_TRUE(wait_listening(doh_port_, 5000ms))
        << "dnsdist did not listen on " << loopback(doh_port_);
  }

  std::vector<std::string> client_args(const std::string& duration) {
    return Process::agent({"doh-client", "--url", "https://" + loopback(doh_port_) + "/dns-query",
                           "--name", kName, "--interval", "50ms", "--duration", duration,
                           "--cacert", dir_ / "cert.pem"});
  }

  std::filesystem::path dir_;
  int dns_port_ = 0, doh_port_ = 0;
  std::unique_ptr<Process> dnsmasq_, dnsdist_;
};

TEST_F(DohThroughDnsdist, ResolvesOverOneReusedConnection) {
  Process client(client_args("500ms"));
  auto ready = client.next("ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["remote"], loopback(doh_port_));
  EXPECT_EQ(client.wait_exit(5000ms), 0);
  auto lookups = client.all("lookup");
  ASSERT_GE(lookups.size(), 4u);
  for (size_t i = 0; i < lookups.size(); ++i) {
    EXPECT_EQ(lookups[i]["ok"], true) << lookups[i].dump();
    EXPECT_EQ(lookups[i]["addresses"], json::array({kAddress}));
    EXPECT_EQ(lookups[i]["new_connection"], i == 0) << "lookup " << i;
    EXPECT_EQ(lookups[i]["local"], lookups[0]["local"]);
  }
  EXPECT_EQ(client.all("summary").at(0)["connections"], 1);
}

TEST_F(DohThroughDnsdist, AResolverRestartNeedsANewConnection) {
  Process client(client_args("15s"));
  auto first = client.next("lookup");
  ASSERT_TRUE(first);
  dnsdist_->signal(SIGKILL);
  dnsdist_->stop();
  auto failed = client.next("lookup");
  for (int i = 0; i < 20 && failed && (*failed)["ok"] == true; ++i) failed = client.next("lookup");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["ok"], false);
  EXPECT_FALSE((*failed)["error"].get<std::string>().empty());
  start_dnsdist();
  std::optional<json> back;
  for (int i = 0; i < 100 && !back; ++i) {
    auto l = client.next("lookup", 3000ms);
    ASSERT_TRUE(l);
    if ((*l)["ok"] == true) back = l;
  }
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)["new_connection"], true);
  EXPECT_NE((*back)["local"], (*first)["local"]);
  EXPECT_EQ((*back)["addresses"], json::array({kAddress}));
}

TEST_F(DohThroughDnsdist, AnUntrustedCertificateIsAFailedSetUp) {
  Process client(
      Process::agent({"doh-client", "--url", "https://" + loopback(doh_port_) + "/dns-query",
                      "--name", kName, "--duration", "1s"}));
  EXPECT_EQ(client.wait_exit(5000ms), 4);
  auto failed = client.all("setup_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0]["error"].get<std::string>().find("certificate"), std::string::npos)
      << failed[0].dump();
}

// The bootstrap as a DoH client does it: the URL names the resolver; the client resolves that
// name through the system resolver (plain DNS, here a dnsmasq on 127.0.0.1:53 named by a
// private resolv.conf), then speaks DoH to it. In a network namespace of the test's own (root
// needed), so port 53 and /etc/resolv.conf are the test's, never the host's.
constexpr const char* kDohName = "doh.splitsecond.test";

class DohBootstrap : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) FAIL() << "the bootstrap test needs root (a network namespace)";
    for (const char* program : {"dnsdist", "dnsmasq"})
      if (sys::find_program(program).empty())
        FAIL() << program << " is not installed: scripts/deps.sh must install it";
    char dir_template[] = "/tmp/splitsecond-dohboot-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    netns_ = "ssdohtest-" + std::to_string(::getpid());
    sys::netns_create(netns_);
    netns_fd_ = sys::netns_open(netns_);
    sys::Netlink(netns_fd_.get()).set_up("lo");
    write_file(dir_ / "resolv.conf", "nameserver 127.0.0.1\n");
    dnsmasq_ = std::make_unique<Process>(in_netns(
        {"dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
         "--pid-file=", "--user=root", "--group=root", "--listen-address=127.0.0.1",
         "--bind-interfaces", "--log-queries", "--log-facility=" + (dir_ / "queries.log").string(),
         std::string("--address=/") + kDohName + "/127.0.0.1",
         std::string("--address=/") + kName + "/" + kAddress},
        false));
    ASSERT_TRUE(listening_in_netns(53)) << "dnsmasq did not listen on 127.0.0.1:53";
  }

  void TearDown() override {
    client_.reset();
    dnsdist_.reset();
    dnsmasq_.reset();
    netns_fd_.reset();
    if (!netns_.empty()) sys::netns_delete(netns_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  sys::SpawnSpec in_netns(std::vector<std::string> argv, bool capture) {
    sys::SpawnSpec spec;
    spec.argv = std::move(argv);
    spec.netns_fd = netns_fd_.get();
    spec.capture_stdout = capture;
    spec.private_mounts = true;
    spec.binds = {{(dir_ / "resolv.conf").string(), "/etc/resolv.conf"}};
    return spec;
  }

  bool listening_in_netns(int port) {
    sys::NetnsGuard in(netns_fd_.get());
    return wait_listening(port, 5000ms);
  }

  // dnsdist on 127.0.0.1:8443 with a certificate for `sans`.
  void start_dnsdist(const std::vector<std::string>& sans) {
    auto identity = probes::make_self_signed(kDohName, sans);
    write_file(dir_ / "cert.pem", identity.cert_pem);
    write_file(dir_ / "key.pem", identity.key_pem);
    probes::DnsdistConfig config;
    config.listen = "127.0.0.1:8443";
    config.cert_file = dir_ / "cert.pem";
    config.key_file = dir_ / "key.pem";
    config.backend = "127.0.0.1:53";
    config.check_name = std::string(kName) + ".";
    write_file(dir_ / "dnsdist.conf", probes::dnsdist_config(config));
    restart_dnsdist();
  }
  void restart_dnsdist() {
    dnsdist_ = std::make_unique<Process>(in_netns(
        {"dnsdist", "--supervised", "--disable-syslog", "-C", dir_ / "dnsdist.conf"}, false));
    ASSERT_TRUE(listening_in_netns(8443)) << "dnsdist did not listen on 127.0.0.1:8443";
  }

  void start_client(const std::string& duration, const std::string& dns_cache) {
    client_ = std::make_unique<Process>(
        in_netns(Process::agent({"doh-client", "--url",
                                 std::string("https://") + kDohName + ":8443/dns-query", "--name",
                                 kName, "--interval", "50ms", "--duration", duration, "--cacert",
                                 dir_ / "cert.pem", "--dns-cache", dns_cache}),
                 true));
  }

  // How many plain DNS queries for the resolver's name dnsmasq logged.
  int bootstrap_queries() {
    std::ifstream log(dir_ / "queries.log");
    int n = 0;
    for (std::string l; std::getline(log, l);)
      if (l.find(std::string("query[A] ") + kDohName + " from 127.0.0.1") != std::string::npos) ++n;
    return n;
  }

  std::filesystem::path dir_;
  std::string netns_;
  sys::Fd netns_fd_;
  std::unique_ptr<Process> dnsmasq_, dnsdist_, client_;
};

TEST_F(DohBootstrap, ResolvesTheResolversNameThroughTheSystemResolverOnce) {
  start_dnsdist({kDohName, "127.0.0.1"});
  start_client("600ms", "60s");
  auto resolve = client_->next("resolve");
  ASSERT_TRUE(resolve);
  EXPECT_EQ((*resolve)["name"], kDohName);
  auto ready = client_->next("ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["remote"], "127.0.0.1:8443");
  EXPECT_EQ((*ready)["bootstrap_name"], kDohName);
  EXPECT_EQ((*ready)["dns_cache_s"], 60);
  EXPECT_EQ(client_->wait_exit(5000ms), 0);
  auto lookups = client_->all("lookup");
  ASSERT_GE(lookups.size(), 4u);
  for (const auto& l : lookups) EXPECT_EQ(l["addresses"], json::array({kAddress})) << l.dump();
  EXPECT_EQ(lookups[0]["resolved"], true);
  EXPECT_EQ(lookups[1]["resolved"], false);
  EXPECT_EQ(client_->all("resolve").size(), 1u);  // one connection, one bootstrap
  EXPECT_GE(bootstrap_queries(), 1);              // it went out as plain DNS
}

TEST_F(DohBootstrap, WithoutACacheANewConnectionResolvesAgainInPlaintext) {
  start_dnsdist({kDohName, "127.0.0.1"});
  start_client("20s", "0s");
  ASSERT_TRUE(client_->next("ready"));
  const int before = bootstrap_queries();
  ASSERT_GE(before, 1);
  dnsdist_->signal(SIGKILL);
  dnsdist_->stop();
  std::optional<json> failed;
  for (int i = 0; i < 40 && !failed; ++i) {
    auto l = client_->next("lookup", 3000ms);
    ASSERT_TRUE(l);
    if ((*l)["ok"] == false) failed = l;
  }
  ASSERT_TRUE(failed);
  restart_dnsdist();
  std::optional<json> back;
  for (int i = 0; i < 100 && !back; ++i) {
    auto l = client_->next("lookup", 3000ms);
    ASSERT_TRUE(l);
    if ((*l)["ok"] == true) back = l;
  }
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)["new_connection"], true);
  EXPECT_EQ((*back)["resolved"], true);
  EXPECT_GE(client_->all("resolve").size(), 2u);
  EXPECT_GT(bootstrap_queries(), before);
}

TEST_F(DohBootstrap, ALookupStuckOnTheOldConnectionSaysSo) {
  start_dnsdist({kDohName, "127.0.0.1"});
  start_client("20s", "60s");
  ASSERT_TRUE(client_->next("ready"));
  ASSERT_TRUE(client_->next("lookup"));
  dnsdist_->signal(SIGSTOP);  // the connection stays open; nothing answers on it
  auto waiting = client_->next("waiting", 3000ms);
  dnsdist_->signal(SIGCONT);
  ASSERT_TRUE(waiting);
  EXPECT_EQ((*waiting)["on"], "old connection");
  EXPECT_GE((*waiting)["since_ms"].get<int>(), 500);
}

TEST_F(DohBootstrap, ACertificateNotValidForTheNameIsAFailedSetUp) {
  start_dnsdist({"127.0.0.1"});  // valid for the address only
  start_client("1s", "60s");
  EXPECT_EQ(client_->wait_exit(5000ms), 4);
  auto failed = client_->all("setup_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0]["error"].get<std::string>().find("certificate"), std::string::npos)
      << failed[0].dump();
}

TEST(DohAgent, BadOptionsExitTwo) {
  Process plain_http(Process::agent({"doh-client", "--url", "http://127.0.0.1:1/dns-query"}));
  EXPECT_EQ(plain_http.wait_exit(3000ms), 2);
  Process bad_name(Process::agent({"doh-client", "--url", "https://127.0.0.1:1/dns-query", "--name",
                                   std::string(70, 'a') + ".test"}));
  EXPECT_EQ(bad_name.wait_exit(3000ms), 2);
}

}  // namespace
}  // namespace ss::apptest
