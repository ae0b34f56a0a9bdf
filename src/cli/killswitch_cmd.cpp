// `splitsecond killswitch on|off|status`: the kill switch of model/killswitch.hpp on a real
// host (or whatever network namespace this process runs in). It owns one nftables table and
// changes nothing else: `on` replaces that table in one transaction (idempotent), `off`
// deletes it, `status` shows its state and counters.
#include <fmt/format.h>
#include <net/if.h>

#include <memory>

#include "cli/commands.hpp"
#include "model/errors.hpp"
#include "model/killswitch.hpp"
#include "sys/nftables.hpp"

namespace ss::cli {
namespace {

struct KillSwitchArgs {
  std::string state = "connected";
  std::vector<std::string> endpoints, dns, tunnel_addrs;
  std::string tunnel;
  bool allow_lan = false, no_ipv6 = false, drop = false, dry_run = false;
};

bool valid_ifname(const std::string& n) {
  return !n.empty() && n.size() < IFNAMSIZ && n.find_first_of("/ \t\n\"") == std::string::npos;
}

KillSwitchSpec spec_from(const KillSwitchArgs& a) {
  KillSwitchSpec s;
  auto state = tunnel_state_from(a.state);
  if (!state)
    throw UsageError(fmt::format(
        "--state {}: expected one of connecting, connected, disconnecting, blocked", a.state));
  s.state = *state;
  for (const auto& e : a.endpoints) {
    auto ep = parse_endpoint(e);
    if (!ep)
      throw UsageError(
          fmt::format("--endpoint {}: expected ADDR:PORT[/udp|/tcp], e.g. 198.51.100.1:51820 or "
                      "[2001:db8::1]:51820/udp",
                      e));
    s.endpoints.push_back(*ep);
  }
  auto addresses = [](const std::vector<std::string>& in, const char* option) {
    std::vector<IpPrefix> out;
    for (const auto& text : in) {
      auto p = IpPrefix::parse(text);
      if (!p || text.find('/') != std::string::npos)
        throw UsageError(fmt::format("{} {}: expected an IP address", option, text));
      out.push_back(*p);
    }
    return out;
  };
  s.tunnel_dns = addresses(a.dns, "--dns");
  s.tunnel_addrs = addresses(a.tunnel_addrs, "--tunnel-addr");
  if (!a.tunnel.empty() && !valid_ifname(a.tunnel))
    throw UsageError(fmt::format("--tunnel {}: not a valid interface name", a.tunnel));
  s.tunnel_if = a.tunnel;
  if ((s.state == TunnelState::connecting || s.state == TunnelState::connected) &&
      s.endpoints.empty())
    throw UsageError(
        fmt::format("--state {} needs --endpoint ADDR:PORT (the VPN server)", a.state));
  if (s.state == TunnelState::connected) {
    if (s.tunnel_if.empty()) throw UsageError("--state connected needs --tunnel IFACE");
    // Matched by name, so the rules hold for a tunnel created later; but a connected state
    // names a tunnel that is up now: a typo here would block everything.
    if (::if_nametoindex(s.tunnel_if.c_str()) == 0)
      throw UsageError(fmt::format(
          "--tunnel {}: no such interface here (use --state connecting until the tunnel "
          "exists)",
          s.tunnel_if));
  }
  s.allow_lan = a.allow_lan;
  s.ipv6 = !a.no_ipv6;
  s.reject = !a.drop;
  return s;
}

// Runs a batch here; an nftables that is missing or refuses is this machine's limit (exit 3).
std::string run_batch(const std::string& batch) {
  const sys::NftResult r = sys::nft_run(batch);
  if (!r.ok)
    throw EnvironmentError(fmt::format(
        "nftables refused the kill switch (libnftables): {}; this needs root (CAP_NET_ADMIN) "
        "and a kernel with nf_tables, its inet family and the reject expression",
        r.error));
  return r.output;
}

bool table_exists(const std::string& table) {
  const sys::NftResult r = sys::nft_run("list tables inet");
  if (!r.ok) run_batch("list tables inet");  // throws with the reason
  return r.output.find("table inet " + table + "\n") != std::string::npos;
}

}  // namespace

void add_killswitch_commands(CLI::App& app) {
  auto* ks = app.add_subcommand("killswitch",
                                "a firewall kill switch (nftables): only the VPN leaves; on, off, "
                                "status (docs/killswitch.md)");
  ks->require_subcommand(1);
  auto a = std::make_shared<KillSwitchArgs>();

  auto* on = ks->add_subcommand("on", "apply (or replace) the kill switch table, in one batch");
  on->add_option("--state", a->state, "connecting, connected, disconnecting or blocked")
      ->capture_default_str();
  on->add_option("--endpoint", a->endpoints, "the VPN server, ADDR:PORT[/udp|/tcp] (repeatable)");
  on->add_option("--tunnel", a->tunnel, "the tunnel interface's name, e.g. wg0 or tun0");
  on->add_option("--tunnel-addr", a->tunnel_addrs,
                 "the tunnel's own address (repeatable): unreachable from other interfaces");
  on->add_option("--dns", a->dns, "the tunnel's resolver, the only DNS allowed (repeatable)");
  on->add_flag("--allow-lan", a->allow_lan, "let private and link-local networks through");
  on->add_flag("--no-ipv6", a->no_ipv6, "nothing but link housekeeping over IPv6");
  on->add_flag("--drop", a->drop, "drop blocked packets instead of rejecting them");
  on->add_flag("--dry-run", a->dry_run, "print the ruleset and change nothing");
  on->callback([a] {
    const std::string batch = killswitch_ruleset(spec_from(*a));
    if (a->dry_run) {
      fmt::print("{}", batch);
      return;
    }
    run_batch(batch);
    fmt::print("splitsecond: kill switch on ({}), table inet {}\n", a->state,
               KillSwitchSpec{}.table);
  });

  auto off_dry = std::make_shared<bool>(false);
  auto* off = ks->add_subcommand("off", "remove the kill switch table (and nothing else)");
  off->add_flag("--dry-run", *off_dry, "print the batch and change nothing");
  off->callback([off_dry] {
    const std::string table = KillSwitchSpec{}.table;
    if (*off_dry) {
      fmt::print("{}", killswitch_off(table));
      return;
    }
    const bool was_on = table_exists(table);
    run_batch(killswitch_off(table));
    fmt::print("splitsecond: kill switch {}\n", was_on ? "off" : "was not on; nothing changed");
  });

  auto* status = ks->add_subcommand("status", "the kill switch's state and rule counters");
  status->callback([] {
    const std::string table = KillSwitchSpec{}.table;
    if (!table_exists(table)) {
      fmt::print("kill switch: off (no table inet {})\n", table);
      return;
    }
    const std::string listing = run_batch("list table inet " + table);
    // The state is in the table's comment ("splitsecond kill switch: STATE").
    const std::string mark = "splitsecond kill switch: ";
    const auto at = listing.find(mark);
    const std::string state =
        at == std::string::npos
            ? "unknown"
            : listing.substr(at + mark.size(),
                             listing.find('"', at + mark.size()) - at - mark.size());
    fmt::print("kill switch: {} (table inet {})\n{}", state, table, listing);
  });
}

}  // namespace ss::cli
