#pragma once
// The MPTCP probe's agents: an echo client and server over IPPROTO_MPTCP sockets. They print
// the echoes (as the TCP probe does) and, every interval, the subflows the kernel reports
// whenever they change. The kernel's path manager decides which subflows exist; the agents
// only watch (see docs/mptcp.md).
#include <nlohmann/json.hpp>
#include <string>

#include "model/duration.hpp"
#include "probes/tcp_probe.hpp"

namespace ss::probes {

struct MptcpClientOptions {
  Endpoint server;
  Micros interval{100'000};  // a numbered line and a look at the subflows
  Micros duration{30'000'000};
  Micros connect_timeout{3'000'000};
};

struct MptcpServerOptions {
  Endpoint listen;
  Micros interval{100'000};  // how often it looks at its connections' subflows
};

// Run until the duration ends or a stop is requested; the exit status (4: set-up failed, e.g.
// the kernel refuses IPPROTO_MPTCP).
int run_mptcp_client(const MptcpClientOptions& o);
int run_mptcp_server(const MptcpServerOptions& o);

// The `setup_failed` fields for a failed call (errno `err`): the errno name, the call, and
// for a refused socket(IPPROTO_MPTCP) why the kernel may refuse it.
nlohmann::json mptcp_setup_failure(const std::string& call, int err);

}  // namespace ss::probes
