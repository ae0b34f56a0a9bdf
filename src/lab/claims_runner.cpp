#include "lab/claims_runner.hpp"

#include <fmt/format.h>

#include "model/errors.hpp"
#include "model/vpn_variants.hpp"

namespace ss::lab {
namespace {

// Only these of a scenario's probes, in the catalogue's settings.
void keep_probes(Scenario& s, const std::vector<std::string>& probes) {
  s.probes.clear();
  for (const auto& p : probes)
    for (const auto& known : known_probes())
      if (known.name == p) s.probes.push_back(known);
}

Scenario variant(const std::string& name, DisconnectMode mode,
                 const std::vector<std::string>& probes) {
  Scenario s = load_scenario("disconnect");
  s.name = "claims:" + name;
  set_disconnect_mode(s, mode);  // the timeline's disconnect is what the run executes
  keep_probes(s, probes);
  return s;
}

// The scenario run by this client: its VPN kind and client, checked as --client would be.
Scenario with_client(Scenario s, const std::string& client) {
  for (const auto& v : known_vpn_variants())
    if (v.client == client) {
      s.vpn.kind = v.kind;
      s.vpn.client = client;
      check_vpn_variant(s, "--clients " + client);
      return s;
    }
  std::string known;
  for (const auto& v : known_vpn_variants()) known += (known.empty() ? "" : ", ") + v.client;
  throw UsageError(fmt::format("--clients {}: no such VPN client (known: {})", client, known));
}

}  // namespace

const std::vector<std::string>& claim_clients() {
  static const std::vector<std::string> all = {"reference", "wg-quick", "openvpn"};
  return all;
}

std::map<std::string, Scenario> claim_variants() {
  std::map<std::string, Scenario> v;
  Scenario clean = load_scenario("survival");
  clean.name = "claims:clean";
  v["clean"] = clean;
  v["crash"] = variant("crash", DisconnectMode::crash, {"dns", "tcp-send-now"});
  v["keep-interface"] = variant("keep-interface", DisconnectMode::keep_interface, {"tcp-send-now"});
  Scenario ut = variant("user-timeout", DisconnectMode::clean, {"tcp-inflight"});
  ut.probes[0].user_timeout = Micros(1'000'000);
  v["user-timeout"] = ut;
  Scenario nm = variant("no-migration", DisconnectMode::clean, {"quic"});
  nm.probes[0].server_migration = false;
  v["no-migration"] = nm;
  // The other side of mptcp-survives: no subflow endpoint on the physical link, so the
  // connection has no path but the tunnel when the disconnect comes.
  Scenario np = variant("no-physical-subflow", DisconnectMode::clean, {"mptcp"});
  np.probes[0].subflow_on_physical = false;
  v["no-physical-subflow"] = np;
  return v;
}

std::map<std::string, Scenario> client_claim_variants(const std::string& client,
                                                      bool own_disconnects) {
  std::map<std::string, Scenario> v;
  auto add = [&](const std::string& name, Scenario s) {
    s.name = "claims:" + client_run_key(name, client);
    v[client_run_key(name, client)] = with_client(std::move(s), client);
  };
  if (client != "reference" || own_disconnects) {  // else claim_variants()' clean and crash
    // What the client-dependent claims read: the resolver and plaintext DNS (dns), the first
    // packets after t=0 (tcp-send-now) and the address the server sees (ip-seen).
    add("clean", variant("clean", DisconnectMode::clean, {"dns", "tcp-send-now", "ip-seen"}));
    add("crash", variant("crash", DisconnectMode::crash, {"dns", "tcp-send-now"}));
  }
  // The flicker claims read the tcp and ip-seen probes only.
  for (const char* name : {"flicker", "flicker-new-ip"}) {
    Scenario s = load_scenario(name);
    std::erase_if(s.probes,
                  [](const ProbeSpec& p) { return p.name != "tcp" && p.name != "ip-seen"; });
    add(name, std::move(s));
  }
  return v;
}

ClaimRuns run_claim_experiments(
    const RunOptions& o, const std::vector<std::string>& clients, bool per_client_only,
    const std::function<void(size_t done, size_t total, const std::string& what)>& progress) {
  // Every scenario is built and checked before the first lab exists.
  std::vector<std::pair<std::string, Scenario>> todo;
  if (!per_client_only)
    for (auto& [name, s] : claim_variants()) todo.emplace_back(name, std::move(s));
  for (const auto& client : clients.empty() ? claim_clients() : clients)
    for (auto& [name, s] : client_claim_variants(client, per_client_only))
      todo.emplace_back(name, std::move(s));
  for (const auto& [name, s] : todo) preflight(s);
  ClaimRuns runs;
  for (const auto& [name, scenario] : todo) {
    const bool flicker = has_action(scenario, ActionKind::carrier_down);
    progress(
        runs.size(), todo.size(),
        fmt::format("running '{}' ({} client, {}, {} probes)", name, scenario.vpn.client,
                    flicker ? "a carrier loss"
                            : disconnect_name(scenario.disconnect) + std::string(" disconnect"),
                    scenario.probes.size()));
    runs[name] = run_experiment(scenario, o);
  }
  progress(todo.size(), todo.size(), "");
  return runs;
}

}  // namespace ss::lab
