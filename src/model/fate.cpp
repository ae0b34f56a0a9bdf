#include "model/fate.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace ss {
namespace {

double ms_since(int64_t t0_ns, int64_t t_ns) {
  return static_cast<double>(t_ns - t0_ns) / 1e6;
}

bool has_kind(const AgentLines& lines, const char* kind) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const auto& l) { return l.value("kind", "") == kind; });
}

}  // namespace

namespace {

// When the data an echo answers was sent, if the line says.
std::optional<int64_t> sent_time(const nlohmann::json& echo) {
  const int64_t t = echo.value("t_ns", int64_t{0});
  if (echo.contains("sent_t_ns") && echo["sent_t_ns"].is_number_integer())
    return echo["sent_t_ns"].get<int64_t>();
  if (echo.contains("seq") && echo.contains("rtt_us") && echo["rtt_us"].is_number_integer() &&
      echo["rtt_us"].get<int64_t>() >= 0)
    return t - echo["rtt_us"].get<int64_t>() * 1000;
  return std::nullopt;
}

// What came of the one message a late-send client sent, or null if it never sent it.
nlohmann::json late_send_view(const AgentLines& client, const Window& w) {
  const auto sent = std::find_if(client.begin(), client.end(), [&](const auto& l) {
    return l.value("kind", "") == "late_send" && l.value("t_ns", int64_t{0}) <= w.end_ns;
  });
  if (sent == client.end()) return nullptr;
  const int64_t at = sent->value("t_ns", int64_t{0});
  const auto seq = sent->value("seq", uint64_t{0});
  nlohmann::json v = {{"sent_ms", ms_since(w.t0_ns, at)}, {"outcome", "hang"}};
  for (const auto& l : client) {
    const int64_t t = l.value("t_ns", int64_t{0});
    const std::string kind = l.value("kind", "");
    if (t < at || t > w.end_ns) continue;
    if (kind == "echo" && l.value("seq", uint64_t{0}) == seq) {
      v["outcome"] = "echo";
      v["after_ms"] = ms_since(at, t);
      return v;
    }
    if (kind == "error" || kind == "closed") {
      v["outcome"] = "error";
      v["error"] = kind == "error" ? l.value("error", "error") : "closed by peer";
      v["after_ms"] = ms_since(at, t);
      return v;
    }
  }
  return v;
}

}  // namespace

ProbeFate stream_fate(const std::string& name, const std::string& proto, const AgentLines& client,
                      const Window& w, const StreamFateOptions& o) {
  ProbeFate f;
  f.name = name;
  f.proto = proto;
  if (!has_kind(client, "ready")) {
    f.setup_ok = false;
    for (const auto& l : client)
      if (l.value("kind", "") == "setup_failed") f.error = l.value("error", "setup failed");
    if (!f.error) f.error = "no ready line from the agent";
    return f;
  }
  StreamTrace trace;
  trace.silence_bound_ns = o.silence_bound_ns;
  int64_t last_echo_before = 0, first_echo_after = 0;
  int echoes_after = 0;
  for (const auto& l : client) {
    const int64_t t = l.value("t_ns", int64_t{0});
    const std::string kind = l.value("kind", "");
    if (t > w.end_ns) continue;
    if (kind == "echo") {
      trace.answers.push_back({t, sent_time(l)});
      if (t < w.t0_ns)
        last_echo_before = t;
      else if (++echoes_after == 1)
        first_echo_after = t;
    } else if ((kind == "error" || kind == "closed") && t >= w.t0_ns && !f.error) {
      f.error = kind == "error" ? l.value("error", "error") : "closed by peer";
      f.detected_ms = ms_since(w.t0_ns, t);
      trace.error_ns = t;
    }
  }
  f.extra["echoes_after_t0"] = echoes_after;
  if (last_echo_before && first_echo_after)
    f.extra["gap_ms"] = ms_since(last_echo_before, first_echo_after);
  else
    f.extra["gap_ms"] = nullptr;
  for (const auto& l : client) {
    const int64_t t = l.value("t_ns", int64_t{0});
    if (l.value("kind", "") == "reconnect" && l.value("ok", false) && t >= w.t0_ns &&
        t <= w.end_ns && !f.extra.contains("reconnected_ms"))
      f.extra["reconnected_ms"] = ms_since(w.t0_ns, t);
  }
  for (const auto& l : client) {
    if (l.value("kind", "") != "summary") continue;
    for (const char* k : {"unacked", "total_retrans", "state"})
      if (l.contains(k)) f.extra[std::string("tcp_") + k] = l[k];
  }
  if (o.late_send) {
    const nlohmann::json late = late_send_view(client, w);
    f.extra["late_send"] = late;
    // Nothing is watched before the message is sent; never sent: nothing is watched at all.
    trace.quiet_until_ns =
        late.is_null() ? w.end_ns
                       : w.t0_ns + static_cast<int64_t>(late["sent_ms"].get<double>() * 1e6);
  }
  judge_into(f, trace, w);
  return f;
}

