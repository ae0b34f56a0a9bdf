#include "model/killswitch_run.hpp"

#include <fmt/format.h>

#include "model/errors.hpp"
#include "model/scenario.hpp"

#include <algorithm>
#include <regex>
#include <sstream>

namespace ss {

const char* killswitch_kind_name(KillSwitchKind k) {
  switch (k) {
    case KillSwitchKind::none:
      return "none";
    case KillSwitchKind::ours:
      return "ours";
    case KillSwitchKind::wg_quick_recipe:
      return "wg-quick-recipe";
  }
  return "?";
}

std::optional<KillSwitchKind> killswitch_kind_from(const std::string& name) {
  for (auto k : {KillSwitchKind::none, KillSwitchKind::ours, KillSwitchKind::wg_quick_recipe})
    if (name == killswitch_kind_name(k)) return k;
  return std::nullopt;
}

std::string killswitch_client_problem(KillSwitchKind kind, const std::string& client) {
  if (kind != KillSwitchKind::wg_quick_recipe || client == "wg-quick") return "";
  return fmt::format(
      "'wg-quick-recipe' is wg-quick's PostUp/PreDown lines and runs only with vpn.client = "
      "\"wg-quick\", not with vpn.client = \"{}\" (use true for ours, or \"none\")",
      client);
}

void override_killswitch(Scenario& s, const std::string& value) {
  if (!value.empty()) {
    if (!killswitch_kind_from(value))
      throw UsageError(
          fmt::format("--killswitch {}: expected ours, wg-quick-recipe or none", value));
    s.killswitch = value;
  }
  if (auto why = killswitch_client_problem(*killswitch_kind_from(s.killswitch), s.vpn.client);
      !why.empty())
    throw UsageError(
        fmt::format("{}: killswitch: {}", value.empty() ? s.origin : "--killswitch " + value, why));
}

std::vector<std::string> wgquick_recipe_lines() {
  // wg-quick replaces %i with the interface's name; $(...) runs in its shell.
  const std::string rule =
      "OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL -j "
      "REJECT";
  return {"PostUp = iptables -I " + rule, "PreDown = iptables -D " + rule,
          "PostUp = ip6tables -I " + rule, "PreDown = ip6tables -D " + rule};
}

int64_t KillSwitchRun::refused_packets() const {
  int64_t n = 0;
  if (counters_at_end)
    for (const auto& c : *counters_at_end) n += c.packets;
  return n;
}

nlohmann::json killswitch_run_json(const KillSwitchRun& k) {
  nlohmann::json j = {
      {"kind", k.kind},   {"tunnel_match", k.tunnel_match},     {"refusal", k.refusal},
      {"rules", k.rules}, {"changes", nlohmann::json::array()}, {"counters_at_end", nullptr},
      {"notes", k.notes}};
  for (const auto& c : k.changes)
    j["changes"].push_back({{"at_us", c.at_us},
                            {"what", c.what},
                            {"state", c.state},
                            {"reason", c.reason},
                            {"took_us", c.took_us}});
  if (k.counters_at_end) {
    j["counters_at_end"] = nlohmann::json::array();
    for (const auto& c : *k.counters_at_end)
      j["counters_at_end"].push_back({{"rule", c.rule}, {"packets", c.packets}});
  }
  return j;
}

KillSwitchRun killswitch_run_from_json(const nlohmann::json& j) {
  KillSwitchRun k;
  k.kind = j.value("kind", "");
  k.tunnel_match = j.value("tunnel_match", "");
  k.refusal = j.value("refusal", "");
  if (j.contains("rules")) k.rules = j["rules"].get<std::vector<std::string>>();
  if (j.contains("notes")) k.notes = j["notes"].get<std::vector<std::string>>();
  for (const auto& c : j.value("changes", nlohmann::json::array()))
    k.changes.push_back({c.value("at_us", int64_t{0}), c.value("what", ""), c.value("state", ""),
                         c.value("reason", ""), c.value("took_us", int64_t{0})});
  if (j.contains("counters_at_end") && j["counters_at_end"].is_array()) {
    k.counters_at_end.emplace();
    for (const auto& c : j["counters_at_end"])
      k.counters_at_end->push_back({c.value("rule", ""), c.value("packets", int64_t{0})});
  }
  return k;
}

std::string render_killswitch(const KillSwitchRun& k) {
  std::string out =
      fmt::format("kill switch: {} (tunnel matched by {}; blocked packets {})\n", k.kind,
                  k.tunnel_match, k.refusal == "drop" ? "dropped" : "rejected");
  for (const auto& c : k.changes)
    out += fmt::format("  {:>+10.1f} ms  {} ({}) in {:.1f} ms: {}\n",
                       static_cast<double>(c.at_us) / 1000.0, c.what, c.state,
                       static_cast<double>(c.took_us) / 1000.0, c.reason);
  if (!k.counters_at_end) {
    out += "  at the end of the window its rules were gone\n";
  } else {
    out += fmt::format("  at the end of the window its rules had refused {} packets\n",
                       k.refused_packets());
    for (const auto& c : *k.counters_at_end)
      if (c.packets > 0) out += fmt::format("    {:>6}  {}\n", c.packets, c.rule);
  }
  for (const auto& n : k.notes) out += "  " + n + "\n";
  return out;
}

std::vector<RuleCounter> parse_rule_counters(const std::string& listing) {
  static const std::regex counter(R"(\s*counter packets (\d+) bytes \d+)");
  std::vector<RuleCounter> out;
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, counter)) continue;
    RuleCounter c;
    c.packets = std::stoll(m[1].str());
    std::string rule = m.prefix().str() + m.suffix().str();
    const auto first = rule.find_first_not_of(" \t");
    c.rule = first == std::string::npos ? "" : rule.substr(first);
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<AppOutcome> app_outcome_from(const nlohmann::json& line) {
  if (!line.is_object() || line.value("kind", "") != "outcome" || !line.contains("op"))
    return std::nullopt;
  AppOutcome o;
  o.op = line.value("op", "");
  o.error = line.value("error", "");
  if (line.contains("after_ms") && line["after_ms"].is_number())
    o.after_ms = line["after_ms"].get<double>();
  o.bound_ms = line.value("bound_ms", 0.0);
  o.detail = line.value("detail", "");
  return o;
}

