#pragma once
// The ip-seen probe (Boost.Beast HTTP on Boost.Asio, one io_context per process): a server
// that answers every request with the client address it saw, and a client that asks once per
// interval. Shows what a server sees across a VPN drop (IP pinning, per-IP rate limits).
#include <string>

#include "model/duration.hpp"
#include "probes/tcp_probe.hpp"

namespace ss::probes {

struct HttpClientOptions {
  Endpoint server;
  std::string path = "/";
  Micros interval{200'000};
  Micros duration{30'000'000};
  Micros timeout{2'000'000};         // per request: connect (if needed), write, read
  bool new_connection_each = false;  // default: one keep-alive connection, reopened after an error
};

// Both return the process exit status (4: set-up failed). See docs/app-probes.md for events.
int run_http_client(const HttpClientOptions& o);
int run_http_ipseen(const Endpoint& listen);

}  // namespace ss::probes
