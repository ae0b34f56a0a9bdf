// `splitsecond agent quic-server|quic-client`: parse, run the agent, exit with its status.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/commands.hpp"
#include "probes/quic_client.hpp"
#include "probes/quic_server.hpp"

namespace ss::cli {

namespace {

namespace quic = ss::probes::quic;

// Exits with the agent's status once everything it owned is destroyed (4: set-up failed).
void exit_with(int status) {
  if (status != 0) agent_exit(status);
}

void add_server(CLI::App& agent) {
  auto args = std::make_shared<quic::ServerArgs>();
  auto* cmd = agent.add_subcommand("quic-server", "QUIC echo server (ngtcp2)");
  cmd->add_option("--listen", args->listen, "IP:PORT to listen on")->required();
  cmd->add_flag("--disable-migration", args->disable_migration,
                "send the disable_active_migration transport parameter");
  cmd->add_option("--idle-timeout", args->idle_timeout, "QUIC max_idle_timeout")
      ->capture_default_str();
  cmd->add_option("--cert-out", args->cert_out, "write the per-run certificate (PEM) here");
  cmd->callback([args] {
    auto options = quic::parse_server_options(*args);
    quic::EventSink events("quic-server", stdout);
    exit_with(quic::run_quic_server(options, events));
  });
}

void add_client(CLI::App& agent) {
  auto args = std::make_shared<quic::ClientArgs>();
  auto* cmd = agent.add_subcommand("quic-client", "QUIC echo client (ngtcp2)");
  cmd->add_option("--server", args->server, "server IP:PORT")->required();
  cmd->add_option("--interval", args->interval, "time between messages")->capture_default_str();
  cmd->add_option("--duration", args->duration, "how long to run")->capture_default_str();
  cmd->add_option("--connect-timeout", args->connect_timeout, "handshake deadline")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", args->idle_timeout, "QUIC max_idle_timeout")
      ->capture_default_str();
  cmd->add_option("--pin-cert", args->pin_cert, "accept only this server certificate (PEM)");
  cmd->add_option("--rebind-after", args->rebind_after, "test only: move to a new socket then");
  cmd->add_option("--rebind-to", args->rebind_to, "test only: local IP of the new socket");
  cmd->callback([args] {
    auto options = quic::parse_client_options(*args);
    quic::EventSink events("quic-client", stdout);
    exit_with(quic::run_quic_client(options, events));
  });
}

}  // namespace

void add_quic_agents(CLI::App& agent) {
  add_server(agent);
  add_client(agent);
}

}  // namespace ss::cli
