#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "model/duration.hpp"
#include "model/errors.hpp"
#include "probes/mptcp_agent.hpp"

namespace ss::cli {

void add_mptcp_agents(CLI::App& agent) {
  struct Opts {
    std::string server, listen, interval = "100ms", duration = "30s";
  };
  auto o = std::make_shared<Opts>();

  auto* client =
      agent.add_subcommand("mptcp-client", "MPTCP probe client: echoes and the kernel's subflows");
  client->add_option("--server", o->server, "IP:PORT")->required();
  client->add_option("--interval", o->interval, "a line and a look at the subflows every interval");
  client->add_option("--duration", o->duration);
  client->callback([o] {
    probes::MptcpClientOptions m;
    m.server = probes::Endpoint::parse(o->server, "--server");
    m.interval = duration_option(o->interval, "--interval");
    m.duration = duration_option(o->duration, "--duration");
    agent_exit(probes::run_mptcp_client(m));
  });

  auto* server = agent.add_subcommand("mptcp-server", "MPTCP echo server; prints its subflows");
  server->add_option("--listen", o->listen, "IP:PORT")->required();
  server->add_option("--interval", o->interval, "how often it looks at the subflows");
  server->callback([o] {
    probes::MptcpServerOptions m;
    m.listen = probes::Endpoint::parse(o->listen, "--listen");
    m.interval = duration_option(o->interval, "--interval");
    agent_exit(probes::run_mptcp_server(m));
  });
}

}  // namespace ss::cli
