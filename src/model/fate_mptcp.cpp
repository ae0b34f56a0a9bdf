#include "model/fate_mptcp.hpp"

#include <set>
#include <string>

namespace ss {
namespace {

using nlohmann::json;

double ms_since(int64_t t0_ns, int64_t t_ns) {
  return static_cast<double>(t_ns - t0_ns) / 1e6;
}

// The last `subflows` line in [from, to], or null.
json last_view(const AgentLines& lines, int64_t from_ns, int64_t to_ns) {
  json out = nullptr;
  for (const auto& l : lines) {
    const int64_t t = l.value("t_ns", int64_t{0});
    if (l.value("kind", "") == "subflows" && t >= from_ns && t <= to_ns) out = l;
  }
  return out;
}

// A `subflows` line as the record keeps it; at_ms: when it was seen, since t=0.
json summary_of(const json& view, int64_t t0_ns) {
  if (view.is_null()) return nullptr;
  return {{"count", view.value("count", 0)},
          {"list", view.value("list", json::array())},
          {"detail", view.value("detail", json::array())},
          {"fallback", view.value("fallback", false)},
          {"at_ms", ms_since(t0_ns, view.value("t_ns", int64_t{0}))}};
}

std::set<std::string> paths(const json& view) {
  std::set<std::string> out;
  if (view.is_null()) return out;
  for (const auto& p : view.value("list", json::array())) out.insert(p.get<std::string>());
  return out;
}

json minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  json out = json::array();
  for (const auto& p : a)
    if (!b.count(p)) out.push_back(p);
  return out;
}

// The server's view per client connection (peer), before t=0 and at the end of the window.
json server_views(const AgentLines& server, int64_t t0_ns, int64_t end_ns) {
  std::set<std::string> peers;
  for (const auto& l : server)
    if (l.value("kind", "") == "accept" && l.value("t_ns", int64_t{0}) < t0_ns)
      peers.insert(l.value("peer", ""));
  json out = json::array();
  for (const auto& peer : peers) {
    AgentLines mine;
    for (const auto& l : server)
      if (l.value("peer", "") == peer) mine.push_back(l);
    json closed = nullptr;
    for (const auto& l : mine) {
      const int64_t t = l.value("t_ns", int64_t{0});
      if (l.value("kind", "") == "close" && t >= t0_ns && t <= end_ns && closed.is_null())
        closed = ms_since(t0_ns, t);
    }
    out.push_back({{"peer", peer},
                   {"before", summary_of(last_view(mine, 0, t0_ns - 1), t0_ns)},
                   {"after", summary_of(last_view(mine, 0, end_ns), t0_ns)},
                   {"closed_ms", closed}});
  }
  return out;
}

}  // namespace

ProbeFate mptcp_fate(const AgentLines& client, const AgentLines& server, const Window& w,
                     int64_t silence_bound_ns) {
  const int64_t t0_ns = w.t0_ns, end_ns = w.end_ns;
  ProbeFate f = stream_fate("mptcp", "mptcp", client, w, {silence_bound_ns, false});
  if (!f.setup_ok) return f;
  const json before = last_view(client, 0, t0_ns - 1), after = last_view(client, 0, end_ns);
  json changes = json::array();
  for (const auto& l : client) {
    const int64_t t = l.value("t_ns", int64_t{0});
    if (l.value("kind", "") == "subflows" && t >= t0_ns && t <= end_ns)
      changes.push_back({{"t_ms", ms_since(t0_ns, t)},
                         {"count", l.value("count", 0)},
                         {"detail", l.value("detail", json::array())}});
  }
  f.extra["subflows_before"] = summary_of(before, t0_ns);
  f.extra["subflows_after"] = summary_of(after, t0_ns);
  f.extra["subflow_changes_after_t0"] = changes;
  f.extra["subflows_lost"] = minus(paths(before), paths(after));
  f.extra["subflows_added"] = minus(paths(after), paths(before));
  f.extra["fallback_to_tcp"] = !before.is_null() && before.value("fallback", false);
  f.extra["server_view"] = server_views(server, t0_ns, end_ns);
  return f;
}

}  // namespace ss
