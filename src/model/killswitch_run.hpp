#pragma once
// The kill switch in a lab run, as data: which one ran (scenario key `killswitch`, option
// `--killswitch`), what it did to the firewall and when, and what its rules stopped; the lines
// wg-quick's manual page gives as its kill switch; what applications see when it blocks them.
// Pure: lab/killswitch_lab.cpp does the applying and fills these in.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ss {

// none: no kill switch. ours: model/killswitch.hpp's table in the client namespace.
// wg-quick-recipe: the PostUp/PreDown lines of wg-quick(8), run by wg-quick's own hooks.
enum class KillSwitchKind { none, ours, wg_quick_recipe };
const char* killswitch_kind_name(KillSwitchKind k);  // "none", "ours", "wg-quick-recipe"
std::optional<KillSwitchKind> killswitch_kind_from(const std::string& name);
// Why `kind` cannot run with vpn.client `client` ("" when it can): the recipe lives in
// wg-quick's config, so only wg-quick runs it.
std::string killswitch_client_problem(KillSwitchKind kind, const std::string& client);
struct Scenario;
// `run --killswitch VALUE` over the scenario's (VALUE "" keeps it); then checks it against the
// scenario's client, which --client may have changed. UsageError naming the option or file.
void override_killswitch(Scenario& s, const std::string& value);

// wg-quick(8)'s kill switch: its PostUp/PreDown lines for iptables, and the ip6tables lines
// its manual page says to add "when IPv6 is in use" (the lab's home network is dual-stack).
std::vector<std::string> wgquick_recipe_lines();

struct KillSwitchChange {
  int64_t at_us = 0;   // relative to t=0 (negative: before the first action)
  std::string what;    // "applied", "re-applied"
  std::string state;   // the table's state (model/killswitch.hpp)
  std::string reason;  // what made it change
  int64_t took_us = 0;
};

struct RuleCounter {
  std::string rule;  // the rule's text without its counter
  int64_t packets = 0;
};

struct KillSwitchRun {
  std::string kind;          // killswitch_kind_name
  std::string tunnel_match;  // ours: "interface name"; the recipe: "interface name and fwmark"
  std::string refusal;       // "reject" or "drop"
  std::vector<std::string> rules;  // the recipe's lines as given to wg-quick (ours: empty)
  std::vector<KillSwitchChange> changes;
  // The refusing rules' counters at the end of the window; unset when the rules were gone
  // (a PreDown removed them).
  std::optional<std::vector<RuleCounter>> counters_at_end;
  std::vector<std::string> notes;
  int64_t refused_packets() const;  // the sum of counters_at_end
};

nlohmann::json killswitch_run_json(const KillSwitchRun& k);
KillSwitchRun killswitch_run_from_json(const nlohmann::json& j);
// "kill switch: ..." lines for the run's report.
std::string render_killswitch(const KillSwitchRun& k);

// The rules of an `nft list` listing that count ("counter packets N bytes M"), each with its
// text (the counter removed) and N, in listing order.
std::vector<RuleCounter> parse_rule_counters(const std::string& listing);

// What an application got when the kill switch (or nothing) stood in its way: one blocked
// operation (connect, send, DNS lookup), the error and how long until it came.
struct AppOutcome {
  std::string op;     // "connect", "send", "dns"
  std::string error;  // "ECONNREFUSED", "EPERM", "EAI_AGAIN", ...; "" when it succeeded
  std::optional<double> after_ms;  // when the error (or success) came; unset: nothing came
  double bound_ms = 0;             // how long the app waited at most
  std::string detail;              // e.g. the ICMP error a send was followed by
};
struct AppView {
  std::string killswitch;  // "none", "ours (reject)", "ours (drop)"
  std::vector<AppOutcome> outcomes;
};
// One agent line ({"kind":"outcome","op":...,"error":...,"after_ms":...}) into an AppOutcome;
// nullopt for any other line.
std::optional<AppOutcome> app_outcome_from(const nlohmann::json& line);
nlohmann::json app_views_json(const std::vector<AppView>& views);
// The table: one row per operation, one column per kill switch.
std::string render_app_views(const std::vector<AppView>& views);

}  // namespace ss
