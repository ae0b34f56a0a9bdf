#include "model/reap_run.hpp"

namespace ss {
namespace {

// A stored record may be malformed: a field of the wrong type reads as absent, never throws.
int number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}
std::string text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
bool flag(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::optional<ReapOutcome> reap_outcome(const RunRecord& r) {
  std::optional<ReapOutcome> out;
  for (const auto& e : r.events) {
    if (e.layer != Layer::probe || e.kind != "ready" || text(e.detail, "agent") != "reap") continue;
    out.emplace();
    if (auto p = e.detail.find("peer_ports"); p != e.detail.end() && p->is_array())
      for (const auto& port : *p)
        if (port.is_number_integer()) out->peer_ports.push_back(port.get<int>());
  }
  if (!out) return out;
  constexpr int kTcp = 6;
  constexpr int kRst = 4;
  for (const auto& e : r.events) {
    const double ms = static_cast<double>(e.t_us) / 1000.0;
    if (e.layer == Layer::probe && e.kind == "reaped" && !flag(e.detail, "dry_run")) {
      ++out->removals;
      out->tcp += number(e.detail, "tcp");
      out->udp += number(e.detail, "udp");
    } else if (e.layer == Layer::probe && e.kind == "reap" &&
               text(e.detail, "action") == "destroyed") {
      if (!out->first_ms) out->first_ms = ms;  // the socket's own line, before the summary
    } else if (e.layer == Layer::packet && e.t_us >= 0 && !r.vpn.tunnel_ip.empty() &&
               text(e.detail, "dir") == "out" && number(e.detail, "proto") == kTcp &&
               (number(e.detail, "tcp_flags") & kRst) != 0 &&
               text(e.detail, "src") == r.vpn.tunnel_ip) {
      if (!out->first_reset_ms) out->first_reset_ms = ms;
      ++out->resets_from_tunnel;
    }
  }
  return out;
}

}  // namespace ss
