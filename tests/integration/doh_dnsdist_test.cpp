// DoH end to end on loopback: the doh-client agent -> Debian's dnsdist (configured by
// dnsdist_config) -> Debian's dnsmasq. Skipped, loudly, when either program is missing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "app_agent_harness.hpp"
#include "probes/doh_dnsdist.hpp"
#include "probes/tls_identity.hpp"

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

TEST(DohAgent, BadOptionsExitTwo) {
  Process plain_http(Process::agent({"doh-client", "--url", "http://127.0.0.1:1/dns-query"}));
  EXPECT_EQ(plain_http.wait_exit(3000ms), 2);
  Process bad_name(Process::agent({"doh-client", "--url", "https://127.0.0.1:1/dns-query", "--name",
                                   std::string(70, 'a') + ".test"}));
  EXPECT_EQ(bad_name.wait_exit(3000ms), 2);
}

}  // namespace
}  // namespace ss::apptest
