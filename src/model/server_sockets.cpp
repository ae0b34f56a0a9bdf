#include "model/server_sockets.hpp"

#include <algorithm>

namespace ss {
namespace {

nlohmann::json opt(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json opt(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::optional<int64_t> opt_int(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_number_integer())
    throw std::invalid_argument(std::string("not an integer: ") + key);
  return j[key].get<int64_t>();
}

}  // namespace

std::optional<double> last_data_at_ms(const ServerSocket& s, const ServerSockets& view) {
  if (!s.last_data_recv_ms) return std::nullopt;
  return view.read_at_ms - static_cast<double>(*s.last_data_recv_ms);
}

std::optional<double> half_open_ms(const ServerSocket& s, const ServerSockets& view) {
  const auto last = last_data_at_ms(s, view);
  if (s.state != "ESTABLISHED" || !last || *last > view.disconnect_done_ms) return std::nullopt;
  return view.read_at_ms - std::max(*last, 0.0);
}

nlohmann::json server_sockets_json(const ServerSockets& v) {
  nlohmann::json sockets = nlohmann::json::array();
  for (const auto& s : v.sockets)
    sockets.push_back({{"local", s.local},
                       {"peer", s.peer},
                       {"state", s.state},
                       {"recv_queue", s.recv_queue},
                       {"send_queue", s.send_queue},
                       {"last_data_recv_ms", opt(s.last_data_recv_ms)},
                       {"last_ack_recv_ms", opt(s.last_ack_recv_ms)},
                       {"last_data_sent_ms", opt(s.last_data_sent_ms)},
                       {"unacked", opt(s.unacked)},
                       {"retransmits", opt(s.retransmits)},
                       {"total_retrans", opt(s.total_retrans)},
                       {"last_data_at_ms", opt(last_data_at_ms(s, v))},
                       {"half_open_ms", opt(half_open_ms(s, v))}});
  return {{"read_at_ms", v.read_at_ms},
          {"disconnect_done_ms", v.disconnect_done_ms},
          {"ports", v.ports},
          {"sockets", std::move(sockets)}};
}

ServerSockets server_sockets_from_json(const nlohmann::json& j) {
  ServerSockets v;
  v.read_at_ms = j.at("read_at_ms").get<double>();
  v.disconnect_done_ms = j.at("disconnect_done_ms").get<double>();
  v.ports = j.at("ports").get<std::vector<int>>();
  for (const auto& e : j.at("sockets")) {
    ServerSocket s;
    s.local = e.at("local");
    s.peer = e.at("peer");
    s.state = e.at("state");
    s.recv_queue = e.value("recv_queue", int64_t{0});
    s.send_queue = e.value("send_queue", int64_t{0});
    s.last_data_recv_ms = opt_int(e, "last_data_recv_ms");
    s.last_ack_recv_ms = opt_int(e, "last_ack_recv_ms");
    s.last_data_sent_ms = opt_int(e, "last_data_sent_ms");
    s.unacked = opt_int(e, "unacked");
    s.retransmits = opt_int(e, "retransmits");
    s.total_retrans = opt_int(e, "total_retrans");
    v.sockets.push_back(std::move(s));
  }
  return v;
}

}  // namespace ss
