#pragma once
// The quic-server agent: accepts QUIC connections on one UDP socket and echoes every stream
// back. It reports each connection's client address (the first, and every change ngtcp2
// follows), each path validation's result, each numbered message received, and each close.
#include "probes/quic_events.hpp"
#include "probes/quic_options.hpp"

namespace ss::probes::quic {

// Runs until SIGTERM/SIGINT; returns the process exit status (0, or 4 when set-up failed).
int run_quic_server(const ServerOptions& options, EventSink& events);

}  // namespace ss::probes::quic
