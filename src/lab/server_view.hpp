#pragma once
// What the server side holds at the end of the window: the server namespace's TCP sockets on
// the probes' ports, read through sock_diag.
#include <vector>

#include "model/server_sockets.hpp"

namespace ss::lab {

// The sockets of the namespace behind netns_fd whose local port is one of `ports`, except
// listeners and TIME_WAIT remnants (closed connections, not the probes' live ones).
// `read_at_ms` is stored as given; disconnect_done_ms is left for the caller. Throws SysError
// or std::runtime_error when the kernel cannot be asked.
ServerSockets read_server_sockets(int netns_fd, const std::vector<int>& ports, double read_at_ms);

}  // namespace ss::lab