ProbeFate quic_fate(const AgentLines& client, const AgentLines& server, const Window& w,
                    int64_t silence_bound_ns, bool server_migration) {
  ProbeFate f = stream_fate("quic", "quic", client, w, {silence_bound_ns, false});
  // The client's `closed` line says why the connection ended (the peer's CONNECTION_CLOSE
  // code and reason, an idle timeout, or the client's own close): that is the error, not
  // "closed by peer".
  for (const auto& l : client) {
    const int64_t t = l.value("t_ns", int64_t{0});
    const std::string kind = l.value("kind", "");
    if (t < w.t0_ns || t > w.end_ns || (kind != "error" && kind != "closed")) continue;
    if (kind == "closed" && l.contains("error") && l["error"].is_string())
      f.error = l["error"].get<std::string>();
    break;
  }
  nlohmann::json addresses = nlohmann::json::array(), validations = nlohmann::json::array();
  for (const auto& l : server) {
    if (l.value("t_ns", int64_t{0}) > w.end_ns) continue;
    const std::string kind = l.value("kind", "");
    if (kind == "client_address") addresses.push_back(l.value("addr", ""));
    if (kind == "path_validation")
      validations.push_back(l.value("result", "") + " " + l.value("addr", ""));
  }
  f.extra["server_addresses"] = addresses;
  f.extra["path_validation"] = validations;
  f.extra["server_migration"] = server_migration;
  return f;
}

namespace {

// The shared shape of request/response probes: set-up, first error after t=0, successes after.
struct RequestStats {
  int ok_after = 0, failed_after = 0;
  bool last_ok = false;
};

// t=0 to the first success that follows the first failure after t=0: the recovery.
void note_recovery(ProbeFate& f, bool ok, int64_t t, int64_t t0_ns) {
  if (ok && f.error && !f.extra.contains("recovered_ms"))
    f.extra["recovered_ms"] = ms_since(t0_ns, t);
}

RequestStats scan_requests(ProbeFate& f, const AgentLines& client, const char* ok_kind,
                           int64_t t0_ns, int64_t end_ns,
                           const std::function<void(const nlohmann::json&, bool after)>& each) {
  RequestStats st;
  for (const auto& l : client) {
    const std::string kind = l.value("kind", "");
    const int64_t t = l.value("t_ns", int64_t{0});
    if (t > end_ns || (kind != ok_kind && kind != "error")) continue;
    const bool ok = kind == ok_kind && l.value("ok", true);
    each(l, t >= t0_ns);
    if (t < t0_ns) continue;
    st.last_ok = ok;
    note_recovery(f, ok, t, t0_ns);
    if (ok) {
      ++st.ok_after;
    } else {
      ++st.failed_after;
      if (!f.error) {
        f.error = l.value("error", "request failed");
        f.detected_ms = ms_since(t0_ns, t);
      }
    }
  }
  return st;
}

bool setup_failed(ProbeFate& f, const AgentLines& client) {
  if (has_kind(client, "ready")) return false;
  f.setup_ok = false;
  for (const auto& l : client)
    if (l.value("kind", "") == "setup_failed") f.error = l.value("error", "setup failed");
  if (!f.error) f.error = "no ready line from the agent";
  return true;
}

}  // namespace

ProbeFate ip_seen_fate(const AgentLines& client, const AgentLines& server, int64_t t0_ns,
                       int64_t end_ns) {
  ProbeFate f;
  f.name = "ip-seen";
  f.proto = "http";
  if (setup_failed(f, client)) return f;
  std::set<std::string> seen_before, seen_after;
  auto st =
      scan_requests(f, client, "response", t0_ns, end_ns, [&](const nlohmann::json& l, bool after) {
        if (l.value("kind", "") != "response") return;
        std::string seen = l.contains("seen_as") && l["seen_as"].is_string()
                               ? l["seen_as"].get<std::string>()
                               : "";
        if (seen.empty()) return;                // a response that was not an ip-seen answer
        seen = seen.substr(0, seen.rfind(':'));  // the address, not the port
        (after ? seen_after : seen_before).insert(seen);
      });
  std::set<std::string> server_peers;
  for (const auto& l : server)
    if (l.value("kind", "") == "request") {
      std::string peer = l.value("peer", "");
      server_peers.insert(peer.substr(0, peer.rfind(':')));
    }
  f.survived = st.ok_after > 0 && st.last_ok;
  bool changed = false;
  for (const auto& a : seen_after) changed |= !seen_before.count(a);
  f.extra.update({{"server_saw_before", seen_before},
                  {"server_saw_after", seen_after},
                  {"server_saw", server_peers},
                  {"address_changed", changed && !seen_before.empty()},
                  {"ok_after", st.ok_after},
                  {"failed_after", st.failed_after}});
  return f;
}

