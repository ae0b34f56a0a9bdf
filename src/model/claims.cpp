#include "model/claims.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "model/claims_server_doh.hpp"
#include "model/detect.hpp"

namespace ss {
namespace {

using nlohmann::json;

// The variants whose records the claims read, in the order their results are listed.
const std::vector<std::string> kDisconnectRuns = {"clean", "crash", "keep-interface"};

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

// The first event of this layer and kind at or after t=0 that satisfies `pred`.
const Event* first_event(const RunRecord& r, Layer layer, const std::string& kind,
                         const std::function<bool(const Event&)>& pred) {
  for (const auto& e : r.events)
    if (e.layer == layer && e.kind == kind && e.t_us >= 0 && pred(e)) return &e;
  return nullptr;
}

// A field that may be missing: absent (or of another type) is nullopt, never 0 or "".
std::optional<int64_t> json_int(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number_integer()) return j[key].get<int64_t>();
  return std::nullopt;
}

std::optional<double> json_num(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

std::optional<std::string> json_str(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
  return std::nullopt;
}

std::string ms_text(int64_t t_us) {
  return fmt::format("{:.1f} ms", static_cast<double>(t_us) / 1000.0);
}

std::string join(const std::vector<std::string>& parts, const char* sep = "; ") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string list_text(const std::vector<std::string>& v) {
  return v.empty() ? std::string("none") : join(v, ", ");
}

// "ECONNRESET after 12 ms" / "no error and no data ..." / "kept working"; the survival rule's
// outcome and silences where the fate carries them, the probe's wire view where it was counted.
std::string fate_text(const ProbeFate& p, double window_ms) {
  const auto outcome = json_str(p.extra, "outcome");
  const auto silence = json_num(p.extra, "longest_silence_ms");
  const auto bound = json_num(p.extra, "silence_bound_ms");
  std::string s;
  std::vector<std::string> details;
  if (p.survived) {
    s = "kept working";
  } else if (outcome == "partial") {
    s = "worked after the disconnect, then stopped";
    if (p.error)
      details.push_back(p.detected_ms ? fmt::format("{} after {:.0f} ms", *p.error, *p.detected_ms)
                                      : *p.error);
  } else if (p.error) {
    s = p.detected_ms ? fmt::format("{} after {:.0f} ms", *p.error, *p.detected_ms)
                      : fmt::format("{} (when: not recorded)", *p.error);
  } else {
    s = window_ms > 0
            ? fmt::format("no error and no data to the end of the {:.0f} ms window", window_ms)
            : "no error and no data to the end of the window";
  }
  // The longest silence says something only once data flowed again after the disconnect.
  if (silence && bound && (p.survived || outcome == "partial"))
    details.push_back(fmt::format("longest silence {:.0f} ms, bound {:.0f} ms", *silence, *bound));
  if (p.extra.contains("wire_after_t0")) {
    const auto& w = p.extra["wire_after_t0"];
    const auto out = json_int(w, "segments_out"), rst = json_int(w, "rst_in");
    if (out && rst)
      details.push_back(
          fmt::format("{} segments left the physical link, {} RST came back", *out, *rst));
  }
  if (!details.empty()) s += " (" + join(details) + ")";
  return s;
}

double window_of(const ClaimRuns& runs, const std::string& run) {
  const RunRecord* r = run_of(runs, run);
  return r ? r->window_ms : 0;
}

// Why a run's probe cannot be read: no such run, no such probe in it, or it never reached its
// server before t=0 (with its set-up error).
std::string no_probe(const ClaimRuns& runs, const std::string& run, const std::string& name) {
  const RunRecord* r = run_of(runs, run);
  if (!r) return fmt::format("no {} run", run);
  for (const auto& p : r->probes)
    if (p.name == name && !p.setup_ok)
      return fmt::format("the {} probe did not reach its server before t=0 in the {} run: {}", name,
                         run, p.error.value_or("no error recorded"));
  return fmt::format("the {} run has no {} probe", run, name);
}

ClaimResult not_measured(ClaimResult c, const std::string& why) {
  c.measured = why;
  c.verdict = "not measured";
  c.condition.clear();
  return c;
}

std::string missing(const std::string& what, const std::string& run) {
  return fmt::format("missing in the {} run's record: {}", run, what);
}

// Claims about what a VPN client does hold only for the client that ran: "the reference
// client", or each run's client when they differ. nullopt (and `why` set) when a run lacks it.
std::optional<std::string> clients_text(const ClaimRuns& runs,
                                        const std::vector<std::string>& names, std::string& why) {
  std::vector<std::string> each;
  std::set<std::string> distinct;
  for (const auto& name : names) {
    const RunRecord* r = run_of(runs, name);
    if (!r) continue;
    if (r->vpn.client.empty()) {
      why = missing("vpn.client (which VPN client acted)", name);
      return std::nullopt;
    }
    distinct.insert(r->vpn.client);
    each.push_back(fmt::format("{} ({})", r->vpn.client, name));
  }
  if (distinct.empty()) return std::string();
  if (distinct.size() == 1) return fmt::format("with the {} client", *distinct.begin());
  return fmt::format("with the clients {}", join(each, ", "));
}

// The verdict of a claim checked run by run: all yes, all no, or which runs gave which.
struct PerRun {
  std::vector<std::string> yes, no;
  void add(const std::string& run, bool v) { (v ? yes : no).push_back(run); }
  bool empty() const { return yes.empty() && no.empty(); }
  std::string verdict() const {
    return no.empty() ? "confirmed" : yes.empty() ? "contradicted" : "depends";
  }
  std::string condition(const char* yes_text, const char* no_text) const {
    return fmt::format("{} in: {}; {} in: {}", yes_text, join(yes, ", "), no_text, join(no, ", "));
  }
};

ClaimResult tunnel_removed(const ClaimRuns& runs) {
  ClaimResult c{"tunnel-removed",
                "On disconnect the tunnel interface is removed outright, not just set down.", "",
                "", ""};
  const std::vector<std::string> names = {"clean", "crash"};
  std::string why;
  const auto client = clients_text(runs, names, why);
  if (!client) return not_measured(c, why);
  std::vector<std::string> measured;
  PerRun removed;
  for (const auto& run : names) {
    const RunRecord* r = run_of(runs, run);
    if (!r) continue;
    auto named = [&](const Event& e) { return e.detail.value("ifname", "") == r->vpn.interface; };
    const Event* gone = first_event(*r, Layer::link, "removed", named);
    const Event* down = first_event(*r, Layer::link, "down", named);
    removed.add(run, gone != nullptr);
    measured.push_back(
        gone   ? fmt::format("{}: {} removed at {}", run, r->vpn.interface, ms_text(gone->t_us))
        : down ? fmt::format("{}: {} set down at {}, not removed", run, r->vpn.interface,
                             ms_text(down->t_us))
               : fmt::format("{}: {} not removed", run, r->vpn.interface));
  }
  if (removed.empty()) return not_measured(c, "no clean or crash run");
  c.measured = *client + ": " + join(measured);
  c.verdict = removed.verdict();
  if (c.verdict == "depends")
    c.condition = removed.condition("removed", "not removed") + " (" + *client + ")";
  return c;
}

ClaimResult split_routes(const ClaimRuns& runs) {
  ClaimResult c{"split-routes",
                "The VPN's 0.0.0.0/1 and 128.0.0.0/1 routes disappear and the original default "
                "route takes over.",
                "", "", ""};
  const RunRecord* r = run_of(runs, "clean");
  if (!r) return not_measured(c, "no clean run");
  std::string why;
  const auto client = clients_text(runs, {"clean"}, why);
  if (!client) return not_measured(c, why);
  auto removal = [&](const char* dst) {
    return first_event(*r, Layer::route, "removed",
                       [&](const Event& e) { return e.detail.value("dst", "") == dst; });
  };
  const Event* low = removal("0.0.0.0/1");
  const Event* high = removal("128.0.0.0/1");
  const Event* dflt = removal("0.0.0.0/0");
  auto unannounced = [](const Event* e) {
    return e && e->detail.contains("notified") && e->detail["notified"] == false;
  };
  auto state = [](const char* dst, const Event* e) {
    return e ? fmt::format("{} removed at {}", dst, ms_text(e->t_us)) : fmt::format("{} kept", dst);
  };
  std::string announced;
  if (unannounced(low) && unannounced(high))
    announced = " (the kernel announced neither removal: found by dumping the table)";
  else if (unannounced(low) || unannounced(high))
    announced = fmt::format(
        " (the kernel did not announce the removal of {}: found by dumping "
        "the table)",
        unannounced(low) ? "0.0.0.0/1" : "128.0.0.0/1");
  const int outside = r->leaks.dns_plaintext + r->leaks.non_tunnel_packets;
  c.measured = fmt::format(
      "{}: clean: {}, {}{}; default route {}; {} packets left the physical link outside the "
      "tunnel after t=0",
      *client, state("0.0.0.0/1", low), state("128.0.0.0/1", high), announced,
      dflt ? "removed at " + ms_text(dflt->t_us) : std::string("not removed"), outside);
  c.verdict = low && high && !dflt && outside > 0 ? "confirmed" : "contradicted";
  return c;
}

ClaimResult send_now(const ClaimRuns& runs) {
  ClaimResult c{"send-now-reset",
                "An app that sends right after the disconnect gets ECONNRESET: its packets leave "
                "with a new source address and the server resets the unknown connection.",
                "", "", ""};
  std::vector<std::string> measured;
  PerRun reset;
  for (const auto& run : kDisconnectRuns) {
    const ProbeFate* p = probe(runs, run, "tcp-send-now");
    if (!p) continue;
    reset.add(run, p->error && *p->error == "ECONNRESET");
    measured.push_back(fmt::format("{}: {}", run, fate_text(*p, window_of(runs, run))));
  }
  if (reset.empty()) return not_measured(c, "no run with the tcp-send-now probe");
  c.measured = join(measured);
  c.verdict = reset.verdict();
  if (c.verdict == "contradicted")
    c.condition = "no ECONNRESET in any disconnect mode measured";
  else if (c.verdict == "depends")
    c.condition = reset.condition("reset", "no reset");
  return c;
}

// The namespace's keepalive sysctls as text, or nullopt naming the one missing.
std::optional<std::string> keepalive_text(const RunRecord& r, const std::string& run,
                                          std::string& why) {
  std::optional<int64_t> v[3];
  const char* keys[3] = {"tcp_keepalive_time", "tcp_keepalive_intvl", "tcp_keepalive_probes"};
  for (int i = 0; i < 3; ++i) {
    v[i] = json_int(r.kernel, keys[i]);
    if (!v[i]) {
      why = missing(fmt::format("kernel.{}", keys[i]), run);
      return std::nullopt;
    }
  }
  return fmt::format(
      "an app that set SO_KEEPALIVE would learn after about {} s from this namespace's sysctls "
      "({} s idle, {} x {} s probes; a prediction, not measured)",
      *v[0] + *v[2] * *v[1], *v[0], *v[2], *v[1]);
}

ClaimResult idle_hangs(const ClaimRuns& runs) {
  ClaimResult c{"idle-hangs",
                "An idle connection gets no error: it looks frozen until keepalive (hours) or an "
                "application timeout.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "tcp-idle");
  const RunRecord* r = run_of(runs, "clean");
  if (!p || !r) return not_measured(c, no_probe(runs, "clean", "tcp-idle"));
  const json late = p->extra.value("late_send", json());
  const auto outcome = json_str(late, "outcome");
  if (!late.is_object() || !outcome)
    return not_measured(c, missing("tcp-idle's late_send (what a late message met)", "clean"));
  std::string why;
  const auto keepalive = keepalive_text(*r, "clean", why);
  if (!keepalive) return not_measured(c, why);
  const auto sent = json_num(late, "sent_ms"), after = json_num(late, "after_ms");
  const std::string when = sent ? fmt::format(" at {:.0f} ms", *sent) : "";
  const std::string delay = after ? fmt::format(" after {:.0f} ms", *after) : "";
  std::string met;
  if (*outcome == "hang") {
    met = "got no echo and no error to the end of the window";
    c.verdict = "confirmed";
  } else if (*outcome == "echo") {
    met = "got its echo" + delay;
    c.verdict = "contradicted";
    c.condition = "the idle connection still worked when it was used";
  } else if (*outcome == "error") {
    met = fmt::format("failed with {}{}", json_str(late, "error").value_or("an unnamed error"),
                      delay);
    c.verdict = "contradicted";
    c.condition = "the idle connection reported an error as soon as it was used";
  } else {
    return not_measured(c, fmt::format("the clean run's tcp-idle late_send has an unknown "
                                       "outcome '{}'",
                                       *outcome));
  }
  c.measured =
      fmt::format("clean: idle until a message sent{}, which {}; {}", when, met, *keepalive);
  return c;
}

bool is_death(const ProbeFate& p) {
  return p.error &&
         (*p.error == "ETIMEDOUT" || *p.error == "ENETUNREACH" || *p.error == "EHOSTUNREACH");
}

// "ETIMEDOUT after 1012 ms": a death the probe observed.
std::string death_text(const ProbeFate& p) {
  return p.detected_ms ? fmt::format("{} after {:.0f} ms", *p.error, *p.detected_ms) : *p.error;
}

ClaimResult inflight(const ClaimRuns& runs) {
  ClaimResult c{"inflight-dies",
                "Retransmissions of in-flight data find no route (dropped, or ENETUNREACH) and the "
                "connection dies once retries run out.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "tcp-inflight");
  const RunRecord* r = run_of(runs, "clean");
  if (!p || !r) return not_measured(c, no_probe(runs, "clean", "tcp-inflight"));
  const auto retries2 = json_int(r->kernel, "tcp_retries2");
  if (!retries2) return not_measured(c, missing("kernel.tcp_retries2", "clean"));
  if (!p->extra.contains("wire_after_t0"))
    return not_measured(c, missing("the in-flight probe's packets (wire_after_t0)", "clean"));
  const auto out = json_int(p->extra["wire_after_t0"], "segments_out");
  if (!out) return not_measured(c, missing("wire_after_t0.segments_out", "clean"));
  const int retries = static_cast<int>(*retries2);
  const std::string prediction = fmt::format(
      "tcp_retries2={} predicts ETIMEDOUT after at least {:.1f} s (a prediction, not "
      "measured)",
      retries, retries2_timeout_s(retries));
  std::vector<std::string> measured;
  std::string clean = "clean: " + fate_text(*p, window_of(runs, "clean"));
  if (const auto unacked = json_int(p->extra, "tcp_unacked"))
    clean += fmt::format("; {} segments unacknowledged at the end", *unacked);
  measured.push_back(clean);
  PerRun died;
  died.add("clean", is_death(*p));
  std::vector<std::string> deaths;
  if (is_death(*p)) deaths.push_back("clean (" + death_text(*p) + ")");
  if (const ProbeFate* u = probe(runs, "user-timeout", "tcp-inflight")) {
    measured.push_back("user-timeout (TCP_USER_TIMEOUT set): " +
                       fate_text(*u, window_of(runs, "user-timeout")));
    died.add("user-timeout", is_death(*u));
    if (is_death(*u)) deaths.push_back("user-timeout (" + death_text(*u) + ")");
  }
  measured.push_back(prediction);
  c.measured = join(measured);
  if (p->survived) {
    c.verdict = "contradicted";
    c.condition = "the connection kept working without the tunnel";
  } else if (*out > 0) {
    c.verdict = "contradicted";
    c.condition =
        fmt::format("retransmissions found a route: {} segments left the physical link", *out);
  } else if (!deaths.empty()) {
    c.verdict = "confirmed";
    c.condition = fmt::format("died ({}) in: {}", "ETIMEDOUT, ENETUNREACH or EHOSTUNREACH",
                              join(deaths, ", "));
    if (!died.no.empty())
      c.condition += fmt::format("; no death within the window in: {}", join(died.no, ", "));
  } else if (p->error) {
    c.verdict = "contradicted";
    c.condition = fmt::format("it ended with {}, not with retries running out", *p->error);
  } else {
    c.verdict = "depends";
    c.condition = fmt::format(
        "no death observed within the window in any run ({}), and no segment of the connection "
        "left the physical link; {}",
        join(died.no, ", "), prediction);
  }
  return c;
}

ClaimResult websocket(const ClaimRuns& runs) {
  ClaimResult c{"websocket-event",
                "A WebSocket library reports close or error as soon as the TCP connection under it "
                "dies, and the app must reconnect.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "websocket");
  if (!p) return not_measured(c, no_probe(runs, "clean", "websocket"));
  c.measured = "clean: " + fate_text(*p, window_of(runs, "clean"));
  c.verdict = p->error ? "confirmed" : "contradicted";
  if (!p->error && !p->survived)
    c.condition = "no close or error event within the window: the library reported nothing";
  return c;
}

std::optional<bool> json_bool(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_boolean()) return j[key].get<bool>();
  return std::nullopt;
}

ClaimResult quic(const ClaimRuns& runs) {
  ClaimResult c{"quic-survives",
                "QUIC survives because connection IDs, not addresses, identify the connection.", "",
                "", ""};
  const ProbeFate* p = probe(runs, "clean", "quic");
  if (!p) return not_measured(c, no_probe(runs, "clean", "quic"));
  // The server's migration setting as its fate recorded it, and what it saw.
  auto line = [&](const char* run, const ProbeFate& f) {
    const auto allows = json_bool(f.extra, "server_migration");
    const std::string server = !allows   ? "server's migration setting not recorded"
                               : *allows ? "server allowing migration"
                                         : "server refusing migration";
    std::string s = fmt::format("{} ({}): {}", run, server, fate_text(f, window_of(runs, run)));
    if (f.extra.contains("server_addresses"))
      s += fmt::format(", server saw {}", f.extra["server_addresses"].dump());
    return s;
  };
  c.measured = line("clean", *p);
  const ProbeFate* n = probe(runs, "no-migration", "quic");
  if (n) c.measured += "; " + line("no-migration", *n);
  if (p->survived && n && !n->survived) {
    c.verdict = "depends";
    c.condition =
        json_bool(p->extra, "server_migration") == true &&
                json_bool(n->extra, "server_migration") == false
            ? "survives only when the server accepts the new client address (path validation); "
              "the server refusing migration (disable_active_migration) did not keep it"
            : "survived in the clean run, not in the no-migration run (the servers' migration "
              "settings were not both recorded)";
  } else {
    c.verdict = p->survived ? "confirmed" : "contradicted";
  }
  return c;
}

std::string gap_text(const ProbeFate& p) {
  const auto gap = json_num(p.extra, "gap_ms");
  return gap ? fmt::format("; gap {:.0f} ms", *gap) : std::string();
}

// What the mptcp probe's set-up gave the connection: its subflow endpoints.
std::string endpoints_text(const ProbeFate& p) {
  const json setup = p.extra.value("setup", json::object());
  std::vector<std::string> eps;
  if (setup.is_object() && setup.contains("endpoints") && setup["endpoints"].is_array())
    for (const auto& e : setup["endpoints"])
      if (e.is_string()) eps.push_back(e.get<std::string>());
  return setup.is_object() && setup.contains("endpoints")
             ? fmt::format(" [subflow endpoints: {}]", list_text(eps))
             : " [subflow endpoints: not recorded]";
}

std::optional<bool> physical_subflow(const ProbeFate& p) {
  const json setup = p.extra.value("setup", json::object());
  if (setup.is_object() && setup.contains("subflow_on_physical") &&
      setup["subflow_on_physical"].is_boolean())
    return setup["subflow_on_physical"].get<bool>();
  return std::nullopt;
}

ClaimResult mptcp(const ClaimRuns& runs) {
  ClaimResult c{"mptcp-survives", "MPTCP survives by moving the connection to another path.", "",
                "", ""};
  const ProbeFate* p = probe(runs, "clean", "mptcp");
  if (!p) return not_measured(c, no_probe(runs, "clean", "mptcp"));
  c.measured = fmt::format("clean{}: {}{}", endpoints_text(*p),
                           fate_text(*p, window_of(runs, "clean")), gap_text(*p));
  const ProbeFate* n = probe(runs, "no-physical-subflow", "mptcp");
  if (n)
    c.measured += fmt::format("; no-physical-subflow{}: {}{}", endpoints_text(*n),
                              fate_text(*n, window_of(runs, "no-physical-subflow")), gap_text(*n));
  if (p->survived && n && !n->survived) {
    c.verdict = "depends";
    c.condition =
        physical_subflow(*p) == true && physical_subflow(*n) == false
            ? "survives only when the connection has a subflow endpoint on the physical link "
              "before the disconnect; with only the tunnel's endpoint it did not"
            : "survived in the clean run, not in the no-physical-subflow run (their subflow "
              "set-ups were not both recorded)";
  } else {
    c.verdict = p->survived ? "confirmed" : "contradicted";
  }
  return c;
}

ClaimResult simple_survival(const ClaimRuns& runs, const char* id, const char* name,
                            const char* claim, bool article_says_survives) {
  ClaimResult c{id, claim, "", "", ""};
  const ProbeFate* p = probe(runs, "clean", name);
  if (!p) return not_measured(c, no_probe(runs, "clean", name));
  c.measured = "clean: " + fate_text(*p, window_of(runs, "clean")) + gap_text(*p);
  c.verdict = p->survived == article_says_survives ? "confirmed" : "contradicted";
  return c;
}

// Plaintext DNS queries the client sent on the physical link after t=0, by destination.
std::map<std::string, std::vector<int64_t>> plaintext_queries(const RunRecord& r) {
  std::map<std::string, std::vector<int64_t>> to;
  for (const auto& e : r.events) {
    if (e.layer != Layer::packet || e.kind != "dns_plaintext" || e.t_us < 0) continue;
    if (r.window_ms > 0 && e.t_us > static_cast<int64_t>(r.window_ms * 1000)) continue;
    const json& d = e.detail;
    if (d.value("dir", "") != "out" || !d.contains("dns") || !d["dns"].is_object()) continue;
    if (d["dns"].value("response", true)) continue;
    to[d.value("dst", "")].push_back(e.t_us);
  }
  return to;
}

std::string queries_text(const std::vector<int64_t>& times) {
  return fmt::format("{} (first at {})", times.size(), ms_text(times.front()));
}

ClaimResult dns_leak(const ClaimRuns& runs) {
  ClaimResult c{"dns-leak",
                "After the disconnect, DNS queries go in plaintext to the ISP's or router's "
                "resolver: a leak.",
                "", "", ""};
  std::vector<std::string> measured;
  PerRun leaked;
  for (const char* run : {"clean", "crash"}) {
    const RunRecord* r = run_of(runs, run);
    if (!r) continue;
    if (r->home_resolver.empty())
      return not_measured(c, missing("home_resolver (the home router's resolver address)", run));
    const auto to = plaintext_queries(*r);
    auto home = to.find(r->home_resolver);
    leaked.add(run, home != to.end());
    std::string line = fmt::format(
        "{}: {} plaintext queries to the home resolver {} on the physical link after t=0", run,
        home == to.end() ? std::string("no") : queries_text(home->second), r->home_resolver);
    std::vector<std::string> others;
    for (const auto& [dst, times] : to)
      if (dst != r->home_resolver) others.push_back(fmt::format("{} to {}", times.size(), dst));
    if (!others.empty())
      line += fmt::format(" (other plaintext queries, not counted here: {})", join(others, ", "));
    measured.push_back(line);
  }
  if (leaked.empty()) return not_measured(c, "no clean or crash run");
  c.measured = join(measured);
  c.verdict = leaked.verdict();
  if (c.verdict == "depends")
    c.condition = leaked.condition("queries reached the home resolver", "none reached it");
  return c;
}

// Not the article's claim: queries still addressed to the VPN's own resolver, out on the
// physical link once the tunnel is gone. Its own line, so it is never counted as a leak to
// the ISP's resolver.
ClaimResult dns_to_vpn_resolver(const ClaimRuns& runs) {
  ClaimResult c{"dns-to-vpn-resolver",
                "(A finding, not the article's claim.) Once the tunnel is gone, queries still "
                "addressed to the VPN's resolver go out in plaintext on the physical link.",
                "", "", ""};
  std::vector<std::string> measured;
  PerRun sent;
  for (const char* run : {"clean", "crash"}) {
    const RunRecord* r = run_of(runs, run);
    if (!r) continue;
    if (r->vpn.resolver.empty())
      return not_measured(c, missing("vpn.resolver (the VPN's resolver address)", run));
    const auto to = plaintext_queries(*r);
    auto vpn = to.find(r->vpn.resolver);
    sent.add(run, vpn != to.end());
    measured.push_back(fmt::format(
        "{}: {} plaintext queries to the VPN's resolver {} on the physical link after t=0", run,
        vpn == to.end() ? std::string("no") : queries_text(vpn->second), r->vpn.resolver));
  }
  if (sent.empty()) return not_measured(c, "no clean or crash run");
  c.measured = join(measured);
  c.verdict = sent.verdict();
  if (c.verdict == "depends")
    c.condition =
        sent.condition("queries to the VPN's resolver left on the physical link", "none did");
  return c;
}

ClaimResult resolver_restored(const ClaimRuns& runs) {
  ClaimResult c{"resolver-restored",
                "The VPN client puts the original resolver back when it disconnects.", "", "", ""};
  const std::vector<std::string> names = {"clean", "crash"};
  std::string why;
  const auto client = clients_text(runs, names, why);
  if (!client) return not_measured(c, why);
  std::vector<std::string> measured;
  PerRun restored;
  for (const auto& run : names) {
    const RunRecord* r = run_of(runs, run);
    if (!r) continue;
    if (!r->resolver_before_vpn)
      return not_measured(
          c, missing("resolver_before_vpn (the resolver before the VPN came up)", run));
    const Event* last = nullptr;
    for (const auto& e : r->events)
      if (e.layer == Layer::dns && e.kind == "resolver_changed" && e.t_us >= 0) last = &e;
    std::vector<std::string> to;
    if (last && last->detail.contains("to") && last->detail["to"].is_array())
      for (const auto& s : last->detail["to"])
        if (s.is_string()) to.push_back(s.get<std::string>());
    const bool back = last && to == *r->resolver_before_vpn;
    restored.add(run, back);
    const std::string before = list_text(*r->resolver_before_vpn);
    measured.push_back(
        !last
            ? fmt::format("{}: not restored (no change after t=0; before the VPN: {})", run, before)
        : back ? fmt::format("{}: restored to {} at {}", run, before, ms_text(last->t_us))
               : fmt::format("{}: not restored (changed at {} to {}; before the VPN: {})", run,
                             ms_text(last->t_us), list_text(to), before));
  }
  if (restored.empty()) return not_measured(c, "no clean or crash run");
  c.measured = *client + ": " + join(measured);
  c.verdict = restored.verdict();
  if (c.verdict == "depends")
    c.condition = restored.condition("restored", "not restored") + " (" + *client + ")";
  return c;
}

ClaimResult ip_changes(const ClaimRuns& runs) {
  ClaimResult c{"client-ip-changes",
                "Servers see the client at a different address after the disconnect, so IP pinning "
                "and per-IP limits misfire.",
                "", "", ""};
  const ProbeFate* p = probe(runs, "clean", "ip-seen");
  if (!p) return not_measured(c, no_probe(runs, "clean", "ip-seen"));
  for (const char* key : {"server_saw_before", "server_saw_after", "address_changed"})
    if (!p->extra.contains(key))
      return not_measured(c, missing(fmt::format("ip-seen's {}", key), "clean"));
  if (!p->extra["address_changed"].is_boolean())
    return not_measured(c, missing("ip-seen's address_changed as true/false", "clean"));
  c.measured =
      fmt::format("clean: server saw {} before, {} after", p->extra["server_saw_before"].dump(),
                  p->extra["server_saw_after"].dump());
  c.verdict = p->extra["address_changed"].get<bool>() ? "confirmed" : "contradicted";
  return c;
}

// The article: the cascade (tunnel gone, routes gone, resolver swapped, apps' traffic leaking)
// takes roughly 50-500 ms. Each layer's first sign after t=0, and the span to the last one.
constexpr int64_t kArticleMinUs = 50'000, kArticleMaxUs = 500'000;

ClaimResult cascade_span(const ClaimRuns& runs) {
  ClaimResult c{"cascade-span",
                "The disconnect cascade (tunnel gone, routes gone, resolver swapped, traffic "
                "leaking) takes roughly 50-500 ms.",
                "", "", ""};
  std::vector<std::string> measured;
  PerRun within;
  std::vector<std::string> faster, slower;
  for (const auto& run : kDisconnectRuns) {
    const RunRecord* r = run_of(runs, run);
    if (!r) continue;
    std::vector<std::string> layers;
    std::optional<int64_t> span;
    auto layer = [&](const std::string& what, std::optional<int64_t> t) {
      layers.push_back(t ? fmt::format("{} at {}", what, ms_text(*t)) : what + ": not seen");
      if (t) span = std::max(span.value_or(0), *t);
    };
    auto at = [](const Event* e) { return e ? std::optional<int64_t>(e->t_us) : std::nullopt; };
    layer("tunnel link gone", at(first_event(*r, Layer::link, "removed", [&](const Event& e) {
            return e.detail.value("ifname", "") == r->vpn.interface;
          })));
    auto route = [&](const char* dst) {
      return at(first_event(*r, Layer::route, "removed",
                            [&](const Event& e) { return e.detail.value("dst", "") == dst; }));
    };
    const auto low = route("0.0.0.0/1"), high = route("128.0.0.0/1");
    layer("split routes gone", low && high ? std::optional(std::max(*low, *high)) : std::nullopt);
    layer("resolver swapped",
          at(first_event(*r, Layer::dns, "resolver_changed", [](const Event&) { return true; })));
    std::optional<int64_t> leak;
    for (const auto& e : r->events)
      if (e.layer == Layer::packet && e.t_us >= 0 && e.detail.value("dir", "") == "out" &&
          (e.kind == "bypass" || e.kind == "dns_plaintext")) {
        leak = e.t_us;
        break;
      }
    layer("first packet outside the tunnel", leak);
    const bool in = span && *span >= kArticleMinUs && *span <= kArticleMaxUs;
    within.add(run, in);
    if (span && *span < kArticleMinUs) faster.push_back(run);
    if (!span || *span > kArticleMaxUs) slower.push_back(run);
    measured.push_back(fmt::format("{}: {}; span {}", run, join(layers, ", "),
                                   span ? ms_text(*span) : std::string("none: no layer seen")));
  }
  if (within.empty()) return not_measured(c, "no clean, crash or keep-interface run");
  c.measured = join(measured) +
               " (link, route and resolver times are when the recorder read them; packet times "
               "are the kernel's)";
  c.verdict = within.verdict();
  std::vector<std::string> why;
  if (!faster.empty()) why.push_back("faster than 50 ms in: " + join(faster, ", "));
  if (!slower.empty())
    why.push_back("slower than 500 ms (or never complete) in: " + join(slower, ", "));
  if (!within.yes.empty()) why.push_back("within 50-500 ms in: " + join(within.yes, ", "));
  if (c.verdict != "confirmed") c.condition = join(why);
  return c;
}

// The article's flicker: a short loss of the network (Wi-Fi), the client noticing, tearing
// down and coming back. Measured from the built-in flicker and flicker-new-ip runs.
const std::vector<std::string> kFlickerRuns = {"flicker", "flicker-new-ip"};

// What the client did to its tunnel during the run: its own reconnections (triggers not from
// the timeline) and the IPv4 addresses its tunnel interface gained or lost after t=0.
std::string client_reaction(const RunRecord& r) {
  std::vector<std::string> parts;
  for (const auto& t : r.triggers) {
    if (t.from_timeline || t.action == "probe-signal") continue;
    std::string s = fmt::format("{} at {}", t.action, ms_text(t.at_us));
    const auto from = json_str(t.params, "from_tunnel_ip"), to = json_str(t.params, "tunnel_ip");
    if (from && to) s += fmt::format(" (tunnel address {} -> {})", *from, *to);
    parts.push_back(s);
  }
  for (const auto& e : r.events) {
    if (e.layer != Layer::addr || e.t_us < 0 || e.detail.value("family", "") != "inet") continue;
    if (e.detail.value("dev", "") != r.vpn.interface) continue;
    if (e.kind != "added" && e.kind != "removed") continue;
    parts.push_back(fmt::format("{} {} {} at {}", r.vpn.interface, e.kind,
                                e.detail.value("address", "?"), ms_text(e.t_us)));
  }
  if (parts.empty()) return "the client did not reconnect and its tunnel address did not change";
  return join(parts, ", ");
}

ClaimResult flicker_tcp(const ClaimRuns& runs) {
  ClaimResult c{"flicker-tcp-dies",
                "After a flicker (a short network loss the VPN client notices), connections "
                "opened before it are dead, whatever the client does.",
                "", "", ""};
  std::vector<std::string> measured;
  PerRun died;
  for (const auto& run : kFlickerRuns) {
    const ProbeFate* p = probe(runs, run, "tcp");
    if (!p) continue;
    const RunRecord* r = run_of(runs, run);
    died.add(run, !p->survived);
    measured.push_back(fmt::format("{}: tcp probe: {}; {}", run, fate_text(*p, r->window_ms),
                                   client_reaction(*r)));
  }
  if (died.empty()) return not_measured(c, no_probe(runs, "flicker", "tcp"));
  c.measured = join(measured);
  c.verdict = died.verdict();
  if (c.verdict == "depends") c.condition = died.condition("died", "survived");
  if (c.verdict == "contradicted") c.condition = "the connection kept working through the flicker";
  return c;
}

std::vector<std::string> string_list(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

// The first ip-seen answer at or after t=0, from the events: the address the server saw and
// the client's own source address (the tunnel's, or the physical link's), ports dropped.
struct FirstAnswer {
  std::optional<std::string> seen, local;
};

FirstAnswer first_answer_after(const RunRecord& r) {
  auto address = [](const std::optional<std::string>& a) -> std::optional<std::string> {
    if (!a) return std::nullopt;
    return a->substr(0, a->rfind(':'));
  };
  for (const auto& e : r.events) {
    if (e.layer != Layer::probe || e.kind != "response" || e.t_us < 0) continue;
    const auto seen = json_str(e.detail, "seen_as");
    if (!seen) continue;
    return {address(seen), address(json_str(e.detail, "local"))};
  }
  return {};
}

// How many times the address the server saw changed after t=0, from the last address before
// t=0, the first after it and the set seen after it (the record keeps no full sequence):
// `exact` when the set leaves one order only.
struct AddressChanges {
  size_t at_least = 0;
  bool exact = false;
};

AddressChanges address_changes(const std::string& before, const std::optional<std::string>& first,
                               const std::vector<std::string>& after) {
  std::set<std::string> seen(after.begin(), after.end());
  if (first) seen.insert(*first);
  AddressChanges a;
  if (seen.empty() || (seen.size() == 1 && *seen.begin() == before)) {
    a.exact = true;  // nothing but the old address (or nothing at all)
    return a;
  }
  const std::string start = first.value_or(before);
  a.at_least = (start != before ? 1 : 0) + seen.size() - (seen.count(start) ? 1 : 0);
  // One address after t=0 and never the old one: exactly one change.
  a.exact = seen.size() == 1;
  return a;
}

ClaimResult flicker_address(const ClaimRuns& runs) {
  ClaimResult c{"flicker-address-twice",
                "In a flicker the server sees the client's source address change twice: to the "
                "bare connection's address, then back to the VPN's (possibly another one).",
                "", "", ""};
  std::vector<std::string> measured;
  PerRun twice;
  std::vector<std::string> unknown;
  for (const auto& run : kFlickerRuns) {
    const ProbeFate* p = probe(runs, run, "ip-seen");
    if (!p) continue;
    const auto before = string_list(p->extra.value("server_saw_before", json()));
    if (!p->extra.contains("server_saw_after") || before.empty())
      return not_measured(c, missing("ip-seen's server_saw_before and server_saw_after", run));
    const auto after = string_list(p->extra["server_saw_after"]);
    const RunRecord* r = run_of(runs, run);
    const FirstAnswer answer = first_answer_after(*r);
    const auto& first = answer.seen;
    // The address it had just before t=0: the one of the before set (one, unless it changed
    // already before the flicker; then the changes are counted from the first).
    const AddressChanges ch = address_changes(before.back(), first, after);
    std::string line = fmt::format(
        "{}: the server saw {} before t=0 and {} after{}; {} {} change{}", run, list_text(before),
        list_text(after),
        first ? fmt::format(" (first answer after t=0: {}{})", *first,
                            answer.local ? ", the client sending from " + *answer.local : "")
              : "",
        ch.exact ? "exactly" : "at least", ch.at_least, ch.at_least == 1 ? "" : "s");
    if (!ch.exact)
      line += " (the record keeps which addresses the server saw after t=0, not their order)";
    line += "; " + client_reaction(*r);
    measured.push_back(line);
    if (ch.at_least >= 2)
      twice.add(run, true);
    else if (ch.exact)
      twice.add(run, false);
    else
      unknown.push_back(run);
  }
  if (twice.empty() && unknown.empty())
    return not_measured(c, no_probe(runs, "flicker", "ip-seen"));
  if (twice.empty())
    return not_measured(c, join(measured) + " (fewer than two changes seen, order unknown)");
  c.measured = join(measured);
  c.verdict = twice.verdict();
  if (c.verdict == "depends")
    c.condition = twice.condition("changed twice or more", "changed fewer than twice");
  if (!unknown.empty())
    c.condition += (c.condition.empty() ? "" : "; ") +
                   fmt::format("order unknown in: {}", join(unknown, ", "));
  return c;
}

// The DoH claim counts the client's plaintext DNS too: model/claims_server_doh.cpp.
ClaimResult doh(const ClaimRuns& runs) {
  return doh_claim(runs);
}

// The client of every plain run; nullopt when one lacks it (its claims then say so).
std::optional<std::vector<std::string>> clients_of(const ClaimRuns& runs) {
  std::set<std::string> found;
  for (const auto& [key, r] : runs) {
    const auto at = key.find('@');
    if (at != std::string::npos) {
      found.insert(key.substr(at + 1));
    } else {
      if (r.vpn.client.empty()) return std::nullopt;
      found.insert(r.vpn.client);
    }
  }
  std::vector<std::string> out;
  for (const char* known : {"reference", "wg-quick", "openvpn"})
    if (found.erase(known)) out.push_back(known);
  out.insert(out.end(), found.begin(), found.end());
  return out;
}

using ClaimFn = ClaimResult (*)(const ClaimRuns&);

// A claim the client decides: evaluated over each client's runs; the overall verdict is the
// clients' common verdict, or "depends" naming which client gives which.
ClaimResult per_client(const ClaimRuns& runs, ClaimFn f, const std::vector<std::string>& wanted) {
  const auto found = clients_of(runs);
  if (!found || found->empty()) return f(runs);
  std::vector<std::string> clients;
  for (const auto& c : wanted.empty() ? *found : wanted)
    if (std::find(found->begin(), found->end(), c) != found->end()) clients.push_back(c);
  if (clients.empty()) return f(runs);
  if (clients.size() == 1) {  // one client: its verdict is the claim's, in its own words
    ClaimResult r = f(runs_of_client(runs, clients[0]));
    r.by_client.push_back({clients[0], r.verdict, r.measured, r.condition});
    return r;
  }
  ClaimResult out;
  std::map<std::string, std::vector<std::string>> by_verdict;
  std::vector<std::string> measured, unmeasured, conditions;
  for (const auto& client : clients) {
    ClaimResult r = f(runs_of_client(runs, client));
    if (out.id.empty()) {
      out.id = r.id;
      out.claim = r.claim;
    }
    out.by_client.push_back({client, r.verdict, r.measured, r.condition});
    if (r.verdict == "not measured") {
      unmeasured.push_back(fmt::format("{} ({})", client, r.measured));
      continue;
    }
    by_verdict[r.verdict].push_back(client);
    measured.push_back(fmt::format("[{}] {}", client, r.measured));
    if (!r.condition.empty()) conditions.push_back(fmt::format("[{}] {}", client, r.condition));
  }
  if (by_verdict.empty()) {
    out.verdict = "not measured";
    out.measured = join(unmeasured);
    return out;
  }
  out.measured = join(measured, " | ");
  std::vector<std::string> cond;
  if (by_verdict.size() == 1) {
    out.verdict = by_verdict.begin()->first;
    cond = conditions;
  } else {
    out.verdict = "depends";
    for (const char* v : {"confirmed", "contradicted", "depends"})
      if (by_verdict.count(v))
        cond.push_back(fmt::format("{} with {}", v, join(by_verdict[v], ", ")));
    cond.insert(cond.end(), conditions.begin(), conditions.end());
  }
  if (!unmeasured.empty()) cond.push_back("not measured with " + join(unmeasured, ", "));
  out.condition = join(cond);
  return out;
}

}  // namespace

std::string client_run_key(const std::string& variant, const std::string& client) {
  return variant + "@" + client;
}

ClaimRuns runs_of_client(const ClaimRuns& runs, const std::string& client) {
  ClaimRuns out;
  for (const auto& [key, r] : runs) {
    const auto at = key.find('@');
    if (at != std::string::npos && key.substr(at + 1) == client) out[key.substr(0, at)] = r;
  }
  for (const auto& [key, r] : runs)
    if (key.find('@') == std::string::npos && r.vpn.client == client) out.emplace(key, r);
  return out;
}

double retries2_timeout_s(int retries2) {
  return retries_timeout_ms(retries2) / 1000.0;  // the kernel's bound: model/detect.hpp
}

std::vector<ClaimResult> evaluate_claims(const ClaimRuns& runs) {
  return evaluate_claims(runs, {});
}

std::vector<ClaimResult> evaluate_claims(const ClaimRuns& runs,
                                         const std::vector<std::string>& clients) {
  auto each = [&](ClaimFn f) { return per_client(runs, f, clients); };
  return {
      each(tunnel_removed),
      each(split_routes),
      each(cascade_span),
      each(send_now),
      idle_hangs(runs),
      inflight(runs),
      websocket(runs),
      quic(runs),
      mptcp(runs),
      simple_survival(runs, "ssh-dies", "ssh",
                      "An SSH session does not survive (it freezes or dies).", false),
      simple_survival(runs, "mosh-survives", "mosh",
                      "mosh survives, on UDP with its own session layer.", true),
      each(dns_leak),
      each(dns_to_vpn_resolver),
      each(resolver_restored),
      doh(runs),
      each(ip_changes),
      server_view_claim(runs),
      each(flicker_tcp),
      each(flicker_address),
  };
}

nlohmann::json claims_to_json(const std::vector<ClaimResult>& claims) {
  nlohmann::json list = nlohmann::json::array(), unmeasured = nlohmann::json::array();
  for (const auto& c : claims) {
    if (c.verdict == "not measured") {
      unmeasured.push_back({{"id", c.id}, {"claim", c.claim}, {"why", c.measured}});
      continue;
    }
    nlohmann::json entry = {
        {"id", c.id},
        {"claim", c.claim},
        {"measured", c.measured},
        {"verdict", c.verdict},
        {"condition", c.condition.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.condition)}};
    if (!c.by_client.empty()) {
      nlohmann::json each = nlohmann::json::array();
      for (const auto& v : c.by_client)
        each.push_back({{"client", v.client},
                        {"verdict", v.verdict},
                        {"measured", v.measured},
                        {"condition", v.condition.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(v.condition)}});
      entry["by_client"] = each;
    }
    list.push_back(entry);
  }
  return {{"schema", "splitsecond.claims/1"}, {"claims", list}, {"not_measured", unmeasured}};
}

std::string render_claims(const std::vector<ClaimResult>& claims) {
  std::string out;
  for (const auto& c : claims) {
    out += fmt::format("[{}] {}\n  claim:    {}\n", c.verdict, c.id, c.claim);
    if (c.by_client.size() > 1) {
      // One block per client: its verdict, what its runs recorded, and when it depends.
      if (!c.condition.empty()) out += fmt::format("  when:     {}\n", c.condition);
      for (const auto& v : c.by_client) {
        out += fmt::format("  {:<11}[{}] {}\n", v.client + ":", v.verdict, v.measured);
        if (!v.condition.empty()) out += fmt::format("             when: {}\n", v.condition);
      }
      continue;
    }
    out += fmt::format("  measured: {}\n", c.measured);
    if (!c.condition.empty()) out += fmt::format("  when:     {}\n", c.condition);
  }
  return out;
}

}  // namespace ss
