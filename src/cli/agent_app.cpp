// Application-layer probe agents: WebSocket, HTTP ip-seen, DNS over HTTPS (docs/app-probes.md).
#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "model/duration.hpp"
#include "model/errors.hpp"
#include "probes/app_http.hpp"
#include "probes/app_ws.hpp"
#include "probes/doh_client.hpp"

namespace ss::cli {
namespace {

Micros positive_duration(const std::string& text, const char* option) {
  auto d = parse_duration(text);
  if (!d || d->count() == 0)
    throw UsageError(fmt::format("{}: '{}' is not a duration such as 100ms or 3s", option, text));
  return *d;
}

void add_ws(CLI::App& agent) {
  struct Opts {
    std::string server, listen, interval = "100ms", duration = "30s", connect_timeout = "3s";
    std::string reconnect = "none", base = "100ms", cap = "2s";
    int attempts = 10;
  };
  auto o = std::make_shared<Opts>();
  auto* client = agent.add_subcommand("ws-client",
                                      "WebSocket probe client: a numbered message every interval");
  client->add_option("--server", o->server, "IP:PORT")->required();
  client->add_option("--interval", o->interval);
  client->add_option("--duration", o->duration);
  client->add_option("--connect-timeout", o->connect_timeout,
                     "TCP connect plus WebSocket handshake");
  client->add_option("--reconnect", o->reconnect, "none | backoff (exponential, full jitter)");
  client->add_option("--reconnect-base", o->base, "first backoff ceiling");
  client->add_option("--reconnect-cap", o->cap, "largest backoff ceiling");
  client->add_option("--reconnect-attempts", o->attempts, "per outage")->check(CLI::Range(1, 1000));
  client->callback([o] {
    probes::WsClientOptions w;
    w.server = probes::Endpoint::parse(o->server, "--server");
    w.interval = positive_duration(o->interval, "--interval");
    w.duration = positive_duration(o->duration, "--duration");
    w.connect_timeout = positive_duration(o->connect_timeout, "--connect-timeout");
    w.reconnect.kind = probes::parse_reconnect_kind(o->reconnect, "--reconnect");
    w.reconnect.base = positive_duration(o->base, "--reconnect-base");
    w.reconnect.cap = positive_duration(o->cap, "--reconnect-cap");
    w.reconnect.max_attempts = o->attempts;
    if (w.reconnect.cap < w.reconnect.base)
      throw UsageError(
          fmt::format("--reconnect-cap: {} is shorter than --reconnect-base {}", o->cap, o->base));
    agent_exit(probes::run_ws_client(w));
  });
  auto* server = agent.add_subcommand("ws-server", "WebSocket echo server for the WebSocket probe");
  server->add_option("--listen", o->listen, "IP:PORT")->required();
  server->callback(
      [o] { agent_exit(probes::run_ws_server(probes::Endpoint::parse(o->listen, "--listen"))); });
}

void add_http(CLI::App& agent) {
  struct Opts {
    std::string server, listen, path = "/", interval = "200ms", duration = "30s", timeout = "2s";
    bool new_connection_each = false;
  };
  auto o = std::make_shared<Opts>();
  auto* server =
      agent.add_subcommand("http-ipseen", "HTTP server answering with the client address it saw");
  server->add_option("--listen", o->listen, "IP:PORT")->required();
  server->callback(
      [o] { agent_exit(probes::run_http_ipseen(probes::Endpoint::parse(o->listen, "--listen"))); });
  auto* client =
      agent.add_subcommand("http-client", "ip-seen probe client: one GET every interval");
  client->add_option("--server", o->server, "IP:PORT")->required();
  client->add_option("--path", o->path);
  client->add_option("--interval", o->interval);
  client->add_option("--duration", o->duration);
  client->add_option("--timeout", o->timeout, "per request, connect included");
  client->add_flag("--new-connection-each", o->new_connection_each,
                   "a new TCP connection for every request");
  client->callback([o] {
    probes::HttpClientOptions h;
    h.server = probes::Endpoint::parse(o->server, "--server");
    if (o->path.empty() || o->path.front() != '/')
      throw UsageError(fmt::format("--path: '{}' does not start with '/'", o->path));
    h.path = o->path;
    h.interval = positive_duration(o->interval, "--interval");
    h.duration = positive_duration(o->duration, "--duration");
    h.timeout = positive_duration(o->timeout, "--timeout");
    h.new_connection_each = o->new_connection_each;
    agent_exit(probes::run_http_client(h));
  });
}

void add_doh(CLI::App& agent) {
  struct Opts {
    std::string url, name = "probe.splitsecond.test", interval = "200ms", duration = "30s",
                     timeout = "2s", cacert, dns_cache = "60s";
    bool insecure = false;
  };
  auto o = std::make_shared<Opts>();
  auto* client =
      agent.add_subcommand("doh-client", "DoH probe: A lookups over one reused HTTPS connection");
  client->add_option("--url", o->url, "https://IP:PORT/dns-query")->required();
  client->add_option("--name", o->name);
  client->add_option("--interval", o->interval);
  client->add_option("--duration", o->duration);
  client->add_option("--timeout", o->timeout, "per lookup, connection included");
  client->add_option("--dns-cache", o->dns_cache,
                     "how long libcurl keeps the resolver's address (0s: resolve for every new "
                     "connection; default: libcurl's 60s)");
  auto* cacert = client->add_option("--cacert", o->cacert, "PEM file to verify the resolver with")
                     ->check(CLI::ExistingFile);
  client->add_flag("--insecure", o->insecure, "do not verify the resolver's certificate")
      ->excludes(cacert);
  client->callback([o] {
    probes::DohClientOptions d;
    probes::check_doh_url(o->url);
    d.url = o->url;
    d.name = o->name;
    d.interval = positive_duration(o->interval, "--interval");
    d.duration = positive_duration(o->duration, "--duration");
    d.timeout = positive_duration(o->timeout, "--timeout");
    auto cache = parse_duration(o->dns_cache);  // 0s allowed: no cache
    if (!cache)
      throw UsageError(
          fmt::format("--dns-cache: '{}' is not a duration such as 0s or 60s", o->dns_cache));
    d.dns_cache = *cache;
    d.cacert = o->cacert;
    d.insecure = o->insecure;
    agent_exit(probes::run_doh_client(d));
  });
}

}  // namespace

void add_app_agents(CLI::App& agent) {
  add_ws(agent);
  add_http(agent);
  add_doh(agent);
}

}  // namespace ss::cli