nlohmann::json app_views_json(const std::vector<AppView>& views) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& v : views) {
    nlohmann::json ops = nlohmann::json::array();
    for (const auto& o : v.outcomes)
      ops.push_back({{"op", o.op},
                     {"error", o.error},
                     {"after_ms", o.after_ms ? nlohmann::json(*o.after_ms) : nullptr},
                     {"bound_ms", o.bound_ms},
                     {"detail", o.detail}});
    j.push_back({{"killswitch", v.killswitch}, {"outcomes", ops}});
  }
  return j;
}

namespace {

std::string cell(const AppOutcome& o) {
  if (!o.after_ms) return fmt::format("hung ({:.0f} ms bound)", o.bound_ms);
  std::string s = fmt::format("{} after {:.1f} ms", o.error.empty() ? "ok" : o.error, *o.after_ms);
  if (!o.detail.empty()) s += ", " + o.detail;
  return s;
}

}  // namespace

std::string render_app_views(const std::vector<AppView>& views) {
  std::vector<std::string> ops;
  for (const auto& v : views)
    for (const auto& o : v.outcomes)
      if (std::find(ops.begin(), ops.end(), o.op) == ops.end()) ops.push_back(o.op);
  std::string out = "what an application sees when the kill switch blocks it\n";
  for (const auto& v : views) {
    out += fmt::format("  {}\n", v.killswitch);
    for (const auto& op : ops) {
      auto it = std::find_if(v.outcomes.begin(), v.outcomes.end(),
                             [&](const AppOutcome& o) { return o.op == op; });
      out += fmt::format("    {:<8} {}\n", op, it == v.outcomes.end() ? "not run" : cell(*it));
    }
  }
  return out;
}

}  // namespace ss
