#include "report/survival.hpp"

#include <fmt/format.h>

namespace ss::report {
namespace {

std::optional<double> number(const nlohmann::json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

std::string join(const nlohmann::json& j) {
  std::string out;
  if (!j.is_array()) return "?";
  for (const auto& v : j)
    out += (out.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out.empty() ? "nothing" : out;
}

int integer(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : 0;
}

// What the record says about how a probe met the disconnect, in words.
// `phys`: the record's physical interface name ("" in older records).
std::string mechanism(const ProbeFate& p, const std::string& phys) {
  const std::string iface = phys.empty() ? "the physical interface" : phys;
  const auto& x = p.extra;
  if (!p.setup_ok) return "never reached its server before t=0: " + p.error.value_or("?");
  std::string m;
  if (p.proto == "dns") {
    m = fmt::format("answered by {} before, {} after",
                    join(x.value("answered_by_before", nlohmann::json())),
                    join(x.value("answered_by_after", nlohmann::json())));
    if (integer(x, "failed_after"))
      m += fmt::format("; {} lookups failed ({})", integer(x, "failed_after"),
                       p.error.value_or("?"));
    if (number(x, "lookup_hanging_since_ms")) m += "; a lookup still waiting at the end";
    return m;
  }
  if (p.proto == "doh") {
    m = p.error ? fmt::format("lookups failed ({})", *p.error) : "lookups kept succeeding";
    if (integer(x, "new_connections_after"))
      m += fmt::format("; {} new HTTPS connection(s) after t=0",
                       integer(x, "new_connections_after"));
    return m;
  }
  if (p.proto == "http") {
    m = fmt::format("server saw {} before, {} after",
                    join(x.value("server_saw_before", nlohmann::json())),
                    join(x.value("server_saw_after", nlohmann::json())));
    if (p.error) m += fmt::format("; a request failed ({})", *p.error);
    return m;
  }
  const std::string outcome = x.value("outcome", "");
  if (x.contains("late_send") && x["late_send"].is_object()) {
    const auto& l = x["late_send"];
    const std::string what = l.value("outcome", "?");
    m = fmt::format("one message sent at +{:.0f} ms: ", number(l, "sent_ms").value_or(0));
    m += what == "echo"    ? fmt::format("echoed after {:.0f} ms", *number(l, "after_ms"))
         : what == "error" ? fmt::format("{} after {:.0f} ms", l.value("error", "?"),
                                         number(l, "after_ms").value_or(0))
                           : "no echo and no error by the end of the window";
  } else if (x.contains("late_send")) {
    m = "the late message was never sent";
    if (p.error) m += fmt::format(" ({} after {:.0f} ms)", *p.error, p.detected_ms.value_or(0));
  } else if (outcome == "yes" || (outcome.empty() && p.survived))
    m = "data kept flowing";
  else if (outcome == "partial" && !p.error)
    m = "data came back after the disconnect, then stopped for longer than the bound";
  else if (outcome == "partial")
    m = fmt::format("data came back after the disconnect, then {} after {:.0f} ms", *p.error,
                    p.detected_ms.value_or(0));
  else if (p.error)
    m = fmt::format("{} after {:.0f} ms", *p.error, p.detected_ms.value_or(0));
  else
    m = "no error and no data to the end of the window";
  if (x.contains("wire_after_t0")) {
    const auto& w = x["wire_after_t0"];
    const int out = integer(w, "segments_out");
    m += out ? fmt::format("; {} segments left {} from {}, {} RST back", out, iface,
                           join(w.value("sources", nlohmann::json())), integer(w, "rst_in"))
             : fmt::format("; no segment of it left {} (its source address is gone)", iface);
    if (integer(x, "tcp_unacked"))
      m += fmt::format("; {} segments unacknowledged", integer(x, "tcp_unacked"));
  }
  if (x.contains("server_addresses")) m += "; server saw " + join(x["server_addresses"]);
  if (x.contains("path_validation")) m += "; path validation: " + join(x["path_validation"]);
  if (number(x, "gap_ms")) m += fmt::format("; gap {:.0f} ms", *number(x, "gap_ms"));
  return m;
}

}  // namespace

std::vector<SurvivalRow> survival_table(const RunRecord& r) {
  std::vector<SurvivalRow> rows;
  for (const auto& p : r.probes) {
    SurvivalRow row;
    row.probe = p.name;
    row.detected_ms = p.detected_ms;
    row.recovered_ms = number(p.extra, "recovered_ms");
    if (!row.recovered_ms) row.recovered_ms = number(p.extra, "reconnected_ms");
    if (!p.setup_ok)
      row.survived = "set-up failed";
    else if (p.extra.contains("outcome") && p.extra["outcome"].is_string())
      row.survived = p.extra["outcome"].get<std::string>();
    else if (p.survived && !p.error)
      row.survived = "yes";
    else if (p.survived || row.recovered_ms)
      row.survived = "partial";
    else
      row.survived = "no";
    row.mechanism = mechanism(p, r.physical_interface);
    const auto longest = number(p.extra, "longest_silence_ms");
    const auto bound = number(p.extra, "silence_bound_ms");
    const auto from = number(p.extra, "silence_started_ms");
    if (p.setup_ok && longest && bound)
      row.silence = *longest > *bound ? fmt::format("{:.0f} > {:.0f} ms from {:+.0f}", *longest,
                                                    *bound, from.value_or(0))
                                      : fmt::format("{:.0f} <= {:.0f} ms", *longest, *bound);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string render_survival(const std::vector<SurvivalRow>& rows) {
  auto ms = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.0f} ms", *v) : std::string("-");
  };
  std::string out = fmt::format("{:<14} {:<14} {:>10} {:>10} {:>26}  {}\n", "probe", "survived",
                                "detected", "recovered", "silence (bound)", "what was seen");
  for (const auto& r : rows)
    out += fmt::format("{:<14} {:<14} {:>10} {:>10} {:>26}  {}\n", r.probe, r.survived,
                       ms(r.detected_ms), ms(r.recovered_ms), r.silence, r.mechanism);
  return out;
}

}  // namespace ss::report
