#pragma once
// The real load generator: K TCP clients on loopback hold a connection each, all lose it at
// once (every client resets its connection), and reconnect with a policy, against the
// built-in reference server or a user's own server on loopback. One epoll loop; time is read
// once per pass; the run is bounded in time and in attempts.
#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "model/storm_figures.hpp"
#include "storm/ref_server.hpp"
#include "storm/simulator.hpp"
#include "storm/target.hpp"

namespace ss::storm {

// "127.0.0.1:8080" (any 127.0.0.0/8 address). Anything else is a UsageError: storms are only
// ever sent to this machine.
sockaddr_in parse_loopback_endpoint(std::string_view text);

struct RealParams {
  uint32_t clients = 1000;
  Policy policy;
  ServerParams server;                // the built-in server's model (ignored with target)
  std::optional<sockaddr_in> target;  // a user's own server; back = TCP connected
  uint32_t sources = 8;               // source addresses 127.0.0.1 .. 127.0.0.N
  uint64_t seed = 1;
  int64_t bucket_ns = 100'000'000;
  int64_t max_time_ns = 60'000'000'000;      // the storm, at most
  int64_t connect_time_ns = 30'000'000'000;  // connecting every client first, at most
  uint64_t max_attempts = 0;                 // 0: 1000 per client
  // WebSocket clients (storm/ws_pool.hpp): back when the upgrade completes (with echo: when a
  // first message has echoed). ws_target: a user's own server (else the built-in one, which
  // then speaks WebSocket too).
  bool websocket = false;
  std::optional<WsUrl> ws_target;
  bool echo = false;
  DisconnectParams disconnect;  // spread, flaps, outage (WebSocket storms)
  int listen_backlog = 65535;   // the built-in server's listen(2) backlog: the accept queue
};

void validate(const RealParams& p);

// The simulator's parameters for the same storm (all at once, one flap, the given rtt).
SimParams sim_params_for(const RealParams& p, int64_t rtt_ns);

struct RealResult {
  RunResult run;
  std::optional<ServerStats> server;  // with the built-in server
  // The kernel of the namespace the storm ran in (the server's too, on loopback): its TCP
  // counters before the storm and after, and the server port's sockets at the end.
  std::optional<KernelCounters> kernel_before, kernel_after;
  std::optional<PortSockets> sockets_at_end;
  uint16_t server_port = 0;
};

using RealProgress = std::function<void(int64_t elapsed_ns, uint64_t back, uint64_t attempts)>;

// Raises RLIMIT_NOFILE to what `clients` need; EnvironmentError (exit 3) if the hard limit
// is too low.
void ensure_fd_limit(uint32_t clients);

RealResult run_real(const RealParams& p, const RealProgress& progress = {});
// The WebSocket storm (run_real calls it when p.websocket).
RealResult run_real_ws(const RealParams& p, const RealProgress& progress);

}  // namespace ss::storm
