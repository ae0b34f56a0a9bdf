#pragma once
// Each family of subcommands registers itself on the top-level app.
#include <CLI/CLI.hpp>

namespace ss {
struct Scenario;
}

namespace ss::cli {

// An agent's exit status, carried to main() (the one place that turns outcomes into exit
// codes) instead of std::exit() from a callback, which would skip every destructor.
struct ExitStatus {
  int status;
};
[[noreturn]] inline void agent_exit(int status) {
  throw ExitStatus{status};
}

// run --vpn KIND / --client NAME over a scenario's vpn.kind / vpn.client (lab_cmd.cpp).
void apply_vpn_overrides(ss::Scenario& s, const std::string& vpn, const std::string& client);

void add_lab_commands(CLI::App& app);         // run, scenarios, cleanup (lab_cmd.cpp)
void add_storm_commands(CLI::App& app);       // storm sim, storm real (storm_cmd.cpp)
void add_killswitch_commands(CLI::App& app);  // killswitch on|off|status (killswitch_cmd.cpp)
void add_watch_command(CLI::App& app);        // watch (watch_cmd.cpp)
void add_report_commands(CLI::App& app);      // report RECORD.json (report_cmd.cpp)
void add_reap_commands(CLI::App& app);        // reap (reap_cmd.cpp)
void add_sweep_commands(CLI::App& app);       // gap-sweep, merge (sweep_cmd.cpp)
// completion bash|list: hidden, from the app tree (completion_cmd.cpp)
void add_completion_command(CLI::App& app);

// `splitsecond agent ...`: hidden subcommands the lab starts inside its namespaces. Each
// agent is one process with one event loop; it prints one JSON object per line on stdout
// (see docs/agents.md) and exits when its duration ends or it is signalled.
void add_tcp_agents(CLI::App& agent);   // tcp-client, tcp-server, dns-client (agent_tcp.cpp)
void add_quic_agents(CLI::App& agent);  // quic-client, quic-server (agent_quic.cpp)
// ws-client, ws-server, http-ipseen, doh-client (agent_app.cpp)
void add_app_agents(CLI::App& agent);
void add_watch_agents(CLI::App& agent);       // exec-watch, pty-watch (agent_watch.cpp)
void add_mptcp_agents(CLI::App& agent);       // mptcp-client, mptcp-server (agent_mptcp.cpp)
void add_openvpn_agents(CLI::App& agent);     // openvpn-dns (agent_openvpn.cpp)
void add_storm_agents(CLI::App& agent);       // storm-client, storm-server (agent_storm.cpp)
void add_killswitch_agents(CLI::App& agent);  // ks-app (killswitch_cmd.cpp)

}  // namespace ss::cli
