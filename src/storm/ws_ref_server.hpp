#pragma once
// Internal to ref_server.cpp: the reference server's WebSocket loop (Boost.Beast), run in the
// forked child. The same model as the TCP one: token bucket, backlog, one connection served
// at a time; serving a connection is completing its WebSocket upgrade (and echoing after).
#include <cstdint>

#include "storm/ref_server.hpp"

namespace ss::storm {

// Listens on 127.0.0.1 (a kernel-chosen port, written to `reply`), then follows the control
// pipe ('S' arm, 'E' end: stats to `reply`). Returns when told to end, on EOF, or after
// lifetime_ns.
void run_ws_reference_server(const ServerParams& p, int listen_backlog, int control, int reply,
                             int64_t lifetime_ns);

}  // namespace ss::storm
