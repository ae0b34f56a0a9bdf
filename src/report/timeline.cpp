#include "report/timeline.hpp"

#include <fmt/format.h>

#include <map>

#include "report/detect.hpp"
#include "report/reap.hpp"
#include "report/survival.hpp"

namespace ss::report {
namespace {

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "-";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string list(const nlohmann::json& j) {
  std::string out;
  if (!j.is_array()) return "(none)";
  for (const auto& v : j)
    out += (out.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out.empty() ? "(none)" : out;
}

// A field of a (const) record that may be missing: an empty array then.
const nlohmann::json& field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json none = nlohmann::json::array();
  return j.is_object() && j.contains(key) ? j[key] : none;
}

std::string tcp_flags(int f) {
  static const char* const names[] = {"FIN", "SYN", "RST", "PSH", "ACK"};
  std::string s;
  for (int i = 0; i < 5; ++i) {
    if (!(f & (1 << i))) continue;
    if (!s.empty()) s += ' ';
    s += names[i];
  }
  return s;
}

std::string time_text(int64_t t_us) {
  return fmt::format("{:+10.3f} ms", static_cast<double>(t_us) / 1000.0);
}

std::string packet_text(const nlohmann::json& d) {
  const int proto = d.value("proto", 0);
  std::string p = proto == 6    ? "TCP"
                  : proto == 17 ? "UDP"
                  : proto == 58 ? "ICMPv6"
                  : proto == 1  ? "ICMP"
                                : fmt::format("proto {}", proto);
  std::string s = fmt::format("{} {} {}:{} -> {}:{}", str(d, "dir"), p, str(d, "src"),
                              str(d, "sport"), str(d, "dst"), str(d, "dport"));
  if (d.contains("tcp_flags")) s += " [" + tcp_flags(d["tcp_flags"].get<int>()) + "]";
  if (d.contains("dns"))
    s += fmt::format(" DNS {} {}", d["dns"].value("response", false) ? "answer" : "query",
                     str(d["dns"], "qname"));
  return s;
}

std::string probe_summary(const ProbeFate& p) {
  std::string fate =
      !p.setup_ok  ? fmt::format("SET-UP FAILED ({})", p.error.value_or("?"))
      : p.survived ? "survived"
      : p.error    ? fmt::format("failed: {} at {:+.1f} ms", *p.error, p.detected_ms.value_or(0))
                   : "no error and no data: still hanging at the end of the window";
  std::string out = fmt::format("  {} {} probe: {}\n", p.proto == "dns" ? "4" : "3", p.name, fate);
  const auto& x = p.extra;
  if (x.contains("wire_after_t0")) {
    const auto& w = x["wire_after_t0"];
    out += fmt::format(
        "      on the physical interface after t=0: {} segments out (from {}), {} in, {} RST",
        w.value("segments_out", 0), list(field(w, "sources")), w.value("segments_in", 0),
        w.value("rst_in", 0));
    if (x.contains("tcp_unacked"))
      out += fmt::format("; socket at the end: {} unacknowledged, {} retransmissions",
                         x["tcp_unacked"].dump(),
                         x.value("tcp_total_retrans", nlohmann::json()).dump());
    out += "\n";
  }
  if (p.proto == "dns" && p.setup_ok)
    out += fmt::format(
        "      answered by {} before, by {} after; {} failed lookups after t=0, slowest {:.1f} "
        "ms\n",
        list(field(x, "answered_by_before")), list(field(x, "answered_by_after")),
        x.value("failed_after", 0), x.value("slowest_after_ms", 0.0));
  if (x.contains("lookup_hanging_since_ms") && x["lookup_hanging_since_ms"].is_number())
    out += fmt::format(
        "      a lookup was still waiting for an answer at the end of the window (since {:+.1f} "
        "ms)\n",
        x["lookup_hanging_since_ms"].get<double>());
  return out;
}

}  // namespace

std::string leak_detail_summary(const RunRecord& r) {
  std::string out;
  if (r.triggers.size() > 1 || (!r.triggers.empty() && r.triggers[0].action != "disconnect")) {
    out += "  actions:";
    for (const auto& t : r.triggers)
      if (t.from_timeline || t.action != "probe-signal")  // the client's own too
        out += fmt::format(
            " {}{} at {:+.3f} ms (took {} us{});", t.action,
            t.params.contains("tunnel_ip") ? " to " + t.params["tunnel_ip"].get<std::string>() : "",
            t.at_us / 1000.0, t.took_us,
            t.params.contains("error")       ? ", failed: " + t.params["error"].get<std::string>()
            : t.completed_by == "window-end" ? ", still under way at the end of the window"
                                             : "");
    out += "\n";
  }
  if (!r.leaks.detail) return out;
  const LeakDetail& d = *r.leaks.detail;
  auto pair = [](const char* name, const LeakCount& c) {
    return fmt::format("{} {}/{}", name, c.ipv4, c.ipv6);
  };
  out += fmt::format(
      "  leaked packets after t=0 by kind (IPv4/IPv6): {}, {}, {}, {}, {}; {} before t=0\n",
      pair("dns", d.dns), pair("tcp", d.tcp), pair("udp", d.udp), pair("icmp", d.icmp),
      pair("other", d.other), d.before_t0);
  out += fmt::format(
      "  IPv6 outside the tunnel: {} packets before t=0 (while the VPN was up), {} after\n",
      d.before_t0_ipv6, d.ipv6_total());
  std::map<std::pair<std::string, std::string>, int> queries;
  for (const auto& q : d.dns_queries) ++queries[{q.qname, q.resolver}];
  for (const auto& [k, n] : queries)
    out += fmt::format("  plaintext DNS: {} x {} to {}\n", n, k.first, k.second);
  for (const auto& a : d.per_action) {
    const auto at = a.trigger < r.triggers.size() ? r.triggers[a.trigger].at_us / 1000.0 : 0.0;
    if (a.count == 0)
      out += fmt::format("  after {} ({:+.3f} ms): no leak\n", a.action, at);
    else
      out += fmt::format(
          "  after {} ({:+.3f} ms): {} leaked ({} IPv6), from +{:.1f} to +{:.1f} ms after it\n",
          a.action, at, a.count, a.ipv6, a.first_ms.value_or(0), a.last_ms.value_or(0));
  }
  return out;
}

std::string describe_event(const Event& e) {
  const auto& d = e.detail;
  std::string what;
  switch (e.layer) {
    case Layer::link:
      if (e.kind == "trigger" && d.value("action", "disconnect") != "disconnect")
        what = fmt::format("ACTION {}, the call took {} us", str(d, "action"), str(d, "took_us"));
      else
        what = e.kind == "trigger" ? fmt::format("DISCONNECT ({}), the trigger took {} us",
                                                 str(d, "mode"), str(d, "took_us"))
                                   : fmt::format("{} {}", str(d, "ifname"), e.kind);
      break;
    case Layer::addr:
      what = fmt::format("{} {} on {}", str(d, "address"), e.kind, str(d, "dev"));
      break;
    case Layer::route:
      what = fmt::format(
          "{} dev {}{} (table {}, {}) {}", str(d, "dst"), str(d, "dev"),
          d.contains("gateway") && !d["gateway"].is_null() ? " via " + str(d, "gateway") : "",
          str(d, "table"), str(d, "type"), e.kind);
      break;
    case Layer::dns:
      if (e.kind == "resolver_changed")
        what = fmt::format("resolv.conf nameservers {} -> {}", list(field(d, "from")),
                           list(field(d, "to")));
      else if (e.kind == "lookup")
        what = d.value("ok", false)
                   ? fmt::format("lookup via {} answered by {} in {:.1f} ms", str(d, "resolver"),
                                 str(d, "answered_by"), d.value("ms", 0.0))
                   : fmt::format("lookup via {} FAILED {} after {:.1f} ms", str(d, "resolver"),
                                 str(d, "error"), d.value("ms", 0.0));
      else
        what = fmt::format("{} {}", str(d, "agent"), e.kind);
      break;
    case Layer::packet:
      what = fmt::format("{}: {}", e.kind, packet_text(d));
      break;
    case Layer::probe: {
      if (d.value("agent", "") == "reap" && d.contains("line")) {  // the scenario's [reap]
        what = "reap: " + str(d, "line");
        break;
      }
      if (e.kind == "output") {  // `run -- CMD`: a line the command printed
        what = fmt::format("{} {}: {}", str(d, "agent"), str(d, "stream"), str(d, "line"));
        break;
      }
      if (e.kind == "exited" &&
          (d.value("agent", "") == "cmd" || d.value("agent", "") == "server-cmd")) {
        what = fmt::format(
            "{} exited, {}{}", str(d, "agent"),
            d.contains("code") ? "code " + str(d, "code") : "signal " + str(d, "signal"),
            d.contains("by") ? " (ended by us with " + str(d, "by") + ")" : "");
        break;
      }
      what = fmt::format("{} {}", str(d, "agent"), e.kind);
      for (const char* k :
           {"error", "peer", "local", "remote", "addr", "result", "seen_as", "seq", "rtt_us", "by"})
        if (d.contains(k) && !d[k].is_null()) what += fmt::format(" {}={}", k, str(d, k));
      break;
    }
  }
  return fmt::format("{}  {:<6} {}", time_text(e.t_us), layer_name(e.layer), what);
}

std::string render_run(const RunRecord& r) {
  std::string out;
  out += fmt::format("splitsecond: scenario '{}' ({} disconnect), {} via {} ({} {} -> {})\n",
                     r.scenario, r.disconnect, r.vpn.kind, r.vpn.implementation, r.vpn.interface,
                     r.vpn.tunnel_ip, r.vpn.endpoint);
  out += fmt::format(
      "lab up {:.1f} ms, VPN up {:.1f} ms (handshake done), teardown {:.1f} ms; window {:.0f} "
      "ms\n\n",
      r.timings.lab_up_ms, r.timings.vpn_up_ms, r.timings.teardown_ms, r.window_ms);
  out += "Timeline (t=0 is the disconnect; packets shown are those outside the tunnel after t=0)\n";
  int shown_packets = 0, hidden_packets = 0;
  std::map<std::string, int> after_by_class;
  for (const auto& e : r.events) {
    if (e.layer == Layer::packet) {
      if (e.t_us < 0) continue;
      ++after_by_class[e.kind];
      if (e.kind == "tunnel" || e.kind == "link_control" || shown_packets >= 20) {
        if (e.kind != "tunnel" && e.kind != "link_control") ++hidden_packets;
        continue;
      }
      ++shown_packets;
    }
    out += "  " + describe_event(e) + "\n";
  }
  if (hidden_packets)
    out += fmt::format("  ... and {} more packets outside the tunnel (see --json / --pcap)\n",
                       hidden_packets);

  out += "\nSummary, layer by layer\n";
  auto first = [&](Layer l, const std::string& kind, auto pred) -> const Event* {
    for (const auto& e : r.events)
      if (e.layer == l && e.kind == kind && e.t_us >= 0 && pred(e)) return &e;
    return nullptr;
  };
  auto any = [](const Event&) { return true; };
  if (auto* e = first(Layer::link, "removed", [&](const Event& e) {
        return e.detail.value("ifname", "") == r.vpn.interface;
      }))
    out += fmt::format("  1 tunnel interface: {} removed at {:+.3f} ms\n", r.vpn.interface,
                       e->t_us / 1000.0);
  else
    out +=
        fmt::format("  1 tunnel interface: no removal of {} seen in the window\n", r.vpn.interface);
  int routes_removed = 0;
  std::string removed;
  for (const auto& e : r.events)
    if (e.layer == Layer::route && e.kind == "removed" && e.t_us >= 0 &&
        e.detail.value("table", nlohmann::json()) == "main") {
      ++routes_removed;
      removed += (removed.empty() ? "" : ", ") + str(e.detail, "dst");
    }
  out += fmt::format("  2 routes: {} main-table routes removed after t=0{}\n", routes_removed,
                     removed.empty() ? "" : " (" + removed + ")");
  // Layer 3 (transport probes), then layer 4 (the resolver, then the DNS probes).
  for (const auto& p : r.probes)
    if (p.proto != "dns") out += probe_summary(p);
  if (auto* e = first(Layer::dns, "resolver_changed", any))
    out += fmt::format("  4 resolver: {} -> {} at {:+.3f} ms\n", list(field(e->detail, "from")),
                       list(field(e->detail, "to")), e->t_us / 1000.0);
  else
    out += "  4 resolver: resolv.conf did not change in the window\n";
  for (const auto& p : r.probes)
    if (p.proto == "dns") out += probe_summary(p);
  out += fmt::format(
      "  packets on the physical interface after t=0: {} tunnel, {} plaintext DNS, {} bypassing "
      "the tunnel, {} link housekeeping\n",
      after_by_class["tunnel"], after_by_class["dns_plaintext"], after_by_class["bypass"],
      after_by_class["link_control"]);
  out += fmt::format(
      "  leaks in the window: {} plaintext DNS queries, {} other packets outside the tunnel\n",
      r.leaks.dns_plaintext, r.leaks.non_tunnel_packets);
  out += leak_detail_summary(r);
  out += render_reap(r);
  if (r.netlink_events_lost)
    out += fmt::format("  WARNING: the kernel dropped netlink events {} time(s) (ENOBUFS)\n",
                       r.netlink_events_lost);
  for (const auto& n : r.notes) out += "  note: " + n + "\n";
  // The table holds for the VPN client that ran, and says which.
  const std::string who =
      r.vpn.client.empty() ? "" : fmt::format("; {} with the {} client", r.vpn.kind, r.vpn.client);
  if (!r.probes.empty())
    out += fmt::format("\nWhat survived (every cell from this run{})\n", who) +
           render_survival(survival_table(r));
  out += render_detect(r);  // "" without detect probes
  return out;
}

}  // namespace ss::report
