// The HTML page of a gap sweep: every figure from the sweep record (model/sweep.hpp).
#include <fmt/format.h>

#include "report/html.hpp"
#include "report/html_svg.hpp"
#include "report/sweep_svg.hpp"

namespace ss::report {
namespace {

std::string esc(const std::string& s) {
  return html_escape(s);
}

std::string gap_text(Micros g) {
  return axis_time(static_cast<double>(g.count())).substr(1);  // a gap has no sign
}

std::string cell(const GapCounts& c) {
  const auto f = c.survived_fraction();
  if (!f)
    return c.setup_failed ? fmt::format("<td class=\"num\">set-up failed x{}</td>", c.setup_failed)
                          : "<td class=\"num\">-</td>";
  const int judged = c.yes + c.partial + c.no;
  const char* cls = c.yes == judged ? "yes" : c.no == judged ? "no" : "partial";
  return fmt::format(
      "<td class=\"num\"><span class=\"badge {}\" title=\"yes / partial / no\">{}/{}/{}</span>{}"
      "</td>",
      cls, c.yes, c.partial, c.no,
      c.setup_failed ? fmt::format(" +{} set-up failed", c.setup_failed) : "");
}

std::string item_row(const ItemResult& it) {
  std::string outcomes;
  for (const auto& [probe, outcome] : it.probes)
    outcomes.append(outcomes.empty() ? "" : ", ").append(probe).append(" ").append(outcome);
  return fmt::format(
      "<tr data-item=\"{}\"><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
      "class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1f} s</td>"
      "<td class=\"num\">{}</td><td>{}</td></tr>",
      it.item.index, it.item.index, esc(gap_text(it.item.gap)), it.item.rep, esc(it.status),
      it.exit_code, it.seconds,
      it.carrier_up_at_us ? esc(axis_time(static_cast<double>(*it.carrier_up_at_us))) : "-",
      esc(it.error.empty() ? outcomes : it.error));
}

}  // namespace

std::string sweep_title(const SweepRecord& r) {
  return fmt::format("{}: survival by gap ({}, {}; {} rep{} per gap)", r.def.scenario, r.def.vpn,
                     r.def.client, r.def.reps, r.def.reps == 1 ? "" : "s");
}

std::string html_sweep_page(const SweepRecord& r) {
  const SweepSummary s = summarize(r);
  std::string gaps, shards;
  for (auto g : r.def.gaps) gaps += (gaps.empty() ? "" : ", ") + gap_text(g);
  for (auto sh : r.shards) shards += (shards.empty() ? "" : ", ") + shard_name(sh);
  int ok = 0, failed = 0;
  for (size_t i = 0; i < s.gaps.size(); ++i) {
    ok += i < s.labs_ok.size() ? s.labs_ok[i] : 0;
    failed += i < s.labs_failed.size() ? s.labs_failed[i] : 0;
  }
  std::string body = fmt::format(
      "<header><h1>splitsecond <span class=\"what\">gap sweep</span> {}</h1><p class=\"sub\">"
      "{} via {}, {} rep{} per gap; {} labs with a record, {} without</p></header>",
      esc(r.def.scenario), esc(r.def.vpn), esc(r.def.client), r.def.reps,
      r.def.reps == 1 ? "" : "s", ok, failed);
  body += "<section class=\"card facts-card\"><dl class=\"facts\">";
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"scenario", r.def.scenario},
           {"VPN", r.def.vpn + " via " + r.def.client},
           {"gaps", gaps},
           {"reps per gap", std::to_string(r.def.reps)},
           {"splitsecond", r.def.version},
           {"shards", shards.empty() ? "(none)" : shards},
           {"labs at a time", std::to_string(r.jobs)},
           {"wall clock", fmt::format("{:.1f} s", r.wall_s)},
           {"items missing", r.missing.empty() ? "none" : std::to_string(r.missing.size())}})
    body += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>", esc(k), esc(v));
  body += "</dl></section>";

  std::string svg = render_sweep_svg(s, sweep_title(r));
  if (const auto at = svg.find("<svg"); at != std::string::npos) svg.erase(0, at);
  body += "<section class=\"card sweep-plot\"><h2>Survival by gap</h2><div class=\"plot\">" + svg +
          "</div></section>";

  body +=
      "<section class=\"card sweep-table\"><h2>Outcomes per probe and gap</h2><table><tr>"
      "<th>probe</th>";
  for (auto g : s.gaps) body += "<th class=\"num\">" + esc(gap_text(g)) + "</th>";
  body += "</tr>";
  for (const auto& p : s.probes) {
    body += fmt::format("<tr data-probe=\"{0}\"><td class=\"mono\">{0}</td>", esc(p.probe));
    for (const auto& c : p.by_gap) body += cell(c);
    body += "</tr>";
  }
  body += "<tr><td class=\"sub\">labs with a record / without</td>";
  for (size_t i = 0; i < s.gaps.size(); ++i)
    body += fmt::format("<td class=\"num\">{} / {}</td>", i < s.labs_ok.size() ? s.labs_ok[i] : 0,
                        i < s.labs_failed.size() ? s.labs_failed[i] : 0);
  body +=
      "</tr></table><p class=\"sub\">yes / partial / no: the labs whose survival table "
      "judged the probe at that gap.</p></section>";

  body += "<section class=\"card sweep-items\"><details><summary>Every lab (" +
          std::to_string(r.items.size()) +
          ")</summary><table><tr><th>#</th><th>gap</th><th>rep</th><th>status</th><th>exit</th>"
          "<th>took</th><th>carrier-up at</th><th>outcomes, or what happened</th></tr>";
  for (const auto& it : r.items) body += item_row(it);
  body += "</table></details></section>";
  return html_page("splitsecond: sweep " + r.def.scenario, body);
}

}  // namespace ss::report
