#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "model/duration.hpp"
#include "model/errors.hpp"
#include "probes/tcp_probe.hpp"

namespace ss::cli {

void add_tcp_agents(CLI::App& agent) {
  struct Opts {
    std::string server, listen, interval = "100ms", duration = "30s",
                                name = "whoami.splitsecond.test";
    std::string mode = "stream", user_timeout, keepalive;
    bool watch_path = false;
  };
  auto o = std::make_shared<Opts>();

  auto* client =
      agent.add_subcommand("tcp-client", "TCP probe client: a numbered line every interval");
  client->add_option("--server", o->server, "IP:PORT")->required();
  client->add_option("--interval", o->interval);
  client->add_option("--mode", o->mode, "stream | send-on-signal | idle | bulk");
  client->add_option("--user-timeout", o->user_timeout, "set TCP_USER_TIMEOUT, e.g. 2s");
  client->add_option("--keepalive", o->keepalive,
                     "SO_KEEPALIVE with TCP_KEEPIDLE/INTVL/CNT, e.g. 1s/1s/3");
  client->add_flag("--watch-path", o->watch_path,
                   "watch the connection with the path library; close it when its source "
                   "address goes away");
  client->add_option("--duration", o->duration);
  client->callback([o] {
    probes::TcpClientOptions t;
    t.server = probes::Endpoint::parse(o->server, "--server");
    t.interval = duration_option(o->interval, "--interval");
    t.duration = duration_option(o->duration, "--duration");
    t.mode = probes::parse_tcp_mode(o->mode);
    if (!o->user_timeout.empty())
      t.user_timeout = duration_option(o->user_timeout, "--user-timeout");
    if (!o->keepalive.empty()) probes::parse_keepalive(o->keepalive, t);
    t.watch_path = o->watch_path;
    agent_exit(probes::run_tcp_client(t));
  });

  auto* server = agent.add_subcommand("tcp-server", "TCP echo server for the TCP probe");
  server->add_option("--listen", o->listen, "IP:PORT")->required();
  server->callback(
      [o] { agent_exit(probes::run_tcp_server(probes::Endpoint::parse(o->listen, "--listen"))); });

  auto* dns =
      agent.add_subcommand("dns-client", "DNS probe: TXT lookups through the system resolver");
  dns->add_option("--name", o->name);
  dns->add_option("--interval", o->interval);
  dns->add_option("--duration", o->duration);
  dns->callback([o] {
    probes::DnsClientOptions d;
    d.name = o->name;
    d.interval = duration_option(o->interval, "--interval");
    d.duration = duration_option(o->duration, "--duration");
    agent_exit(probes::run_dns_client(d));
  });
}

}  // namespace ss::cli
