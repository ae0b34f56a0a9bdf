#pragma once
// The quic-client agent: one QUIC connection to the server, a numbered message on one
// bidirectional stream every interval, and the server's echo of each timed. Its UDP socket is
// bound to the wildcard address and never connected, so the kernel chooses the source address
// of every packet: when the tunnel goes, packets leave from another address and the server sees
// the client move (a NAT rebinding, which ngtcp2 on the server validates and follows).
#include "probes/quic_events.hpp"
#include "probes/quic_options.hpp"

namespace ss::probes::quic {

// Runs until --duration or SIGTERM/SIGINT, or until the connection ends; returns the process
// exit status: 0, or 4 when no handshake completed before --connect-timeout.
int run_quic_client(const ClientOptions& options, EventSink& events);

}  // namespace ss::probes::quic
