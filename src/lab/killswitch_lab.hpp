#pragma once
// The kill switch in the lab (docs/killswitch.md): the scenario's `killswitch` in the client
// namespace, followed through the run's timeline, and what it did recorded.
//   ours:            model/killswitch.hpp's table, applied in one batch before the VPN client
//                    starts, the tunnel matched by interface name; re-applied (one batch) only
//                    when an address it protects changes.
//   wg-quick-recipe: wg-quick(8)'s PostUp/PreDown lines, put into wg-quick's config
//                    (wgquick_killswitch_lines) and run by wg-quick itself; we only look.
// After connecting and after each action it looks at whether its rules are in place, and at
// the end of the window it reads their counters (what they refused).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lab/lab.hpp"
#include "model/killswitch_run.hpp"
#include "model/record.hpp"
#include "model/scenario.hpp"

namespace ss::lab {

// EnvironmentError (exit 3) when the kill switch needs a program that is missing (the recipe:
// iptables); UsageError (exit 2) when it cannot run with the scenario's client.
void killswitch_preflight(const Scenario& s);

// The lines wg-quick's [Interface] section gets: the recipe's, or "".
std::string wgquick_killswitch_lines(const Scenario& s);

class KillSwitchLab {
 public:
  KillSwitchLab(Lab& lab, const Scenario& s);
  bool active() const { return kind_ != KillSwitchKind::none; }
  // Before the VPN client starts: ours applies its table.
  void before_connect();
  // When connect() returned: whether the rules are in place.
  void after_connect();
  // After each timeline action: re-applies ours if the tunnel's address changed; looks at
  // whether the rules are in place.
  void after_action(const std::string& action, const VpnInfo& vpn);
  // At the end of the window, before anything is stopped: the counters.
  void at_end();
  // The record's `killswitch` (times relative to t0_ns); nullopt without a kill switch.
  std::optional<KillSwitchRun> take(int64_t t0_ns) const;

 private:
  struct Change {
    int64_t at_ns;
    KillSwitchChange c;
  };
  void apply_ours(const std::string& what, const std::string& reason);
  // The rules that refuse, with their counters; nullopt when they are gone.
  std::optional<std::vector<RuleCounter>> rules();
  void look(const std::string& reason);

  Lab& lab_;
  const Scenario& s_;
  KillSwitchKind kind_;
  std::string tunnel_ip_;  // the address ours protects
  std::optional<bool> present_;
  std::vector<Change> changes_;
  std::optional<std::vector<RuleCounter>> counters_;
  std::vector<std::string> notes_;
};

// What applications get when the kill switch blocks them (issue 9, item 5): a lab without a
// VPN (the tunnel is down), once without a kill switch, then with ours rejecting and with ours
// dropping; each time an agent in the client namespace tries a TCP connect, a UDP send and a
// DNS lookup (getaddrinfo, the namespace's resolver) and says what it got and when.
std::vector<AppView> measure_app_views(const Scenario& s, Micros bound, bool verbose);

}  // namespace ss::lab
