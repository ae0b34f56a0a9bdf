#include "lab/killswitch_lab.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "lab/experiment.hpp"
#include "lab/vpn.hpp"
#include "model/errors.hpp"
#include "model/killswitch.hpp"
#include "sys/event_loop.hpp"
#include "sys/netns.hpp"
#include "sys/nftables.hpp"

namespace ss::lab {
namespace {

KillSwitchKind kind_of(const Scenario& s) {
  auto k = killswitch_kind_from(s.killswitch);
  if (!k) throw std::logic_error("an unchecked killswitch value: " + s.killswitch);
  return *k;
}

// Ours as the lab runs it: the tunnel by name, its endpoint, its resolver, its address.
KillSwitchSpec lab_spec(const Scenario& s, const std::string& tunnel_ip, bool reject) {
  KillSwitchSpec k;
  k.state = TunnelState::connected;
  k.endpoints = {
      {*IpPrefix::parse(ip_of(s.topology.vpn_ip4)), static_cast<uint16_t>(s.vpn.port), "udp"}};
  k.tunnel_if = s.vpn.client_if;
  // The address the VPN hands out on a reconnection too: protected from the start, no reload.
  k.tunnel_addrs = {*IpPrefix::parse(tunnel_ip)};
  if (!s.vpn.reconnect_tunnel_ip.empty() && ip_of(s.vpn.reconnect_tunnel_ip) != tunnel_ip)
    k.tunnel_addrs.push_back(*IpPrefix::parse(ip_of(s.vpn.reconnect_tunnel_ip)));
  k.tunnel_dns = {*IpPrefix::parse(s.vpn.dns)};
  k.reject = reject;
  return k;
}

sys::NftResult nft_in(int netns_fd, const std::string& command) {
  sys::NetnsGuard in(netns_fd);
  return sys::nft_run(command);
}

// The recipe's rules live in iptables-nft's tables (`ip filter`, `ip6 filter`, chain OUTPUT):
// its REJECT rules, each prefixed with its family; empty when there are none.
std::vector<RuleCounter> recipe_rules(int netns_fd) {
  std::vector<RuleCounter> out;
  for (const std::string family : {"ip", "ip6"}) {
    auto r = nft_in(netns_fd, "list chain " + family + " filter OUTPUT");
    if (!r.ok) continue;  // no such chain: the recipe never ran here
    for (auto& c : parse_rule_counters(r.output))
      if (c.rule.find("reject") != std::string::npos)
        out.push_back({family + ": " + c.rule, c.packets});
  }
  return out;
}

}  // namespace

void killswitch_preflight(const Scenario& s) {
  const KillSwitchKind k = kind_of(s);
  if (auto why = killswitch_client_problem(k, s.vpn.client); !why.empty())
    throw UsageError("killswitch: " + why);
  if (k == KillSwitchKind::wg_quick_recipe && sys::find_program("iptables").empty())
    throw EnvironmentError(
        "killswitch = \"wg-quick-recipe\" runs wg-quick(8)'s iptables lines: 'iptables' is not "
        "installed (apt-get install iptables; scripts/deps.sh installs everything)");
}

std::string wgquick_killswitch_lines(const Scenario& s) {
  if (kind_of(s) != KillSwitchKind::wg_quick_recipe) return "";
  std::string out;
  for (const auto& line : wgquick_recipe_lines()) out += line + "\n";
  return out;
}

KillSwitchLab::KillSwitchLab(Lab& lab, const Scenario& s)
    : lab_(lab), s_(s), kind_(kind_of(s)), tunnel_ip_(ip_of(s.vpn.client_tunnel_ip)) {}

void KillSwitchLab::apply_ours(const std::string& what, const std::string& reason) {
  const std::string batch = killswitch_ruleset(lab_spec(s_, tunnel_ip_, true));
  const int64_t start = sys::mono_ns();
  apply_nft(lab_.netns_fd(lab_.names().client), batch);
  const int64_t done = sys::mono_ns();
  changes_.push_back({start, {0, what, "connected", reason, (done - start) / 1000}});
  present_ = true;
}

void KillSwitchLab::before_connect() {
  if (kind_ == KillSwitchKind::ours)
    apply_ours("applied", "before the VPN client starts (tunnel " + s_.vpn.client_if +
                              " matched by name, absent until the client creates it)");
}

void KillSwitchLab::after_connect() {
  look("after the VPN connected");
}

std::optional<std::vector<RuleCounter>> KillSwitchLab::rules() {
  const int fd = lab_.netns_fd(lab_.names().client);
  if (kind_ == KillSwitchKind::ours) {
    auto r = nft_in(fd, "list table inet " + KillSwitchSpec{}.table);
    if (!r.ok) return std::nullopt;
    return parse_rule_counters(r.output);
  }
  auto found = recipe_rules(fd);
  if (found.empty()) return std::nullopt;
  return found;
}

// Records a change when the rules appeared or went since the last look.
void KillSwitchLab::look(const std::string& reason) {
  if (!active()) return;
  const int64_t at = sys::mono_ns();
  const bool now = rules().has_value();
  if (present_ && *present_ == now) return;
  present_ = now;
  const std::string state = kind_ == KillSwitchKind::ours ? "connected" : "recipe";
  changes_.push_back({at, {0, now ? "seen in place" : "seen gone", state, reason, 0}});
}

void KillSwitchLab::after_action(const std::string& action, const VpnInfo& vpn) {
  if (!active()) return;
  const bool protected_already =
      vpn.tunnel_ip == tunnel_ip_ || vpn.tunnel_ip == ip_of(s_.vpn.reconnect_tunnel_ip);
  if (kind_ == KillSwitchKind::ours && !vpn.tunnel_ip.empty() && !protected_already) {
    tunnel_ip_ = vpn.tunnel_ip;
    apply_ours("re-applied", action + ": the tunnel's address is now " + tunnel_ip_);
  }
  look("after " + action);
}

void KillSwitchLab::at_end() {
  if (!active()) return;
  look("at the end of the window");
  counters_ = rules();
}

std::optional<KillSwitchRun> KillSwitchLab::take(int64_t t0_ns) const {
  if (!active()) return std::nullopt;
  KillSwitchRun k;
  k.kind = killswitch_kind_name(kind_);
  k.refusal = "reject";
  if (kind_ == KillSwitchKind::ours) {
    k.tunnel_match = "interface name";
  } else {
    k.tunnel_match = "interface name and fwmark";
    k.rules = wgquick_recipe_lines();
    k.notes.push_back(
        "the recipe's rules are added by wg-quick's PostUp and removed by its PreDown; "
        "splitsecond only looks at them (after connecting, after each action, at the end)");
  }
  for (const auto& c : changes_) {
    KillSwitchChange out = c.c;
    out.at_us = (c.at_ns - t0_ns) / 1000;
    k.changes.push_back(out);
  }
  k.counters_at_end = counters_;
  k.notes.insert(k.notes.end(), notes_.begin(), notes_.end());
  return k;
}

}  // namespace ss::lab

