#include "report/html.hpp"

#include <fmt/format.h>

#include <map>
#include <stdexcept>

#include "report/detect.hpp"
#include "report/html_assets.hpp"
#include "report/html_lanes.hpp"
#include "report/html_svg.hpp"
#include "report/survival.hpp"
#include "report/timeline.hpp"

namespace ss::report {
namespace {

using nlohmann::json;

std::string esc(const std::string& s) {
  return html_escape(s);
}

std::string ms(std::optional<double> v) {
  return v ? fmt::format("{:.1f} ms", *v) : "-";
}

std::string or_unrecorded(const std::string& s) {
  return s.empty() ? "(not recorded)" : s;
}

std::string list_text(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "(none)" : out;
}

std::string fact(const std::string& name, const std::string& value, bool wide = false) {
  return fmt::format("<div{}><dt>{}</dt><dd>{}</dd></div>", wide ? " class=\"wide\"" : "",
                     esc(name), esc(value));
}

std::string facts(const RunRecord& r) {
  std::string actions;
  for (const auto& t : r.triggers)
    if (t.from_timeline)
      actions += fmt::format("{}{} at {:+.3f} ms", actions.empty() ? "" : "; ", t.action,
                             static_cast<double>(t.at_us) / 1000.0);
  std::string kernel;
  if (r.kernel.is_object())
    for (const auto& [k, v] : r.kernel.items())
      kernel += (kernel.empty() ? "" : ", ") + k + "=" +
                (v.is_string() ? v.get<std::string>() : v.dump());
  std::string out = "<dl class=\"facts\">";
  out += fact("scenario", r.scenario);
  out += fact("disconnect", r.disconnect);
  out += fact("window", fmt::format("{:.0f} ms after t=0", r.window_ms));
  if (!actions.empty()) out += fact("actions", actions);
  out += fact("VPN", r.vpn.kind + " via " + r.vpn.implementation);
  out += fact("VPN client", or_unrecorded(r.vpn.client));
  out += fact("tunnel", r.vpn.interface + " " + r.vpn.tunnel_ip);
  out += fact("endpoint", r.vpn.endpoint);
  out += fact("VPN resolver", or_unrecorded(r.vpn.resolver));
  out += fact("physical interface", or_unrecorded(r.physical_interface));
  out += fact("home resolver", or_unrecorded(r.home_resolver));
  out += fact("resolver before the VPN",
              r.resolver_before_vpn ? list_text(*r.resolver_before_vpn) : "(not recorded)");
  out += fact("kernel (client's TCP sysctls)", kernel.empty() ? "(not recorded)" : kernel, true);
  out += fact("lab up / VPN up / teardown",
              fmt::format("{:.1f} / {:.1f} / {:.1f} ms", r.timings.lab_up_ms, r.timings.vpn_up_ms,
                          r.timings.teardown_ms));
  out += fact("netlink events lost", std::to_string(r.netlink_events_lost));
  out += "</dl>";
  if (!r.notes.empty()) {
    out += "<ul class=\"notes\">";
    for (const auto& n : r.notes) out += "<li>" + esc(n) + "</li>";
    out += "</ul>";
  }
  return out;
}

std::string chip(const std::string& cls, const std::string& text) {
  return fmt::format("<li class=\"{}\">{}</li>", cls, esc(text));
}

// The run at a glance, each line from the record.
std::string headline(const RunRecord& r, const Timeline& t) {
  std::string out = "<ul class=\"chips\">";
  const Event* removed = nullptr;
  const Event* resolver = nullptr;
  for (const auto& e : r.events) {
    if (e.t_us < 0) continue;
    if (!removed && e.layer == Layer::link && e.kind == "removed" &&
        e.detail.value("ifname", std::string()) == r.vpn.interface)
      removed = &e;
    if (!resolver && e.layer == Layer::dns && e.kind == "resolver_changed") resolver = &e;
  }
  out += removed ? chip("", fmt::format("{} removed at {:+.3f} ms", r.vpn.interface,
                                        static_cast<double>(removed->t_us) / 1000.0))
                 : chip("", r.vpn.interface + " not removed in the window");
  if (resolver)
    out +=
        chip("", event_label(*resolver) + " at " + axis_time(static_cast<double>(resolver->t_us)));
  const int leaked = r.leaks.dns_plaintext + r.leaks.non_tunnel_packets;
  out += chip(leaked ? "bad" : "ok",
              fmt::format("{} packets leaked after t=0 ({} plaintext DNS queries)", leaked,
                          r.leaks.dns_plaintext));
  for (const auto& w : t.leak_windows)
    out += chip("bad", "leak window " + axis_time(static_cast<double>(w.from_us)) + " to " +
                           axis_time(static_cast<double>(w.to_us)));
  std::map<std::string, int> outcomes;
  for (const auto& row : survival_table(r)) ++outcomes[row.survived];
  if (!r.probes.empty())
    out += chip(outcomes["yes"] == static_cast<int>(r.probes.size()) ? "ok" : "part",
                fmt::format("{} of {} probes survived, {} partly, {} did not{}", outcomes["yes"],
                            r.probes.size(), outcomes["partial"], outcomes["no"],
                            outcomes["set-up failed"]
                                ? fmt::format(", {} failed to set up", outcomes["set-up failed"])
                                : ""));
  return out + "</ul>";
}

std::string legend() {
  auto item = [](const char* color, const char* text) {
    return fmt::format("<span><i style=\"background:{}\"></i>{}</span>", color, text);
  };
  return "<div class=\"legend\">" + item("#16a34a", "added / up / survived") +
         item("#dc2626", "removed / error / leaked") + item("#ea580c", "route gone unannounced") +
         item("#2563eb", "tunnel packet out (in: light, below)") +
         item("rgba(220,38,38,.18)", "leak window") + item("#fde68a", "longest silence") +
         item("#d97706", "partly survived") + item("#7c3aed", "probe signal / late send") +
         "</div>";
}

std::string timeline_card(const RunRecord& r, const Timeline& t, const std::string& id) {
  std::string out = "<section class=\"card timeline-card\"><h2>Timeline</h2>";
  out +=
      "<div class=\"controls\">"
      "<button data-view=\"log\" class=\"on\" title=\"toggle the log axis around t=0\">log axis"
      "</button><button data-view=\"1ms\">first 1 ms</button><button data-view=\"10ms\">first "
      "10 ms</button><button data-view=\"100ms\">first 100 ms</button><button "
      "data-view=\"window\">whole window</button><button data-view=\"all\">everything "
      "recorded</button><button data-view=\"home\">reset</button><span class=\"hint\">wheel: "
      "zoom at the cursor, drag: pan, double-click: reset, click a mark: its details</span>"
      "</div>";
  out += timeline_svg_element(t, id);
  out += legend();
  out += "<div class=\"details\">Hover over a mark for its details; click to keep them here.</div>";
  (void)r;
  return out + "</section>";
}

std::string leaks_card(const RunRecord& r) {
  std::string out = "<section class=\"card leaks\"><h2>Leaks after t=0</h2>";
  out += fmt::format(
      "<p>{} plaintext DNS queries and {} other packets left the physical interface outside the "
      "tunnel between t=0 and the end of the window.</p>",
      r.leaks.dns_plaintext, r.leaks.non_tunnel_packets);
  if (!r.leaks.detail)
    return out + "<p class=\"sub\">This record has no per-packet detail.</p></section>";
  const LeakDetail& d = *r.leaks.detail;
  out += "<table class=\"by-kind\"><tr><th>kind</th><th>IPv4</th><th>IPv6</th></tr>";
  for (const auto& [name, c] : std::vector<std::pair<const char*, LeakCount>>{
           {"dns", d.dns}, {"tcp", d.tcp}, {"udp", d.udp}, {"icmp", d.icmp}, {"other", d.other}})
    out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                       name, c.ipv4, c.ipv6);
  out += fmt::format("</table><p class=\"sub\">{} leaked before t=0.</p>", d.before_t0);
  if (!d.per_action.empty()) {
    out +=
        "<h3>Per action</h3><table "
        "class=\"per-action\"><tr><th>action</th><th>at</th><th>leaked</th>"
        "<th>IPv6</th><th>first</th><th>last</th></tr>";
    for (const auto& a : d.per_action) {
      const double at = a.trigger < r.triggers.size()
                            ? static_cast<double>(r.triggers[a.trigger].at_us) / 1000.0
                            : 0;
      out += fmt::format(
          "<tr><td>{}</td><td class=\"num\">{:+.3f} ms</td><td class=\"num\">{}</td><td "
          "class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
          esc(a.action), at, a.count, a.ipv6, a.first_ms ? "+" + ms(a.first_ms) : "-",
          a.last_ms ? "+" + ms(a.last_ms) : "-");
    }
    out += "</table>";
  }
  if (!d.dns_queries.empty()) {
    std::map<std::pair<std::string, std::string>, std::pair<int, int64_t>> q;
    for (const auto& x : d.dns_queries) {
      auto [it, fresh] = q.try_emplace({x.qname, x.resolver}, 0, x.t_us);
      ++it->second.first;
    }
    out +=
        "<h3>Plaintext DNS queries</h3><table class=\"queries\"><tr><th>name</th><th>to</th>"
        "<th>count</th><th>first</th></tr>";
    for (const auto& [k, v] : q)
      out += fmt::format(
          "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td "
          "class=\"num\">{}</td></tr>",
          esc(k.first), esc(k.second), v.first, esc(axis_time(static_cast<double>(v.second))));
    out += "</table>";
  }
  return out + "</section>";
}

std::string outcome_class(const std::string& s) {
  return s == "yes" || s == "no" || s == "partial" ? s : "other";
}

std::string survival_card(const RunRecord& r) {
  std::string out = "<section class=\"card survival\"><h2>What survived</h2>";
  if (r.probes.empty()) return out + "<p class=\"sub\">This run had no probes.</p></section>";
  out +=
      "<table class=\"survival-table\"><tr><th>probe</th><th>survived</th><th>detected</th>"
      "<th>recovered</th><th>silence (bound)</th><th>what was seen</th></tr>";
  for (const auto& row : survival_table(r))
    out += fmt::format(
        "<tr data-probe=\"{0}\"><td class=\"mono\">{0}</td><td><span class=\"badge {1}\">{2}"
        "</span></td><td class=\"num\">{3}</td><td class=\"num\">{4}</td><td class=\"num\">{5}"
        "</td><td>{6}</td></tr>",
        esc(row.probe), outcome_class(row.survived), esc(row.survived), ms(row.detected_ms),
        ms(row.recovered_ms), esc(row.silence), esc(row.mechanism));
  return out + "</table></section>";
}

std::string events_card(const RunRecord& r) {
  std::string out = fmt::format(
      "<section class=\"card events\"><details><summary>Every event of the record ({})</summary>"
      "<table class=\"events\">",
      r.events.size());
  for (const auto& e : r.events) {
    std::string line = describe_event(e);
    line.erase(0, line.find_first_not_of(' '));
    out += "<tr class=\"ev\"><td>" + esc(line) + "</td></tr>";
  }
  return out + "</table></details></section>";
}

std::string run_body(const RunRecord& r, const std::string& id) {
  const Timeline t = timeline_lanes(r);
  return "<section class=\"card facts-card\">" + facts(r) + headline(r, t) + "</section>" +
         timeline_card(r, t, id) + leaks_card(r) + survival_card(r) + detect_card_html(r) +
         events_card(r);
}

}  // namespace