ProbeFate doh_fate(const AgentLines& client, int64_t t0_ns, int64_t end_ns) {
  ProbeFate f;
  f.name = "doh";
  f.proto = "doh";
  if (setup_failed(f, client)) return f;
  int new_conn_after = 0;
  auto st =
      scan_requests(f, client, "lookup", t0_ns, end_ns, [&](const nlohmann::json& l, bool after) {
        if (after && l.value("new_connection", false)) ++new_conn_after;
      });
  f.survived = st.ok_after > 0 && st.last_ok;
  f.extra.update({{"ok_after", st.ok_after},
                  {"failed_after", st.failed_after},
                  {"new_connections_after", new_conn_after}});
  return f;
}

ProbeFate dns_fate(const AgentLines& client, int64_t t0_ns, int64_t end_ns) {
  ProbeFate f;
  f.name = "dns";
  f.proto = "dns";
  if (!has_kind(client, "ready")) {
    f.setup_ok = false;
    f.error = "no ready line from the agent";
    return f;
  }
  std::set<std::string> before, after;  // answered_by
  std::set<std::string> resolvers_after;
  int ok_after = 0, failed_after = 0;
  double slowest_after = 0;
  bool last_ok = false;
  int64_t last_end = 0, interval_ns = 0, prev_start = 0;
  for (const auto& l : client) {
    if (l.value("kind", "") != "lookup") continue;
    last_end = std::max(last_end, l.value("t_ns", int64_t{0}));
    if (prev_start)
      interval_ns = interval_ns
                        ? std::min(interval_ns, l.value("start_ns", int64_t{0}) - prev_start)
                        : l.value("start_ns", int64_t{0}) - prev_start;
    prev_start = l.value("start_ns", int64_t{0});
    const int64_t start = l.value("start_ns", l.value("t_ns", int64_t{0}));
    if (start > end_ns) continue;
    const bool ok = l.value("ok", false);
    if (start < t0_ns) {
      if (ok) before.insert(l.value("answered_by", ""));
      continue;
    }
    resolvers_after.insert(l.value("resolver", ""));
    slowest_after = std::max(slowest_after, l.value("ms", 0.0));
    last_ok = ok;
    note_recovery(f, ok, l.value("t_ns", start), t0_ns);
    if (ok) {
      ++ok_after;
      after.insert(l.value("answered_by", ""));
    } else {
      ++failed_after;
      if (!f.error) {
        f.error = l.value("error", "lookup failed");
        f.detected_ms = ms_since(t0_ns, l.value("t_ns", start));
      }
    }
  }
  // A lookup starts right after the previous one ends; none ending for several intervals
  // means one is still waiting on a resolver at the end of the window.
  const bool hanging = interval_ns > 0 && end_ns - last_end > 4 * interval_ns;
  f.survived = ok_after > 0 && last_ok && !hanging;
  if (hanging && !f.error) f.detected_ms = std::nullopt;
  f.extra["lookup_hanging_since_ms"] =
      hanging ? nlohmann::json(ms_since(t0_ns, last_end)) : nlohmann::json(nullptr);
  f.extra.update({{"answered_by_before", before},
                  {"answered_by_after", after},
                  {"resolvers_after", resolvers_after},
                  {"ok_after", ok_after},
                  {"failed_after", failed_after},
                  {"slowest_after_ms", slowest_after}});
  return f;
}

AgentLines notable_lines(const AgentLines& lines, int64_t t0_ns, int64_t end_ns) {
  static const std::set<std::string> repeating = {"echo", "recv", "request", "response", "output"};
  // First pass: for each repeating kind, the last line before t=0 and the first after it.
  std::map<std::string, size_t> last_before, first_after;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string kind = lines[i].value("kind", "");
    const int64_t t = lines[i].value("t_ns", int64_t{0});
    if (!repeating.count(kind) || t > end_ns) continue;
    if (t < t0_ns)
      last_before[kind] = i;
    else
      first_after.emplace(kind, i);
  }
  AgentLines out;
  std::string last_lookup;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    const std::string kind = l.value("kind", "");
    if (l.value("t_ns", int64_t{0}) > end_ns || kind == "summary") continue;
    if (kind == "lookup") {
      std::string state = l.value("ok", false) ? "ok|" : "failed|";
      state +=
          l.value("resolver", "") + "|" + l.value("answered_by", "") + "|" + l.value("error", "");
      if (state == last_lookup) continue;
      last_lookup = state;
    } else if (repeating.count(kind)) {
      auto before = last_before.find(kind);
      auto after = first_after.find(kind);
      const bool chosen = (before != last_before.end() && before->second == i) ||
                          (after != first_after.end() && after->second == i);
      if (!chosen) continue;
    }
    out.push_back(l);
  }
  return out;
}

}  // namespace ss
