#pragma once
// The built-in reference server for real storms: a child process with one epoll loop on
// 127.0.0.1 that applies the simulator's server model to real TCP connections. Each accepted
// connection passes the token bucket (reject = RST, drop = never answered), then waits in a
// backlog (full = RST) for its turn; serving it takes 1/capacity + handshake_cost and ends
// by sending one byte, "W", which is when the client counts itself back (with WebSocket: by
// completing the upgrade, see ws_ref_server.hpp). Limits apply only
// once the storm is armed, so that the clients can first connect freely.
#include <sys/types.h>

#include <cstdint>

#include "storm/simulator.hpp"
#include "sys/fd.hpp"

namespace ss::storm {

struct ServerStats {
  uint64_t accepted = 0, rejected = 0, dropped = 0, overflowed = 0, served = 0, abandoned = 0;
  int64_t busy_ns = 0;  // since the storm was armed
};

class ReferenceServer {
 public:
  // Forks the server; it lives at most `lifetime_ns` and exits when this object goes away.
  // `websocket`: serving a connection is completing its WebSocket upgrade (ws_ref_server)
  // instead of sending "W". `listen_backlog`: listen(2)'s, the kernel's accept queue.
  ReferenceServer(const ServerParams& params, int64_t lifetime_ns, bool websocket = false,
                  int listen_backlog = 65535);
  ~ReferenceServer();
  ReferenceServer(const ReferenceServer&) = delete;
  ReferenceServer& operator=(const ReferenceServer&) = delete;

  uint16_t port() const { return port_; }
  // Applies the limits from now on, with a full token bucket; returns once the server has.
  void arm();
  // Stops the server and returns what it counted.
  ServerStats stop();

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  sys::Fd control_;  // parent -> server: 'S' arm, 'E' end
  sys::Fd reply_;    // server -> parent: port, 'A', stats
};

}  // namespace ss::storm
