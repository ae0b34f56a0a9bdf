#pragma once
// The lab storm's server (`splitsecond agent storm-server`): a WebSocket echo server
// (Boost.Beast) that holds any number of connections and prints, in `batch` lines every
// `every`, the connections it upgraded and saw close (peer address, time) together with its
// namespace's kernel counters (/proc/net/netstat, /proc/net/snmp, read from inside it) and its
// port's sockets by state (sock_diag). See docs/storms.md.
#include <cstdint>

#include "model/duration.hpp"
#include "probes/tcp_probe.hpp"

namespace ss::probes {

struct StormServerOptions {
  Endpoint listen;
  int backlog = 4096;     // listen(2) backlog: the accept queue's length
  Micros every{200'000};  // a batch line (with a counters reading) this often
};

// Runs until SIGTERM/SIGINT; returns the exit status (4: set-up failed).
int run_storm_server(const StormServerOptions& o);

}  // namespace ss::probes
