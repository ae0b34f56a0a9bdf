#include "model/reap_run.hpp"

namespace ss {

std::optional<ReapOutcome> reap_outcome(const RunRecord& r) {
  std::optional<ReapOutcome> out;
  for (const auto& e : r.events) {
    if (e.layer != Layer::probe || e.kind != "ready" || e.detail.value("agent", "") != "reap")
      continue;
    out.emplace();
    if (auto p = e.detail.find("peer_ports"); p != e.detail.end() && p->is_array())
      out->peer_ports = p->get<std::vector<int>>();
  }
  if (!out) return out;
  constexpr int kTcp = 6;
  constexpr int kRst = 4;
  for (const auto& e : r.events) {
    const double ms = static_cast<double>(e.t_us) / 1000.0;
    if (e.layer == Layer::probe && e.kind == "reaped" && !e.detail.value("dry_run", false)) {
      ++out->removals;
      out->tcp += e.detail.value("tcp", 0);
      out->udp += e.detail.value("udp", 0);
    } else if (e.layer == Layer::probe && e.kind == "reap" &&
               e.detail.value("action", "") == "destroyed") {
      if (!out->first_ms) out->first_ms = ms;  // the socket's own line, before the summary
    } else if (e.layer == Layer::packet && e.t_us >= 0 && !r.vpn.tunnel_ip.empty() &&
               e.detail.value("dir", "") == "out" && e.detail.value("proto", 0) == kTcp &&
               (e.detail.value("tcp_flags", 0) & kRst) != 0 &&
               e.detail.value("src", "") == r.vpn.tunnel_ip) {
      if (!out->first_reset_ms) out->first_reset_ms = ms;
      ++out->resets_from_tunnel;
    }
  }
  return out;
}

}  // namespace ss
