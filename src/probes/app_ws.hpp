#pragma once
// The WebSocket probe (Boost.Beast on Boost.Asio, one io_context per process): a client that
// sends a numbered text message every interval and times the echoes, and the echo server.
// Neither pings nor times out on its own: what ends a connection is TCP or the peer.
#include "model/duration.hpp"
#include "probes/app_options.hpp"
#include "probes/tcp_probe.hpp"

namespace ss::probes {

struct WsClientOptions {
  Endpoint server;
  Micros interval{100'000};
  Micros duration{30'000'000};
  Micros connect_timeout{3'000'000};  // TCP connect plus the WebSocket handshake
  ReconnectPolicy reconnect;
};

// Both return the process exit status (4: set-up failed). See docs/app-probes.md for events.
int run_ws_client(const WsClientOptions& o);
int run_ws_server(const Endpoint& listen);

}  // namespace ss::probes