namespace ss::lab {
namespace {

// SIGINT/SIGTERM/SIGHUP held back while a lab exists, so that an interruption ends in the
// lab's teardown (Interrupted is thrown where it is checked) instead of killing the process.
class HeldSignals {
 public:
  HeldSignals() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~HeldSignals() {
    timespec zero{};
    while (::sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  void check() const {
    sigset_t pending;
    ::sigpending(&pending);
    for (int s : {SIGINT, SIGTERM, SIGHUP})
      if (sigismember(&pending, s)) throw Interrupted(fmt::format("interrupted by signal {}", s));
  }

 private:
  sigset_t set_{}, old_{};
};

// Runs the app agent once in the client namespace and reads its outcomes (bounded).
std::vector<AppOutcome> run_app_agent(Lab& lab, const Scenario& s, Micros bound,
                                      const std::string& label, const HeldSignals& signals) {
  const std::string server = ip_of(s.topology.server_ip4);
  auto& child = lab.spawn(lab.names().client, label,
                          {std::filesystem::read_symlink("/proc/self/exe"), "agent", "ks-app",
                           "--connect", server + ":7001", "--udp", server + ":7003", "--name",
                           "server.splitsecond.test", "--bound", format_duration(bound)},
                          true);
  std::string text;
  const int64_t give_up = sys::mono_ns() + (bound.count() + 10'000'000) * 1000;
  for (;;) {
    pollfd p{child.stdout_fd(), POLLIN, 0};
    ::poll(&p, 1, 50);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(child.stdout_fd(), buf, sizeof buf)) > 0)
      text.append(buf, static_cast<size_t>(n));
    if (n == 0 && child.poll_exit()) break;
    signals.check();
    if (sys::mono_ns() > give_up) {
      child.stop(std::chrono::milliseconds(200));
      throw EnvironmentError(fmt::format("the app agent did not end within {} s; its log: {}",
                                         (bound.count() + 10'000'000) / 1'000'000,
                                         lab.log_tail(label)));
    }
  }
  std::vector<AppOutcome> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    if (auto o =
            app_outcome_from(nlohmann::json::parse(text.substr(start, nl - start), nullptr, false)))
      out.push_back(*o);
  if (out.empty())
    throw EnvironmentError("the app agent said nothing; its log: " + lab.log_tail(label));
  return out;
}

// Waits (bounded) until something in the namespace listens on UDP `port` (dnsmasq started).
void wait_udp_listening(int netns_fd, int port, std::chrono::seconds bound) {
  const std::string hex = fmt::format(":{:04X} ", port);
  const int64_t give_up = sys::mono_ns() + bound.count() * 1'000'000'000;
  while (sys::mono_ns() < give_up) {
    {
      sys::NetnsGuard in(netns_fd);
      std::ifstream f("/proc/thread-self/net/udp");
      for (std::string line; std::getline(f, line);)
        if (line.find(hex) != std::string::npos && line.find(hex) < 20) return;
    }
    ::poll(nullptr, 0, 10);
  }
  throw EnvironmentError(
      fmt::format("nothing listened on UDP port {} within {} s (dnsmasq?)", port, bound.count()));
}

}  // namespace

std::vector<AppView> measure_app_views(const Scenario& s, Micros bound, bool verbose) {
  auto say = [&](const std::string& what) {
    if (verbose) fmt::print(stderr, "splitsecond: {}\n", what);
  };
  std::vector<AppView> views;
  const HeldSignals signals;  // declared before the lab: released after its teardown
  Lab lab(new_run_prefix());
  say("building the lab (no VPN: the tunnel is down)");
  lab.apply(plan_topology(s, lab.names()));
  start_resolver(lab, lab.names().home, ip_of(s.topology.home_lan_ip4), "home-resolver",
                 ip_of(s.topology.server_ip4));
  wait_udp_listening(lab.netns_fd(lab.names().home), 53, std::chrono::seconds(10));
  const int fd = lab.netns_fd(lab.names().client);
  const std::string table = KillSwitchSpec{}.table;
  struct Variant {
    const char* name;
    std::optional<bool> reject;  // nullopt: no kill switch
  };
  int n = 0;
  for (const Variant v : {Variant{"none", std::nullopt}, Variant{"ours (reject)", true},
                          Variant{"ours (drop)", false}}) {
    signals.check();
    say(std::string("applications under ") + v.name);
    if (v.reject)
      apply_nft(fd, killswitch_ruleset(lab_spec(s, ip_of(s.vpn.client_tunnel_ip), *v.reject)));
    else
      apply_nft(fd, killswitch_off(table));
    views.push_back({v.name, run_app_agent(lab, s, bound, fmt::format("ks-app-{}", ++n), signals)});
  }
  for (const auto& problem : lab.teardown()) say("teardown: " + problem);
  return views;
}

}  // namespace ss::lab
