#pragma once
// Agents' output: one JSON object per line on stdout, stamped with CLOCK_MONOTONIC (see
// docs/agents.md).
#include <nlohmann/json.hpp>
#include <string>

namespace ss::probes {

void emit(const std::string& agent, const std::string& kind,
          nlohmann::json fields = nlohmann::json::object());

// Installs SIGTERM/SIGINT handlers that set a flag (no SA_RESTART, so blocking calls return
// EINTR); agents poll `stop_requested()`.
void install_stop_handlers();
bool stop_requested();

// "ip:port" for IPv4 and "[ip]:port" for IPv6.
std::string sockaddr_text(const void* sockaddr);

}  // namespace ss::probes
