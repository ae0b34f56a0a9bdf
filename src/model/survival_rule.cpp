#include "model/survival_rule.hpp"

#include <algorithm>

namespace ss {
namespace {

double ms_between(int64_t from_ns, int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e6;
}

}  // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::yes:
      return "yes";
    case Outcome::partial:
      return "partial";
    case Outcome::no:
      return "no";
  }
  return "?";
}

Survival judge_stream(const StreamTrace& trace, const Window& w) {
  Survival s;
  std::vector<int64_t> arrivals;
  for (const auto& a : trace.answers) {
    if (a.at_ns > w.end_ns) continue;
    arrivals.push_back(a.at_ns);
    if (a.sent_ns && *a.sent_ns >= w.trigger_end_ns &&
        (!s.round_trip_ns || a.at_ns < *s.round_trip_ns))
      s.round_trip_ns = a.at_ns;
  }
  std::sort(arrivals.begin(), arrivals.end());
  // The longest stretch without data back, from the watched start to the end of the window.
  int64_t prev = std::max(w.trigger_end_ns, trace.quiet_until_ns);
  s.silence_from_ns = prev;
  for (int64_t t : arrivals) {
    if (t <= prev) continue;
    if (t - prev > s.longest_silence_ns) s.longest_silence_ns = t - prev, s.silence_from_ns = prev;
    prev = t;
  }
  if (w.end_ns - prev > s.longest_silence_ns) {
    s.longest_silence_ns = w.end_ns - prev;
    s.silence_from_ns = prev;
    s.silence_to_end = true;
  }
  const bool errored = trace.error_ns && *trace.error_ns >= w.t0_ns && *trace.error_ns <= w.end_ns;
  if (!s.round_trip_ns)
    s.outcome = Outcome::no;
  else if (errored || s.longest_silence_ns > trace.silence_bound_ns)
    s.outcome = Outcome::partial;
  else
    s.outcome = Outcome::yes;
  return s;
}

void apply_survival(ProbeFate& f, const Survival& s, const StreamTrace& trace, const Window& w) {
  f.survived = s.outcome == Outcome::yes;
  f.extra["outcome"] = outcome_name(s.outcome);
  f.extra["trigger_end_ms"] = ms_between(w.t0_ns, w.trigger_end_ns);
  f.extra["silence_bound_ms"] = static_cast<double>(trace.silence_bound_ns) / 1e6;
  f.extra["longest_silence_ms"] = static_cast<double>(s.longest_silence_ns) / 1e6;
  f.extra["silence_started_ms"] = ms_between(w.t0_ns, s.silence_from_ns);
  f.extra["silence_to_end"] = s.silence_to_end;
  f.extra["round_trip_after_ms"] = s.round_trip_ns
                                       ? nlohmann::json(ms_between(w.t0_ns, *s.round_trip_ns))
                                       : nlohmann::json(nullptr);
  f.extra["state"] = f.survived                      ? "alive"
                     : s.outcome == Outcome::partial ? "interrupted"
                     : f.error                       ? "failed"
                                                     : "hanging";
}

void judge_into(ProbeFate& f, const StreamTrace& trace, const Window& w) {
  apply_survival(f, judge_stream(trace, w), trace, w);
}

TriggerEnd trigger_end(bool crash, const std::vector<std::pair<int64_t, Event>>& events,
                       const std::string& tunnel_if, int64_t t0_ns, int64_t call_done_ns,
                       int64_t end_ns) {
  if (!crash) return {call_done_ns, "call"};
  for (const auto& [t, e] : events)
    if (t >= t0_ns && t <= end_ns && e.layer == Layer::link && e.kind == "removed" &&
        e.detail.value("ifname", "") == tunnel_if)
      return {t, "link-removed"};
  return {end_ns, "window-end"};
}

}  // namespace ss
