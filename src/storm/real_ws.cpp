// `storm real --ws`: the real generator with WebSocket clients (storm/ws_pool.hpp), the
// simulator's disconnect model (all at once or spread, flap trains, outages) carried out for
// real, against the built-in reference server (WebSocket) or a user's own.
#include <arpa/inet.h>
#include <fmt/format.h>

#include <queue>

#include "model/errors.hpp"
#include "storm/kernel_view.hpp"
#include "storm/real.hpp"
#include "storm/rng.hpp"
#include "storm/ws_pool.hpp"
#include "sys/event_loop.hpp"

namespace ss::storm {
namespace {

// One client's disconnect in one flap, at a time (ns since the storm's start).
struct Break {
  int64_t at;
  uint32_t client, flap;
  bool operator>(const Break& o) const { return at > o.at; }
};
using BreakQueue = std::priority_queue<Break, std::vector<Break>, std::greater<>>;

// Every client's disconnect time in flap k, as the simulator draws them.
void schedule_flap(BreakQueue& q, const RealParams& p, uint32_t k, Rng& rng) {
  const auto& d = p.disconnect;
  const int64_t start = int64_t{k} * d.flap_interval_ns;
  for (uint32_t c = 0; c < p.clients; ++c) {
    double off = 0;
    if (d.spread == Spread::uniform) off = rng.uniform(0, static_cast<double>(d.spread_ns));
    if (d.spread == Spread::exponential) off = rng.exponential(static_cast<double>(d.spread_ns));
    q.push({start + static_cast<int64_t>(off), c, k});
  }
}

}  // namespace

RealResult run_real_ws(const RealParams& p, const RealProgress& progress) {
  validate(p);
  ensure_fd_limit(p.clients);
  RealResult out;
  std::optional<ReferenceServer> server;
  WsPoolParams wp;
  wp.clients = p.clients;
  wp.policy = p.policy;
  wp.seed = p.seed;
  wp.echo = p.echo;
  if (p.ws_target) {
    wp.target = p.ws_target->address;
    wp.host = p.ws_target->host;
    wp.path = p.ws_target->path;
  } else {
    server.emplace(p.server, p.connect_time_ns + p.max_time_ns + 30'000'000'000, true,
                   p.listen_backlog);
    wp.target.sin_family = AF_INET;
    wp.target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    wp.target.sin_port = htons(server->port());
  }
  out.server_port = ntohs(wp.target.sin_port);
  // Loopback targets: spread the clients over 127.0.0.1..N so that ports do not run out.
  if ((ntohl(wp.target.sin_addr.s_addr) >> 24) == 127)
    for (uint32_t i = 1; i <= p.sources; ++i) wp.sources.push_back(INADDR_LOOPBACK - 1 + i);

  Recorder rec(p.clients, p.bucket_ns, p.max_time_ns);
  bool storming = false;
  int64_t t0 = 0;
  uint64_t attempts = 0;
  std::vector<uint8_t> flaps_seen(p.clients, 0);
  auto t = [&] { return sys::mono_ns() - t0; };
  WsPoolEvents ev;
  ev.attempt = [&](uint32_t) {
    if (!storming) return;
    ++attempts;
    rec.attempt(t());
  };
  ev.up = [&](uint32_t c) {
    if (storming) rec.connect(t(), flaps_seen[c] == p.disconnect.flaps);
  };
  ev.failed = [&](uint32_t, AttemptEnd why, const std::string&, const char*) {
    if (!storming) return;
    if (why == AttemptEnd::rejected) rec.reject(t());
    if (why == AttemptEnd::timeout) rec.timeout(t());
    if (why == AttemptEnd::failed) rec.fail(t());
  };
  ev.lost = [&](uint32_t, const std::string&) {
    if (storming) rec.disconnect(t());  // the server ended a connection during the storm
  };
  WsPool pool(wp, ev);

  // Every client connects first, with no limit at the reference server.
  pool.start(20'000);
  pool.run_until(sys::mono_ns() + p.connect_time_ns, [&] { return pool.connected() == p.clients; });
  if (pool.connected() < p.clients) {
    in_addr a{wp.target.sin_addr.s_addr};
    throw EnvironmentError(fmt::format(
        "could only connect {} of {} WebSocket clients to {}:{} in {}s", pool.connected(),
        p.clients, ::inet_ntoa(a), out.server_port, p.connect_time_ns / 1'000'000'000));
  }
  if (server) server->arm();
  out.kernel_before = read_kernel_counters();

  Rng rng(p.seed ^ 0x5eed);
  BreakQueue breaks;
  uint32_t flaps_scheduled = 0;
  const auto& d = p.disconnect;
  pool.storm();
  storming = true;
  if (d.spread == Spread::all_at_once) {
    // The disconnect is the moment the last connection was reset, as in the TCP generator.
    for (uint32_t c = 0; c < p.clients; ++c) {
      flaps_seen[c] = 1;
      if (pool.break_client(c)) rec.disconnect(0);
    }
    flaps_scheduled = 1;
  }
  t0 = sys::mono_ns();
  if (d.outage_ns > 0) {
    pool.set_network_down([&] {
      int64_t now = t();
      int64_t k = now / d.flap_interval_ns;
      return k < d.flaps && now - k * d.flap_interval_ns < d.outage_ns;
    });
  }
  const uint64_t cap = p.max_attempts ? p.max_attempts : 1000ull * p.clients;
  int64_t next_progress = 1'000'000'000;
  auto tick = [&] {
    const int64_t now = t();
    while (flaps_scheduled < d.flaps &&
           int64_t{flaps_scheduled} * d.flap_interval_ns <= now + d.flap_interval_ns / 2) {
      if (d.spread == Spread::all_at_once) {
        for (uint32_t c = 0; c < p.clients; ++c)
          breaks.push({int64_t{flaps_scheduled} * d.flap_interval_ns, c, flaps_scheduled});
      } else {
        schedule_flap(breaks, p, flaps_scheduled, rng);
      }
      ++flaps_scheduled;
    }
    while (!breaks.empty() && breaks.top().at <= now) {
      Break b = breaks.top();
      breaks.pop();
      flaps_seen[b.client] = static_cast<uint8_t>(b.flap + 1);
      if (pool.break_client(b.client)) rec.disconnect(now);
    }
    if (progress && now >= next_progress) {
      progress(now, rec.final_back(), attempts);
      next_progress = now + 1'000'000'000;
    }
  };
  auto done = [&] {
    return (rec.final_back() == p.clients && flaps_scheduled == d.flaps && breaks.empty()) ||
           attempts >= cap;
  };
  pool.run_until(t0 + p.max_time_ns, done, tick, 1'000'000);
  out.run = rec.finish(std::string(policy_name(p.policy.kind)), p.seed, t(), 0);
  out.kernel_after = read_kernel_counters();
  out.sockets_at_end = read_port_sockets(out.server_port);
  pool.stop();
  if (server) {
    out.server = server->stop();
    double span_ns = out.run.summary.time_to_all_ms.value_or(out.run.summary.duration_ms) * 1e6;
    if (span_ns > 0)
      out.run.summary.mean_utilisation = static_cast<double>(out.server->busy_ns) / span_ns;
  }
  return out;
}

}  // namespace ss::storm
