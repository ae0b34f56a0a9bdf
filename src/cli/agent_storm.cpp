// The lab storm's agents: storm-client (N WebSocket clients, storm/ws_pool) and storm-server
// (probes/storm_server). Their lines are batched; see docs/storms.md.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "model/duration.hpp"
#include "model/errors.hpp"
#include "probes/emit.hpp"
#include "probes/storm_server.hpp"
#include "probes/tcp_probe.hpp"
#include "storm/target.hpp"
#include "storm/ws_pool.hpp"
#include "sys/event_loop.hpp"

namespace ss::cli {
namespace {

constexpr const char* kClient = "storm-client";

int64_t ns_of(const std::string& text, const char* option, bool zero_ok) {
  auto d = parse_duration(text);
  if (!d || (!zero_ok && d->count() == 0))
    throw UsageError(fmt::format("{}: '{}' is not a duration such as 100ms or 3s", option, text));
  return d->count() * 1000;
}

struct ClientOpts {
  std::string server, policy = "full-jitter", base = "100ms", cap = "5s", attempt_timeout = "2s";
  std::string keepalive = "2s", duration = "30s", every = "250ms", connect_time = "15s";
  uint32_t clients = 100;
  bool echo = false;
};

// What happened since the last batch line.
struct Batch {
  nlohmann::json up = nlohmann::json::array(), lost = nlohmann::json::array(),
                 fail = nlohmann::json::array();
  bool empty() const { return up.empty() && lost.empty() && fail.empty(); }
  void flush(uint32_t connected) {
    if (empty()) return;
    probes::emit(kClient, "batch",
                 {{"up", std::move(up)},
                  {"lost", std::move(lost)},
                  {"fail", std::move(fail)},
                  {"connected", connected}});
    up = nlohmann::json::array();
    lost = nlohmann::json::array();
    fail = nlohmann::json::array();
  }
};

int run_storm_client(const ClientOpts& o) {
  storm::WsPoolParams p;
  p.clients = o.clients;
  auto url = storm::parse_ws_url("ws://" + o.server + "/", "--server");
  p.target = url.address;
  p.host = url.host;
  auto kind = storm::parse_policy_kind(o.policy);
  if (!kind) throw UsageError(fmt::format("--policy {}: unknown policy", o.policy));
  p.policy = {*kind, ns_of(o.base, "--base", true), ns_of(o.cap, "--cap", true),
              ns_of(o.attempt_timeout, "--attempt-timeout", true)};
  p.keepalive_ns = ns_of(o.keepalive, "--keepalive", true);
  p.echo = o.echo;
  p.seed = static_cast<uint64_t>(sys::mono_ns());
  const int64_t every = ns_of(o.every, "--every", false);
  const int64_t end = sys::mono_ns() + ns_of(o.duration, "--duration", false);
  probes::install_stop_handlers();
  const uint64_t limit = storm::raise_fd_limit(uint64_t{o.clients} + 256);
  if (limit < uint64_t{o.clients} + 64) {
    probes::emit(
        kClient, "setup_failed",
        {{"error", fmt::format("RLIMIT_NOFILE {} is too low for {} clients", limit, o.clients)},
         {"op", "setrlimit"}});
    return 4;
  }
  Batch batch;
  auto now = [] { return sys::mono_ns(); };
  storm::WsPoolEvents ev;
  ev.up = [&](uint32_t c) { batch.up.push_back({c, now()}); };
  ev.lost = [&](uint32_t c, const std::string& e) { batch.lost.push_back({c, now(), e}); };
  ev.failed = [&](uint32_t c, storm::AttemptEnd, const std::string& e, const char*) {
    batch.fail.push_back({c, now(), e});
  };
  storm::WsPool pool(p, ev);
  pool.start(500'000);  // 2,000 first connections per second
  int64_t next_flush = now() + every;
  auto tick = [&] {
    if (now() < next_flush) return;
    batch.flush(pool.connected());
    next_flush = now() + every;
  };
  pool.run_until(
      std::min(end, now() + ns_of(o.connect_time, "--connect-time", false)),
      [&] { return probes::stop_requested() || pool.connected() == o.clients; }, tick);
  batch.flush(pool.connected());
  next_flush = now() + every;
  probes::emit(kClient, "ready",
               {{"clients", o.clients}, {"connected", pool.connected()}, {"remote", o.server}});
  pool.storm();
  pool.run_until(
      end, [] { return probes::stop_requested(); }, tick);
  batch.flush(pool.connected());
  probes::emit(kClient, "summary", {{"connected", pool.connected()}});
  pool.stop();
  return 0;
}

}  // namespace

void add_storm_agents(CLI::App& agent) {
  auto o = std::make_shared<ClientOpts>();
  auto* client = agent.add_subcommand(
      "storm-client", "N WebSocket clients holding a connection each, reconnecting per policy");
  client->add_option("--server", o->server, "IP:PORT")->required();
  client->add_option("--clients", o->clients)->check(CLI::Range(1, 100000));
  client->add_option("--policy", o->policy);
  client->add_option("--base", o->base);
  client->add_option("--cap", o->cap);
  client->add_option("--attempt-timeout", o->attempt_timeout);
  client->add_option("--keepalive", o->keepalive,
                     "idle timeout with WebSocket pings at half of it (0s: none)");
  client->add_flag("--echo", o->echo, "back when a first message echoes, not at the upgrade");
  client->add_option("--duration", o->duration);
  client->add_option("--connect-time", o->connect_time, "bound on the first connections");
  client->add_option("--every", o->every, "a batch line this often");
  client->callback([o] { agent_exit(run_storm_client(*o)); });

  auto so = std::make_shared<std::pair<std::string, std::pair<int, std::string>>>();
  so->second = {4096, "200ms"};
  auto* server = agent.add_subcommand("storm-server",
                                      "WebSocket echo server with the namespace's kernel counters");
  server->add_option("--listen", so->first, "IP:PORT")->required();
  server->add_option("--backlog", so->second.first, "listen backlog")->check(CLI::Range(1, 65535));
  server->add_option("--every", so->second.second, "a batch line this often");
  server->callback([so] {
    probes::StormServerOptions s;
    s.listen = probes::Endpoint::parse(so->first, "--listen");
    s.backlog = so->second.first;
    s.every = Micros(ns_of(so->second.second, "--every", false) / 1000);
    agent_exit(probes::run_storm_server(s));
  });
}

}  // namespace ss::cli