std::string html_page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; script-src 'unsafe-inline'\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"generator\" content=\"splitsecond {}\"><title>{}</title><style>{}</style>"
      "<script>{}</script></head>\n<body><main>{}<footer>Rendered by splitsecond {} from the "
      "record alone: every mark and figure is something a run recorded; timeline times are "
      "relative to t=0, the first action.</footer><pre id=\"script-errors\" "
      "hidden></pre></main><div id=\"tip\" "
      "hidden></div><script>{}</script></body></html>\n",
      SPLITSECOND_VERSION, esc(title), kReportCss, kReportHeadScript, body, SPLITSECOND_VERSION,
      kReportScript);
}

namespace {

std::string verdict_class(const std::string& v) {
  return v == "confirmed" || v == "contradicted" || v == "depends" ? v : "not-measured";
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string html_run_page(const RunRecord& r) {
  std::string body = fmt::format(
      "<header><h1>splitsecond <span class=\"what\">scenario</span> {}</h1><p class=\"sub\">{} "
      "disconnect, {} via {}, window {:.0f} ms</p></header>",
      esc(r.scenario), esc(r.disconnect), esc(r.vpn.kind),
      esc(r.vpn.client.empty() ? r.vpn.implementation : r.vpn.client), r.window_ms);
  return html_page("splitsecond: " + r.scenario, body + run_body(r, "timeline-1"));
}

std::string html_claims_page(const std::vector<ClaimResult>& claims,
                             const std::map<std::string, RunRecord>& runs) {
  int measured = 0;
  for (const auto& c : claims) measured += c.verdict != "not measured";
  std::string body = fmt::format(
      "<header><h1>splitsecond <span class=\"what\">claims</span></h1><p class=\"sub\">{} claims "
      "measured, {} not measured{}</p></header>",
      measured, claims.size() - measured,
      runs.empty() ? "" : fmt::format(", from {} runs shown below", runs.size()));
  body +=
      "<section class=\"card claims\"><h2>Claims and verdicts</h2><table class=\"claims-table\">"
      "<tr><th>claim</th><th>verdict</th><th>measured</th><th>when</th></tr>";
  for (const auto& c : claims) {
    if (c.verdict == "not measured") continue;
    body += fmt::format(
        "<tr data-claim=\"{0}\"><td><span class=\"mono\">{0}</span><br>{1}</td><td><span "
        "class=\"badge {2}\">{3}</span></td><td>{4}</td><td>{5}</td></tr>",
        esc(c.id), esc(c.claim), verdict_class(c.verdict), esc(c.verdict), esc(c.measured),
        esc(c.condition));
  }
  body += "</table>";
  if (measured < static_cast<int>(claims.size())) {
    body += "<h3>Not measured</h3><table class=\"unmeasured\"><tr><th>claim</th><th>why</th></tr>";
    for (const auto& c : claims)
      if (c.verdict == "not measured")
        body += fmt::format(
            "<tr data-claim=\"{0}\"><td><span class=\"mono\">{0}</span><br>{1}</td><td>{2}</td>"
            "</tr>",
            esc(c.id), esc(c.claim), esc(c.measured));
    body += "</table>";
  }
  body += "</section>";
  int n = 0;
  for (const auto& [variant, r] : runs)
    body += fmt::format(
                "<section class=\"run\" data-run=\"{0}\"><h2>Run: {0}</h2><p class=\"sub\">"
                "scenario {1}, {2} disconnect</p>",
                esc(variant), esc(r.scenario), esc(r.disconnect)) +
            run_body(r, fmt::format("timeline-{}", ++n)) + "</section>";
  return html_page("splitsecond: claims", body);
}

std::string timeline_svg(const RunRecord& r) {
  std::string svg = timeline_svg_element(timeline_lanes(r), "timeline");
  // Standalone: the namespace, and the page's look for the classes the marks carry.
  svg.replace(0, 4, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
  const auto close = svg.find('>');
  svg.insert(close + 1, std::string("<style>") + kReportCss + "</style>");
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg + "\n";
}

std::vector<ClaimResult> claims_from_json(const nlohmann::json& j) {
  if (!j.is_object() || j.value("schema", "") != "splitsecond.claims/1")
    throw std::invalid_argument("not a splitsecond.claims/1 report");
  std::vector<ClaimResult> out;
  for (const auto& c : j.at("claims")) {
    ClaimResult r;
    r.id = c.at("id");
    r.claim = c.at("claim");
    r.measured = c.at("measured");
    r.verdict = c.at("verdict");
    if (c.contains("condition") && c["condition"].is_string()) r.condition = c["condition"];
    out.push_back(std::move(r));
  }
  for (const auto& c : j.at("not_measured"))
    out.push_back({c.at("id"), c.at("claim"), c.at("why"), "not measured", ""});
  return out;
}

}  // namespace ss::report
