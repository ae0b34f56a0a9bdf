#include "model/claims.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

namespace ss {
namespace {

const ProbeFate* probe(const ClaimRuns& runs, const std::string& run, const std::string& name) {
  auto it = runs.find(run);
  if (it == runs.end()) return nullptr;
  for (const auto& p : it->second.probes)
    if (p.name == name && p.setup_ok) return &p;
  return nullptr;
}

const RunRecord* run_of(const ClaimRuns& runs, const std::string& run) {
  auto it = runs.find(run);
  return it == runs.end() ? nullptr : &it->second;
}

bool has_event(const RunRecord& r, Layer layer, const std::string& kind,
               const std::function<bool(const Event&)>& pred) {
  return std::any_of(r.events.begin(), r.events.end(), [&](const Event& e) {
    return e.layer == layer && e.kind == kind && e.t_us >= 0 && pred(e);
  });
}

int json_int(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : 0;
}

// "ECONNRESET after 12 ms" / "no error, no data (hanging)" / "kept working".
std::string fate_text(const ProbeFate& p) {
  std::string s = p.survived ? "kept working"
                  : p.error ? fmt::format("{} after {:.0f} ms", *p.error, p.detected_ms.value_or(0))
                            : "no error and no data to the end of the window";
  if (p.extra.contains("wire_after_t0")) {
    const auto& w = p.extra["wire_after_t0"];
    s += fmt::format(" ({} segments left en0, {} RST came back)", json_int(w, "segments_out"),
                     json_int(w, "rst_in"));
  }
  return s;
}

ClaimResult not_measured(ClaimResult c, const std::string& why) {
  c.measured = why;
  c.verdict = "not measured";
  return c;
}

ClaimResult tunnel_removed(const ClaimRuns& runs) {
  ClaimResult c{"tunnel-removed",
                "On disconnect the tunnel interface is removed outright, not just set down.", "",
                "", ""};
  std::string measured;
  int removed = 0, seen = 0;
  for (const char* run : {"clean", "crash"}) {
    const RunRecord* r = run_of(runs, run);
    if (!r) continue;
    ++seen;
    const bool gone = has_event(*r, Layer::link, "removed", [&](const Event& e) {
      return e.detail.value("ifname", "") == r->vpn.interface;
    });
    removed += gone;
    measured += fmt::format("{}{}: {} {}", measured.empty() ? "" : "; ", run, r->vpn.interface,
                            gone ? "removed" : "not removed");
  }
  if (!seen) return not_measured(c, "no clean or crash run");
  c.measured = measured;
  c.verdict = removed == seen ? "confirmed" : removed == 0 ? "contradicted" : "depends";
  if (c.verdict == "depends") c.condition = "removed only in some disconnect modes (see measured)";
  return c;
}

ClaimResult split_routes(const ClaimRuns& runs) {
  ClaimResult c{"split-routes",
                "The VPN's 0.0.0.0/1 and 128.0.0.0/1 routes disappear and the original default "
                "route takes over.",
                "", "", ""};
  const RunRecord* r = run_of(runs, "clean");
  if (!r) return not_measured(c, "no clean run");
  auto gone = [&](const char* dst) {
    return has_event(*r, Layer::route, "removed",
                     [&](const Event& e) { return e.detail.value("dst", "") == dst; });
  };
  auto unnotified = [&](const char* dst) {
    return has_event(*r, Layer::route, "removed", [&](const Event& e) {
      return e.detail.value("dst", "") == dst && e.detail.value("notified", true) == false;
    });
  };
  const bool default_removed = has_event(*r, Layer::route, "removed", [](const Event& e) {
    return e.detail.value("dst", "") == "0.0.0.0/0";
  });
  const bool out_en0 = r->leaks.dns_plaintext + r->leaks.non_tunnel_packets > 0;
  c.measured = fmt::format(
      "0.0.0.0/1 {}, 128.0.0.0/1 {}{}; default route {}; {} packets left en0 outside the tunnel "
      "after t=0",
      gone("0.0.0.0/1") ? "removed" : "kept", gone("128.0.0.0/1") ? "removed" : "kept",
      unnotified("0.0.0.0/1")
          ? " (the kernel announced neither removal: found by dumping the table)"
          : "",
      default_removed ? "removed" : "untouched",
      r->leaks.dns_plaintext + r->leaks.non_tunnel_packets);
  c.verdict = gone("0.0.0.0/1") && gone("128.0.0.0/1") && !default_removed && out_en0
                  ? "confirmed"
                  : "contradicted";
  return c;
}

ClaimResult send_now(const ClaimRuns& runs) {
  ClaimResult c{"send-now-reset",
                "An app that sends right after the disconnect gets ECONNRESET: its packets leave "
                "with a new source address and the server resets the unknown connection.",
                "", "", ""};
  std::string measured;
  std::map<std::string, bool> reset;
  for (const char* run : {"clean", "crash", "keep-interface"}) {
    const ProbeFate* p = probe(runs, run, "tcp-send-now");
    if (!p) continue;
    reset[run] = p->error && *p->error == "ECONNRESET";
    measured += fmt::format("{}{}: {}", measured.empty() ? "" : "; ", run, fate_text(*p));
  }
  if (reset.empty()) return not_measured(c, "no run with the tcp-send-now probe");
  c.measured = measured;
  const auto yes = std::count_if(reset.begin(), reset.end(), [](auto& kv) { return kv.second; });
  if (yes == 0) {
    c.verdict = "contradicted";
    c.condition = "no ECONNRESET in any disconnect mode measured";
  } else if (yes == static_cast<long>(reset.size())) {
    c.verdict = "confirmed";
  } else {
    c.verdict = "depends";
    for (auto& [run, r] : reset)
      c.condition +=
          fmt::format("{}{}: {}", c.condition.empty() ? "" : "; ", run, r ? "reset" : "no reset");
  }
  return c;
}

ClaimResult idle_hangs(const ClaimRuns& runs) {
  ClaimResult c{"idle-hangs",
                "An idle connection gets no error: it looks frozen until keepalive (hours) or an "
                "application timeout.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "tcp-idle");
  const RunRecord* r = run_of(runs, "clean");
  if (!p || !r) return not_measured(c, "no clean run with the tcp-idle probe");
  const int idle = json_int(r->kernel, "tcp_keepalive_time"),
            intvl = json_int(r->kernel, "tcp_keepalive_intvl"),
            probes = json_int(r->kernel, "tcp_keepalive_probes");
  c.measured = fmt::format(
      "{}; keepalive is off unless the app sets SO_KEEPALIVE, then this namespace's sysctls ({} s "
      "idle, {} x {} s probes) give about {} s",
      fate_text(*p), idle, probes, intvl, idle + probes * intvl);
  c.verdict = !p->error && !p->survived ? "confirmed" : "contradicted";
  return c;
}

ClaimResult inflight(const ClaimRuns& runs) {
  ClaimResult c{"inflight-dies",
                "Retransmissions of in-flight data find no route (dropped, or ENETUNREACH) and the "
                "connection dies once retries run out.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "tcp-inflight");
  const RunRecord* r = run_of(runs, "clean");
  if (!p || !r) return not_measured(c, "no clean run with the tcp-inflight probe");
  const int retries2 = json_int(r->kernel, "tcp_retries2");
  c.measured = fmt::format(
      "{}; {} segments unacknowledged at the end; tcp_retries2={} predicts ETIMEDOUT after at "
      "least {:.1f} s",
      fate_text(*p), json_int(p->extra, "tcp_unacked"), retries2, retries2_timeout_s(retries2));
  if (!p->extra.contains("wire_after_t0"))
    return not_measured(c, "the in-flight probe's packets were not captured");
  const bool silent = json_int(p->extra["wire_after_t0"], "segments_out") == 0 && !p->survived;
  if (const ProbeFate* u = probe(runs, "user-timeout", "tcp-inflight")) {
    c.measured += fmt::format("; with TCP_USER_TIMEOUT set: {}", fate_text(*u));
    c.verdict = silent && u->error ? "confirmed" : silent ? "depends" : "contradicted";
    if (c.verdict == "depends")
      c.condition =
          "retransmissions are silently dropped, but even with TCP_USER_TIMEOUT no error came "
          "within the window";
    if (c.verdict == "confirmed")
      c.condition = fmt::format(
          "death comes from tcp_retries2 (>= {:.0f} s) or TCP_USER_TIMEOUT ({} after {:.0f} ms)",
          retries2_timeout_s(retries2), u->error.value_or("?"), u->detected_ms.value_or(0));
  } else {
    c.verdict = silent ? "confirmed" : "contradicted";
  }
  return c;
}

ClaimResult websocket(const ClaimRuns& runs) {
  ClaimResult c{"websocket-event",
                "A WebSocket library reports close or error as soon as the TCP connection under it "
                "dies, and the app must reconnect.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "websocket");
  if (!p) return not_measured(c, "no clean run with the websocket probe");
  c.measured = fate_text(*p);
  c.verdict = p->error ? "confirmed" : "contradicted";
  if (!p->error && !p->survived)
    c.condition =
        "no close or error event within the window: the WebSocket hangs with its TCP connection";
  return c;
}

ClaimResult quic(const ClaimRuns& runs) {
  ClaimResult c{"quic-survives",
                "QUIC survives because connection IDs, not addresses, identify the connection.", "",
                "", ""};
  const ProbeFate* p = probe(runs, "clean", "quic");
  if (!p) return not_measured(c, "no clean run with the quic probe");
  auto seen = [](const ProbeFate& f) {
    return f.extra.value("server_addresses", nlohmann::json::array()).dump();
  };
  c.measured = fmt::format("server allowing migration: {}, server saw {}", fate_text(*p), seen(*p));
  const ProbeFate* n = probe(runs, "no-migration", "quic");
  if (n) c.measured += fmt::format("; server refusing migration: {}", fate_text(*n));
  if (p->survived && n && !n->survived) {
    c.verdict = "depends";
    c.condition =
        "survives only when the server accepts the new client address (path validation); a server "
        "with disable_active_migration drops it";
  } else {
    c.verdict = p->survived ? "confirmed" : "contradicted";
  }
  return c;
}

ClaimResult simple_survival(const ClaimRuns& runs, const char* id, const char* name,
                            const char* claim, bool article_says_survives) {
  ClaimResult c{id, claim, "", "", ""};
  const ProbeFate* p = probe(runs, "clean", name);
  if (!p) return not_measured(c, fmt::format("no clean run with the {} probe", name));
  c.measured = fate_text(*p);
  if (p->extra.contains("gap_ms") && p->extra["gap_ms"].is_number())
    c.measured += fmt::format("; gap {:.0f} ms", p->extra["gap_ms"].get<double>());
  c.verdict = p->survived == article_says_survives ? "confirmed" : "contradicted";
  return c;
}

ClaimResult dns_leak(const ClaimRuns& runs) {
  ClaimResult c{"dns-leak",
                "After the disconnect, DNS queries go in plaintext to the ISP's or router's "
                "resolver: a leak.",
                "", "", ""};
  std::string measured;
  std::map<std::string, std::string> to;
  for (const char* run : {"clean", "crash"}) {
    const RunRecord* r = run_of(runs, run);
    if (!r) continue;
    std::set<std::string> servers;
    for (const auto& e : r->events)
      if (e.layer == Layer::packet && e.kind == "dns_plaintext" && e.t_us >= 0 &&
          e.detail.value("dir", "") == "out")
        servers.insert(e.detail.value("dst", ""));
    std::string list;
    for (const auto& s : servers) list += (list.empty() ? "" : ", ") + s;
    to[run] = list;
    measured += fmt::format("{}{}: {} plaintext queries on en0 to {}", measured.empty() ? "" : "; ",
                            run, r->leaks.dns_plaintext, list.empty() ? "nobody" : list);
  }
  if (to.empty()) return not_measured(c, "no clean or crash run");
  c.measured = measured;
  const auto leaking =
      std::count_if(to.begin(), to.end(), [](auto& kv) { return !kv.second.empty(); });
  auto where = [](const std::string& list) { return list.empty() ? std::string("nowhere") : list; };
  if (leaking == 0) {
    c.verdict = "contradicted";
  } else if (leaking == static_cast<long>(to.size())) {
    c.verdict = "confirmed";
    if (to.size() > 1 && to["clean"] != to["crash"])
      c.condition = fmt::format(
          "where they go depends on who restores the resolver: clean to {}, crash to {}",
          to["clean"], to["crash"]);
  } else {
    c.verdict = "depends";
    c.condition = fmt::format("plaintext queries went: clean to {}; crash to {}",
                              where(to["clean"]), where(to["crash"]));
  }
  return c;
}

ClaimResult resolver_restored(const ClaimRuns& runs) {
  ClaimResult c{"resolver-restored",
                "The VPN client puts the original resolver back when it disconnects.", "", "", ""};
  std::map<std::string, bool> restored;
  for (const char* run : {"clean", "crash"}) {
    const RunRecord* r = run_of(runs, run);
    if (!r) continue;
    restored[run] =
        has_event(*r, Layer::dns, "resolver_changed", [](const Event&) { return true; });
    c.measured +=
        fmt::format("{}{}: {}", c.measured.empty() ? "" : "; ", run,
                    restored[run] ? "restored" : "not restored (still the VPN's resolver)");
  }
  if (restored.empty()) return not_measured(c, "no clean or crash run");
  const auto yes =
      std::count_if(restored.begin(), restored.end(), [](auto& kv) { return kv.second; });
  c.verdict = yes == static_cast<long>(restored.size()) ? "confirmed"
              : yes == 0                                ? "contradicted"
                                                        : "depends";
  if (c.verdict == "depends")
    c.condition = "only when the client shuts down cleanly; after a crash nothing restores it";
  return c;
}

ClaimResult ip_changes(const ClaimRuns& runs) {
  ClaimResult c{"client-ip-changes",
                "Servers see the client at a different address after the disconnect, so IP pinning "
                "and per-IP limits misfire.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "ip-seen");
  if (!p) return not_measured(c, "no clean run with the ip-seen probe");
  c.measured = fmt::format("server saw {} before, {} after",
                           p->extra.value("server_saw_before", nlohmann::json::array()).dump(),
                           p->extra.value("server_saw_after", nlohmann::json::array()).dump());
  c.verdict = p->extra.value("address_changed", false) ? "confirmed" : "contradicted";
  return c;
}

ClaimResult doh(const ClaimRuns& runs) {
  ClaimResult c{"doh-partial",
                "DNS over HTTPS needs a new connection after the disconnect but never falls back "
                "to plaintext.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "doh");
  if (!p) return not_measured(c, "no clean run with the doh probe");
  const int fresh = json_int(p->extra, "new_connections_after");
  c.measured = fmt::format("{}; {} new HTTPS connections after t=0", fate_text(*p), fresh);
  if (p->extra.contains("recovered_ms"))
    c.measured +=
        fmt::format("; working again at {:.0f} ms", p->extra["recovered_ms"].get<double>());
  c.verdict = fresh > 0 ? "confirmed" : "depends";
  if (!fresh)
    c.condition =
        "no new connection was opened within the window: the old one was still being waited on";
  return c;
}

}  // namespace

double retries2_timeout_s(int retries2) {
  double total = 0, rto = 0.2;
  for (int i = 0; i <= retries2; ++i) {
    total += rto;
    rto = std::min(rto * 2, 120.0);
  }
  return total;
}

std::vector<ClaimResult> evaluate_claims(const ClaimRuns& runs) {
  return {
      tunnel_removed(runs),
      split_routes(runs),
      send_now(runs),
      idle_hangs(runs),
      inflight(runs),
      websocket(runs),
      quic(runs),
      simple_survival(runs, "mptcp-survives", "mptcp",
                      "MPTCP survives by moving the connection to another path.", true),
      simple_survival(runs, "ssh-dies", "ssh",
                      "An SSH session does not survive (it freezes or dies).", false),
      simple_survival(runs, "mosh-survives", "mosh",
                      "mosh survives, on UDP with its own session layer.", true),
      dns_leak(runs),
      resolver_restored(runs),
      doh(runs),
      ip_changes(runs),
  };
}

nlohmann::json claims_to_json(const std::vector<ClaimResult>& claims) {
  nlohmann::json list = nlohmann::json::array(), unmeasured = nlohmann::json::array();
  for (const auto& c : claims) {
    if (c.verdict == "not measured") {
      unmeasured.push_back({{"id", c.id}, {"claim", c.claim}, {"why", c.measured}});
      continue;
    }
    list.push_back({{"id", c.id},
                    {"claim", c.claim},
                    {"measured", c.measured},
                    {"verdict", c.verdict},
                    {"condition",
                     c.condition.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.condition)}});
  }
  return {{"schema", "splitsecond.claims/1"}, {"claims", list}, {"not_measured", unmeasured}};
}

std::string render_claims(const std::vector<ClaimResult>& claims) {
  std::string out;
  for (const auto& c : claims) {
    out += fmt::format("[{}] {}\n  claim:    {}\n  measured: {}\n", c.verdict, c.id, c.claim,
                       c.measured);
    if (!c.condition.empty()) out += fmt::format("  when:     {}\n", c.condition);
  }
  return out;
}

}  // namespace ss
