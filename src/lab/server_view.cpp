#include "lab/server_view.hpp"

#include <algorithm>

#include "sys/sock_diag.hpp"

namespace ss::lab {

ServerSockets read_server_sockets(int netns_fd, const std::vector<int>& ports, double read_at_ms) {
  ServerSockets v;
  v.read_at_ms = read_at_ms;
  v.ports = ports;
  for (const auto& d : sys::dump_tcp_sockets(netns_fd)) {
    if (std::find(ports.begin(), ports.end(), d.local_port) == ports.end()) continue;
    if (d.state == "LISTEN" || d.state == "TIME_WAIT") continue;
    ServerSocket s;
    s.local = d.local;
    s.peer = d.peer;
    s.state = d.state;
    s.recv_queue = d.recv_queue;
    s.send_queue = d.send_queue;
    if (d.info) {
      s.last_data_recv_ms = d.info->last_data_recv_ms;
      s.last_ack_recv_ms = d.info->last_ack_recv_ms;
      s.last_data_sent_ms = d.info->last_data_sent_ms;
      s.unacked = d.info->unacked;
      s.retransmits = d.info->retransmits;
      s.total_retrans = d.info->total_retrans;
    }
    v.sockets.push_back(std::move(s));
  }
  return v;
}

}  // namespace ss::lab
