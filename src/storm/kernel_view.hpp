#pragma once
// What the server's kernel saw during a real storm, read from inside the server's network
// namespace: the TCP counters (model/storm_figures.hpp) and the server port's sockets by state.
#include <cstdint>

#include "model/storm_figures.hpp"

namespace ss::storm {

// /proc/self/net/netstat and /proc/self/net/snmp: the calling thread's namespace. Throws
// std::invalid_argument (see parse_kernel_counters) or SysError.
KernelCounters read_kernel_counters();
// The namespace's TCP sockets whose local port is `port`, listeners left out (sock_diag).
PortSockets read_port_sockets(uint16_t port);

}  // namespace ss::storm
