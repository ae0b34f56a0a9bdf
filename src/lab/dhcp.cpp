#include "lab/dhcp.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

#include "model/errors.hpp"
#include "sys/event_loop.hpp"

namespace ss::lab {
namespace {

// Debian's udhcpc script logs through logger(1), i.e. into the host's syslog; the run's own
// logger, first on the script's PATH, writes to its stderr (the run's log) instead.
constexpr const char* kLogger = R"(#!/bin/sh
# splitsecond: udhcpc's default.script logs here, into the run's log, not the host's syslog.
echo "logger: $*" >&2
)";

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

void start_dhcp_server(Lab& lab, const Scenario& s) {
  const auto pool = dhcp_pool(s.topology);
  if (!pool)
    throw UsageError(
        fmt::format("no DHCP pool fits topology.home_lan_ip4 '{}'", s.topology.home_lan_ip4));
  const std::string router = ip_of(s.topology.home_lan_ip4);
  const std::string label = "dnsmasq-dhcp";
  lab.spawn(lab.names().home, label,
            {"dnsmasq", "--keep-in-foreground", "--port=0", "--no-resolv", "--no-hosts",
             "--conf-file=/dev/null", "--pid-file=", "--user=root", "--group=root",
             "--interface=lan0", "--bind-interfaces", "--dhcp-authoritative",
             fmt::format("--dhcp-range={},{},{},2m", pool->first, pool->last, pool->netmask),
             "--dhcp-option=option:router," + router, "--dhcp-option=option:dns-server," + router,
             "--dhcp-leasefile=" + lab.log_path(label + "-leases"), "--log-dhcp",
             "--log-facility=" + lab.log_path(label + "-log")});
}

Lease run_dhcp_client(Lab& lab, const Scenario& s) {
  const std::string bin = lab.ledger().run_dir() + "/udhcpc-bin";
  ::mkdir(bin.c_str(), 0700);
  {
    std::ofstream f(bin + "/logger");
    f << kLogger;
  }
  ::chmod((bin + "/logger").c_str(), 0700);
  static std::atomic<int> runs{0};
  const std::string label = fmt::format("udhcpc-{}", ++runs);
  const int64_t start = sys::mono_ns();
  sys::Child& c = lab.spawn(lab.names().client, label,
                            {"udhcpc", "-i", s.topology.client_if, "-f", "-q", "-n", "-t", "5",
                             "-T", "1", "-s", "/etc/udhcpc/default.script"},
                            false, {}, {"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin"});
  // udhcpc bounds itself (5 discovers, 1 s apart, then exits with -n); this is the give-up.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (c.running() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{c.pidfd(), POLLIN, 0};
    ::poll(&p, 1, 50);
  }
  const bool ended = !c.running();
  if (!ended) c.stop(std::chrono::milliseconds(200));
  Lease lease;
  lease.took_ms = static_cast<double>(sys::mono_ns() - start) / 1e6;
  const std::string log = read_text(lab.log_path(label));
  // udhcpc says "lease of A obtained from S, lease time N"; the script set A with the mask the
  // server gave; the LAN's prefix length is the scenario's.
  std::smatch m;
  static const std::regex obtained(R"(lease of ([0-9.]+) obtained from ([0-9.]+))");
  if (!ended || !std::regex_search(log, m, obtained))
    throw EnvironmentError(fmt::format(
        "dhcp: udhcpc on {} got no lease from the home router's dnsmasq{}; its log ends "
        "with:\n{}\n(kept in {})",
        s.topology.client_if, ended ? "" : " within 15 s", lab.log_tail(label),
        lab.keep_log(label)));
  const std::string& lan = s.topology.home_lan_ip4;
  lease.address = m[1].str() + lan.substr(lan.find('/'));
  lease.from = m[2].str();
  return lease;
}

}  // namespace ss::lab
