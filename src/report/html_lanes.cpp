#include "report/html_lanes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "report/survival.hpp"
#include "report/timeline.hpp"

namespace ss::report {
namespace {

std::string text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "?";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string joined(const nlohmann::json& j) {
  if (!j.is_array()) return "?";
  std::string out;
  for (const auto& v : j)
    out += (out.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out.empty() ? "(none)" : out;
}

std::optional<double> number(const nlohmann::json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

int64_t us(double ms) {
  return static_cast<int64_t>(std::llround(ms * 1000.0));
}

// Lane ids go into attributes and the trace: letters, digits, '-' and '_' only, unique.
std::string lane_id(const std::string& prefix, const std::string& name,
                    std::set<std::string>& used) {
  std::string id = prefix;
  for (char c : name)
    id += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  std::string unique = id;
  for (int n = 2; used.count(unique); ++n) unique = fmt::format("{}-{}", id, n);
  used.insert(unique);
  return unique;
}

std::string protocol(const nlohmann::json& d) {
  const int p = d.is_object() && d.contains("proto") && d["proto"].is_number_integer()
                    ? d["proto"].get<int>()
                    : -1;
  return p == 6    ? "TCP"
         : p == 17 ? "UDP"
         : p == 1  ? "ICMP"
         : p == 58 ? "ICMPv6"
                   : fmt::format("proto {}", p);
}

// The full line the terminal report prints, then the record's fields as they are.
std::string event_tip(const Event& e) {
  std::string line = describe_event(e);
  line.erase(0, line.find_first_not_of(' '));
  std::string fields = e.detail.dump();
  if (fields.size() > 600) fields = fields.substr(0, 600) + "...";
  return line + "\n" + fields;
}

Mark event_mark(const Event& e, std::string style) {
  Mark m;
  m.t_us = e.t_us;
  m.style = std::move(style);
  m.label = event_label(e);
  m.tip = event_tip(e);
  m.args = e.detail;
  m.args["kind"] = e.kind;
  return m;
}

std::string layer_style(const Event& e) {
  if (e.layer == Layer::route && e.detail.value("notified", true) == false) return "unannounced";
  if (e.kind == "added" || e.kind == "up" || e.kind == "rule-added") return "added";
  if (e.kind == "removed" || e.kind == "down" || e.kind == "rule-removed") return "removed";
  if (e.kind == "resolver_changed") return "changed";
  if (e.kind == "error" || e.detail.value("ok", true) == false) return "error";
  return "event";
}

std::string action_label(const Trigger& t) {
  std::string s = t.action;
  if (t.params.contains("mode")) s += " (" + text(t.params, "mode") + ")";
  if (t.params.contains("probe"))
    s += " " + text(t.params, "probe") + " " + text(t.params, "signal");
  if (t.params.contains("tunnel_ip")) s += " to " + text(t.params, "tunnel_ip");
  if (t.params.contains("error")) s += " REFUSED";
  return s;
}

std::vector<ActionLine> action_lines(const RunRecord& r) {
  std::vector<ActionLine> out;
  for (const auto& t : r.triggers) {
    ActionLine a;
    a.t_us = t.at_us;
    a.took_us = t.took_us;
    a.kind = t.from_timeline ? "timeline" : t.action == "probe-signal" ? "signal" : "client";
    a.label = action_label(t);
    a.tip =
        fmt::format("{} at {:+.3f} ms: the call took {} us, completed at {:+.3f} ms ({})\n{}",
                    a.label, static_cast<double>(t.at_us) / 1000.0, t.took_us,
                    static_cast<double>(t.completed_us) / 1000.0, t.completed_by, t.params.dump());
    out.push_back(std::move(a));
  }
  if (!r.triggers.empty()) return out;
  for (const auto& e : r.events)  // older records: the one trigger is an event
    if (e.layer == Layer::link && e.kind == "trigger") {
      ActionLine a;
      a.t_us = e.t_us;
      a.took_us = e.detail.value("took_us", int64_t{0});
      a.label =
          e.detail.value("action", std::string("disconnect")) + " (" + text(e.detail, "mode") + ")";
      a.tip = event_tip(e);
      out.push_back(std::move(a));
    }
  return out;
}

Lane actions_lane(const std::vector<ActionLine>& actions) {
  Lane lane{"actions", "actions", "actions", {}};
  for (const auto& a : actions) {
    Mark m;
    m.t_us = a.t_us;
    if (a.took_us > 0) m.end_us = a.t_us + a.took_us;
    m.style = a.label.find("REFUSED") != std::string::npos ? "error"
              : a.kind == "signal"                         ? "signal"
              : a.took_us > 0                              ? "action call"
                                                           : "action";
    m.label = a.label;
    m.tip = a.tip;
    m.args = {{"took_us", a.took_us}, {"kind", a.kind}};
    lane.marks.push_back(std::move(m));
  }
  return lane;
}

Mark instant(double at_ms, std::string style, std::string label, std::string tip) {
  Mark m;
  m.t_us = us(at_ms);
  m.style = std::move(style);
  m.label = std::move(label);
  m.tip = std::move(tip);
  return m;
}

// A probe's life as the record tells it: a bar that stops at its error or goes on to the end
// of the window, its longest silence, its error, recovery and late message.
Lane probe_lane(const ProbeFate& p, const SurvivalRow& row, const Timeline& t,
                std::set<std::string>& used) {
  Lane lane{lane_id("probe-", p.name, used), p.name + " (" + p.proto + ")", "probes", {}};
  const std::string outcome =
      row.survived == "yes" || row.survived == "no" || row.survived == "partial" ? row.survived
                                                                                 : "other";
  const std::string summary = fmt::format("{}: survived {}; {}; silence {}", p.name, row.survived,
                                          row.mechanism, row.silence);
  Mark bar;
  bar.args = {{"survived", row.survived},
              {"error", p.error ? nlohmann::json(*p.error) : nlohmann::json()}};
  if (!p.setup_ok) {
    bar.t_us = t.first_us;
    bar.end_us = t.end_us;
    bar.style = "setup-failed";
    bar.label = "set-up failed: " + p.error.value_or("?");
    bar.tip = summary;
    lane.marks.push_back(std::move(bar));
    return lane;
  }
  if (t.first_us < 0) {
    Mark before;
    before.t_us = t.first_us;
    before.end_us = 0;
    before.style = "before";
    before.label = "set up before t=0";
    before.tip = p.name + ": reached its server before t=0";
    lane.marks.push_back(std::move(before));
  }
  bar.t_us = 0;
  bar.end_us = t.end_us;
  const bool stopped = p.detected_ms && !row.recovered_ms && outcome != "yes";
  if (stopped) bar.end_us = std::max<int64_t>(1, us(*p.detected_ms));
  bar.style = outcome;
  bar.label = "survived: " + row.survived;
  bar.tip = summary;
  lane.marks.push_back(std::move(bar));
  const auto longest = number(p.extra, "longest_silence_ms");
  const auto from = number(p.extra, "silence_started_ms");
  if (longest && from && *longest > 0) {
    Mark m = instant(*from, "silence", fmt::format("silence {:.0f} ms", *longest), "");
    m.end_us = us(*from + *longest);
    m.tip = fmt::format("{}: no data back for {:.1f} ms from {:+.1f} ms (bound {} ms)", p.name,
                        *longest, *from, text(p.extra, "silence_bound_ms"));
    lane.marks.push_back(std::move(m));
  }
  if (const auto rt = number(p.extra, "round_trip_after_ms"))
    lane.marks.push_back(instant(
        *rt, "echo", "round trip",
        fmt::format("{}: first answer to data sent after the disconnect completed, at {:+.1f} ms",
                    p.name, *rt)));
  if (const auto& ls = p.extra.value("late_send", nlohmann::json()); ls.is_object()) {
    if (const auto sent = number(ls, "sent_ms")) {
      lane.marks.push_back(instant(*sent, "late-send", "late send",
                                   fmt::format("{}: one message sent at {:+.1f} ms: {}", p.name,
                                               *sent, text(ls, "outcome"))));
      if (const auto after = number(ls, "after_ms"))
        lane.marks.push_back(
            instant(*sent + *after, text(ls, "outcome") == "echo" ? "echo" : "error",
                    "late send: " + text(ls, "outcome"),
                    fmt::format("{}: the late message's {} {:.1f} ms after it was sent", p.name,
                                text(ls, "outcome"), *after)));
    }
  }
  if (p.detected_ms)
    lane.marks.push_back(instant(
        *p.detected_ms, "error", p.error.value_or("error"),
        fmt::format("{}: {} at {:+.1f} ms", p.name, p.error.value_or("error"), *p.detected_ms)));
  if (row.recovered_ms)
    lane.marks.push_back(
        instant(*row.recovered_ms, "recovered", "recovered",
                fmt::format("{}: working again at {:+.1f} ms", p.name, *row.recovered_ms)));
  return lane;
}

void add_leaks(const RunRecord& r, Timeline& t) {
  std::map<int64_t, int> bins;
  std::optional<int64_t> first, last;
  for (const auto& e : r.events) {
    if (!is_leak(e)) continue;
    const int64_t ms = e.t_us >= 0 ? e.t_us / 1000 : -((-e.t_us + 999) / 1000);
    ++bins[ms];
    if (e.t_us < 0) continue;
    if (!first) first = e.t_us;
    last = e.t_us;
  }
  Lane lane{"leaks", "leaked packets / ms", "leaks", {}};
  for (const auto& [ms, n] : bins) {
    t.leak_bins.push_back({ms, n});
    t.max_leaks_per_ms = std::max(t.max_leaks_per_ms, n);
    Mark m;
    m.t_us = ms * 1000;
    m.end_us = ms * 1000 + 1000;
    m.style = "leakbin";
    m.label = fmt::format("{} leaked", n);
    m.tip = fmt::format("{} leaked packet(s) in the millisecond from {:+d} ms", n, ms);
    m.args = {{"count", n}};
    lane.marks.push_back(std::move(m));
  }
  t.lanes.push_back(std::move(lane));
  if (r.leaks.detail && !r.leaks.detail->per_action.empty()) {
    for (const auto& a : r.leaks.detail->per_action) {
      if (a.count == 0 || !a.first_ms || a.trigger >= r.triggers.size()) continue;
      const int64_t at = r.triggers[a.trigger].at_us;
      t.leak_windows.push_back({at + us(*a.first_ms), at + us(a.last_ms.value_or(*a.first_ms))});
    }
  } else if (first) {
    t.leak_windows.push_back({*first, *last});
  }
}

}  // namespace

const std::vector<std::string>& packet_kinds() {
  static const std::vector<std::string> kinds = {"tunnel", "dns_plaintext", "bypass",
                                                 "link_control"};
  return kinds;
}

bool is_leak(const Event& e) {
  return e.layer == Layer::packet && (e.kind == "bypass" || e.kind == "dns_plaintext") &&
         e.detail.value("dir", std::string()) == "out";
}

std::string event_label(const Event& e) {
  const auto& d = e.detail;
  switch (e.layer) {
    case Layer::link:
      return e.kind == "trigger" ? "disconnect" : text(d, "ifname") + " " + e.kind;
    case Layer::addr:
      return text(d, "address") + " " + e.kind;
    case Layer::route:
      if (e.kind.rfind("rule-", 0) == 0)
        return "rule to table " + text(d, "table") + " " + e.kind.substr(5);
      return text(d, "dst") + " " + e.kind + (d.value("notified", true) ? "" : " (unannounced)");
    case Layer::dns:
      if (e.kind == "resolver_changed")
        return "resolver " + joined(d.value("from", nlohmann::json())) + " -> " +
               joined(d.value("to", nlohmann::json()));
      if (e.kind == "lookup")
        return d.value("ok", false) ? "lookup answered" : "lookup failed: " + text(d, "error");
      return text(d, "agent") + " " + e.kind;
    case Layer::packet: {
      std::string s =
          fmt::format("{} {} {}:{}", text(d, "dir"), protocol(d), text(d, "dst"), text(d, "dport"));
      if (d.contains("dns") && d["dns"].is_object()) s += " " + text(d["dns"], "qname");
      return s;
    }
    case Layer::probe:
      return text(d, "agent") + " " + e.kind + (d.contains("error") ? ": " + text(d, "error") : "");
  }
  return e.kind;
}

Timeline timeline_lanes(const RunRecord& r) {
  Timeline t;
  t.end_us = us(r.window_ms);
  for (const auto& e : r.events) {
    t.first_us = std::min(t.first_us, e.t_us);
    t.end_us = std::max(t.end_us, e.t_us);
  }
  for (const auto& tr : r.triggers) t.first_us = std::min(t.first_us, tr.at_us);
  if (t.end_us <= 0) t.end_us = 1000;

  t.actions = action_lines(r);
  t.lanes.push_back(actions_lane(t.actions));

  std::set<std::string> used = {"actions", "leaks"};
  std::vector<Lane> layers = {{"link", "link", "layers", {}},
                              {"addr", "addresses", "layers", {}},
                              {"route", "routes", "layers", {}},
                              {"dns", "DNS resolver", "layers", {}}};
  std::map<std::string, Lane> packets, agents;
  std::vector<std::string> packet_order = packet_kinds(), agent_order;
  for (const auto& k : packet_kinds())
    packets[k] = {lane_id("packet-", k, used), "packets: " + k, "packets", {}};
  for (const auto& e : r.events) {
    switch (e.layer) {
      case Layer::link:
        if (e.kind != "trigger") layers[0].marks.push_back(event_mark(e, layer_style(e)));
        break;
      case Layer::addr:
        layers[1].marks.push_back(event_mark(e, layer_style(e)));
        break;
      case Layer::route:
        layers[2].marks.push_back(event_mark(e, layer_style(e)));
        break;
      case Layer::dns:
        layers[3].marks.push_back(event_mark(e, layer_style(e)));
        break;
      case Layer::packet: {
        if (!packets.count(e.kind)) {
          packets[e.kind] = {lane_id("packet-", e.kind, used), "packets: " + e.kind, "packets", {}};
          packet_order.push_back(e.kind);
        }
        const std::string dir = e.detail.value("dir", std::string());
        packets[e.kind].marks.push_back(
            event_mark(e, std::string(dir == "in" ? "in" : "out") + (is_leak(e) ? " leak" : "")));
        break;
      }
      case Layer::probe: {
        const std::string agent = e.detail.value("agent", std::string("(no agent)"));
        if (!agents.count(agent)) {
          agents[agent] = {lane_id("agent-", agent, used), agent, "agents", {}};
          agent_order.push_back(agent);
        }
        agents[agent].marks.push_back(event_mark(e, layer_style(e)));
        break;
      }
    }
  }
  for (auto& l : layers) t.lanes.push_back(std::move(l));
  for (const auto& k : packet_order) t.lanes.push_back(std::move(packets[k]));
  add_leaks(r, t);
  const auto rows = survival_table(r);
  for (size_t i = 0; i < r.probes.size() && i < rows.size(); ++i)
    t.lanes.push_back(probe_lane(r.probes[i], rows[i], t, used));
  for (const auto& a : agent_order) t.lanes.push_back(std::move(agents[a]));
  return t;
}

}  // namespace ss::report
