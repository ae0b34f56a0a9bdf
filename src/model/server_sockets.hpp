#pragma once
// What the server side held at the end of the window: the server namespace's TCP sockets on
// the probes' ports, as the kernel listed them (sock_diag), and how long each has been
// half-open. Plain data; JSON "server_sockets" in a run record (docs/schema.md).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ss {

// One socket. The tcp_info figures are absent when the kernel did not send them.
struct ServerSocket {
  std::string local, peer;
  std::string state;  // the kernel's name: "ESTABLISHED", "CLOSE_WAIT", ...
  int64_t recv_queue = 0, send_queue = 0;
  // How long ago (at the read) data last arrived, an ACK last arrived, data was last sent.
  std::optional<int64_t> last_data_recv_ms, last_ack_recv_ms, last_data_sent_ms;
  std::optional<int64_t> unacked, retransmits, total_retrans;
};

struct ServerSockets {
  double read_at_ms = 0;          // when they were read, relative to t=0
  double disconnect_done_ms = 0;  // when the disconnect completed, relative to t=0
  std::vector<int> ports;         // the probes' server ports the list keeps
  std::vector<ServerSocket> sockets;
};

// When data last arrived, relative to t=0 (nothing without tcp_info).
std::optional<double> last_data_at_ms(const ServerSocket& s, const ServerSockets& view);

// How long a socket has been half-open at the read: ESTABLISHED with no data received after
// the disconnect completed; counted from t=0, or from its last data if that came after t=0
// (during the disconnect). Nothing for another state, data after the disconnect, or without
// tcp_info.
std::optional<double> half_open_ms(const ServerSocket& s, const ServerSockets& view);

// The JSON form: the observed fields, plus each socket's derived last_data_at_ms and
// half_open_ms (ignored when read back).
nlohmann::json server_sockets_json(const ServerSockets& v);
// Throws std::invalid_argument (via nlohmann's exceptions) for a malformed object.
ServerSockets server_sockets_from_json(const nlohmann::json& j);

}  // namespace ss
