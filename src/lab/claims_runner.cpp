#include "lab/claims_runner.hpp"

#include <fmt/format.h>

namespace ss::lab {
namespace {

Scenario variant(const std::string& name, DisconnectMode mode,
                 const std::vector<std::string>& probes) {
  Scenario s = load_scenario("disconnect");
  s.name = "claims:" + name;
  set_disconnect_mode(s, mode);  // the timeline's disconnect is what the run executes
  s.probes.clear();
  for (const auto& p : probes)
    for (const auto& known : known_probes())
      if (known.name == p) s.probes.push_back(known);
  return s;
}

}  // namespace

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

ClaimRuns run_claim_experiments(const RunOptions& o,
                                const std::function<void(const std::string&)>& progress) {
  ClaimRuns runs;
  for (auto& [name, scenario] : claim_variants()) {
    preflight(scenario);
    progress(fmt::format("running '{}' ({} disconnect, {} probes)", name,
                         disconnect_name(scenario.disconnect), scenario.probes.size()));
    runs[name] = run_experiment(scenario, o);
  }
  return runs;
}

}  // namespace ss::lab
