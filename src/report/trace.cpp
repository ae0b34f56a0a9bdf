#include "report/trace.hpp"

#include <algorithm>
#include <vector>

#include "report/html_lanes.hpp"

namespace ss::report {
namespace {

using nlohmann::json;

json metadata(const char* name, int pid, int tid, json args) {
  json e = {{"ph", "M"}, {"name", name}, {"pid", pid}, {"args", std::move(args)}};
  if (tid >= 0) e["tid"] = tid;
  return e;
}

struct Slice {
  int64_t ts = 0, dur = -1;  // dur < 0: an instant
  json event;
};

// Per track: slices sorted by start (longer first), each one clipped to the slice it starts
// in, so that they nest as the format requires; instants keep their place in time.
void nest(std::vector<Slice>& track) {
  std::stable_sort(track.begin(), track.end(), [](const Slice& a, const Slice& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.dur > b.dur;
  });
  std::vector<int64_t> open_ends;
  for (auto& s : track) {
    if (s.dur < 0) continue;
    while (!open_ends.empty() && open_ends.back() <= s.ts) open_ends.pop_back();
    if (!open_ends.empty() && s.ts + s.dur > open_ends.back()) s.dur = open_ends.back() - s.ts;
    s.event["dur"] = s.dur;
    open_ends.push_back(s.ts + s.dur);
  }
}

// The leaked packets per millisecond as a counter: its value at each bin's start, and back
// to 0 where the next millisecond has none.
std::vector<Slice> leak_counter(const Timeline& t, int64_t origin, int pid, int tid) {
  std::vector<Slice> out;
  for (size_t i = 0; i < t.leak_bins.size(); ++i) {
    const auto& b = t.leak_bins[i];
    const int64_t ts = b.ms * 1000 - origin;
    out.push_back({ts,
                   -1,
                   {{"ph", "C"},
                    {"name", "leaked packets per ms"},
                    {"ts", ts},
                    {"pid", pid},
                    {"tid", tid},
                    {"args", {{"leaked", b.count}}}}});
    if (i + 1 == t.leak_bins.size() || t.leak_bins[i + 1].ms != b.ms + 1)
      out.push_back({ts + 1000,
                     -1,
                     {{"ph", "C"},
                      {"name", "leaked packets per ms"},
                      {"ts", ts + 1000},
                      {"pid", pid},
                      {"tid", tid},
                      {"args", {{"leaked", 0}}}}});
  }
  return out;
}

void add_run(const RunRecord& r, const std::string& name, int pid, int64_t origin, json& events) {
  const Timeline t = timeline_lanes(r);
  events.push_back(metadata("process_name", pid, -1, {{"name", name}}));
  events.push_back(metadata("process_sort_index", pid, -1, {{"sort_index", pid}}));
  std::vector<Slice> all;
  for (size_t i = 0; i < t.lanes.size(); ++i) {
    const Lane& lane = t.lanes[i];
    const int tid = static_cast<int>(i) + 1;
    events.push_back(metadata("thread_name", pid, tid, {{"name", lane.title}}));
    events.push_back(metadata("thread_sort_index", pid, tid, {{"sort_index", tid}}));
    std::vector<Slice> track;
    if (lane.group == "leaks") {
      track = leak_counter(t, origin, pid, tid);
    } else {
      for (const auto& m : lane.marks) {
        const int64_t ts = m.t_us - origin;
        json args = m.args;
        args["details"] = m.tip;
        json e = {{"name", m.label}, {"cat", lane.group}, {"ts", ts},
                  {"pid", pid},      {"tid", tid},        {"args", std::move(args)}};
        if (m.end_us) {
          e["ph"] = "X";
          track.push_back({ts, std::max<int64_t>(0, *m.end_us - m.t_us), std::move(e)});
        } else {
          e["ph"] = "i";
          e["s"] = "t";
          track.push_back({ts, -1, std::move(e)});
        }
      }
      nest(track);
    }
    for (auto& s : track) all.push_back(std::move(s));
  }
  for (const auto& a : t.actions) {  // a line across the run's tracks
    if (a.kind == "signal") continue;
    const int64_t ts = a.t_us - origin;
    all.push_back({ts,
                   -1,
                   {{"ph", "i"},
                    {"s", "p"},
                    {"name", a.label},
                    {"cat", "actions"},
                    {"ts", ts},
                    {"pid", pid},
                    {"tid", 1},
                    {"args", {{"details", a.tip}}}}});
  }
  std::stable_sort(all.begin(), all.end(), [](const Slice& a, const Slice& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.dur > b.dur;
  });
  for (auto& s : all) events.push_back(std::move(s.event));
}

int64_t origin_of(const RunRecord& r) {
  return std::min<int64_t>(0, timeline_lanes(r).first_us);
}

json document(json events, int64_t origin, json other) {
  other["t0_ts_us"] = -origin;
  other["time_unit"] = "us; t=0 (the first action) is at t0_ts_us";
  return {{"traceEvents", std::move(events)},
          {"displayTimeUnit", "ms"},
          {"otherData", std::move(other)}};
}

}  // namespace

json trace_json(const RunRecord& r) {
  const int64_t origin = origin_of(r);
  json events = json::array();
  add_run(r, "splitsecond: " + r.scenario + " (" + r.disconnect + ")", 1, origin, events);
  return document(
      std::move(events), origin,
      {{"generator", "splitsecond"}, {"scenario", r.scenario}, {"disconnect", r.disconnect}});
}

json trace_json(const std::map<std::string, RunRecord>& runs) {
  int64_t origin = 0;
  for (const auto& [name, r] : runs) origin = std::min(origin, origin_of(r));
  json events = json::array();
  int pid = 0;
  for (const auto& [name, r] : runs) add_run(r, "splitsecond: " + name, ++pid, origin, events);
  return document(std::move(events), origin, {{"generator", "splitsecond"}, {"runs", runs.size()}});
}

}  // namespace ss::report
