// The trace export against the Trace Event format as Perfetto's JSON importer reads it:
// microsecond timestamps, non-negative; per track, time order, every B with its E, complete
// ("X") slices nested; named tracks; the leak counter. From the stored real records and from
// hand-built ones; the checker itself is shown to reject broken traces.
#include "report/trace.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report/html_lanes.hpp"

using nlohmann::json;
using ss::report::trace_json;
using ::testing::Contains;

namespace {

json stored_json(const std::string& name) {
  std::ifstream f(std::string(SS_TEST_DATA) + "/" + name);
  EXPECT_TRUE(f) << name;
  return json::parse(f);
}

// Everything wrong with a trace, one line each ("" when it is well formed).
std::vector<std::string> problems(const json& trace) {
  std::vector<std::string> out;
  if (!trace.contains("traceEvents") || !trace["traceEvents"].is_array())
    return {"no traceEvents array"};
  using Track = std::pair<int, int>;
  std::map<Track, int64_t> last_ts;
  std::map<Track, std::vector<std::string>> open_b;
  std::map<Track, std::vector<int64_t>> open_x;  // ends of the enclosing X slices
  std::set<Track> named;
  for (const auto& e : trace["traceEvents"]) {
    const std::string ph = e.value("ph", "");
    if (ph.empty() || !e.contains("pid")) {
      out.push_back("an event without ph or pid: " + e.dump());
      continue;
    }
    const Track track{e["pid"].get<int>(), e.value("tid", 0)};
    if (ph == "M") {
      if (e.value("name", "") == "thread_name") named.insert(track);
      continue;
    }
    if (!e.contains("ts") || !e["ts"].is_number_integer() || e["ts"].get<int64_t>() < 0) {
      out.push_back("ts not a non-negative integer (microseconds): " + e.dump());
      continue;
    }
    const int64_t ts = e["ts"];
    if (last_ts.count(track) && ts < last_ts[track])
      out.push_back(
          fmt::format("ts goes back on track {}/{} at {}", track.first, track.second, ts));
    last_ts[track] = ts;
    if (ph != "C" && !named.count(track))
      out.push_back(fmt::format("track {}/{} has no thread_name", track.first, track.second));
    auto& xs = open_x[track];
    while (!xs.empty() && xs.back() <= ts) xs.pop_back();
    if (ph == "B") open_b[track].push_back(e.value("name", ""));
    if (ph == "E") {
      if (open_b[track].empty())
        out.push_back(fmt::format("E without B on track {}/{}", track.first, track.second));
      else
        open_b[track].pop_back();
    }
    if (ph == "X") {
      if (!e.contains("dur") || !e["dur"].is_number_integer() || e["dur"].get<int64_t>() < 0) {
        out.push_back("X without a non-negative integer dur: " + e.dump());
        continue;
      }
      const int64_t end = ts + e["dur"].get<int64_t>();
      if (!xs.empty() && end > xs.back())
        out.push_back("X slice overlapping its parent's end: " + e.dump());
      xs.push_back(end);
    }
    if (ph == "C") {
      const json args = e.contains("args") ? e["args"] : json::object();
      for (const auto& [k, v] : args.items())
        if (!v.is_number()) out.push_back("counter value not a number: " + k);
    }
    if (ph == "i" && !std::set<std::string>{"g", "p", "t"}.count(e.value("s", "t")))
      out.push_back("instant with a bad scope: " + e.dump());
  }
  for (const auto& [track, names] : open_b)
    if (!names.empty())
      out.push_back(fmt::format("B without E on track {}/{}", track.first, track.second));
  return out;
}

const json* find_event(const json& trace, const std::string& ph, const std::string& name) {
  for (const auto& e : trace["traceEvents"])
    if (e.value("ph", "") == ph && e.value("name", "") == name) return &e;
  return nullptr;
}

std::set<std::string> thread_names(const json& trace) {
  std::set<std::string> out;
  for (const auto& e : trace["traceEvents"])
    if (e.value("ph", "") == "M" && e.value("name", "") == "thread_name")
      out.insert(e["args"]["name"].get<std::string>());
  return out;
}

const char* const kStored[] = {"crash-record.json", "disconnect-record.json",
                               "survival-record.json", "survival-latest-record.json"};

}  // namespace

TEST(Trace, StoredRecordsGiveWellFormedTraces) {
  for (const char* name : kStored) {
    SCOPED_TRACE(name);
    const auto r = ss::record_from_json(stored_json(name));
    const json trace = trace_json(r);
    EXPECT_EQ(problems(trace), std::vector<std::string>{});
    EXPECT_EQ(trace["displayTimeUnit"], "ms");
    // It survives a round trip through text, as a file would.
    EXPECT_EQ(problems(json::parse(trace.dump())), std::vector<std::string>{});
    const auto names = thread_names(trace);
    for (const char* lane : {"actions", "link", "addresses", "routes", "DNS resolver",
                             "packets: tunnel", "packets: bypass", "leaked packets / ms"})
      EXPECT_THAT(names, Contains(lane));
    for (const auto& p : r.probes) EXPECT_THAT(names, Contains(p.name + " (" + p.proto + ")"));
  }
}

TEST(Trace, TimestampsAreMicrosecondsWithTZeroAtItsOffset) {
  const json raw = stored_json("survival-latest-record.json");
  const json trace = trace_json(ss::record_from_json(raw));
  int64_t first = 0;
  for (const auto& e : raw["events"]) first = std::min<int64_t>(first, e["t_us"]);
  const int64_t t0 = trace["otherData"]["t0_ts_us"];
  EXPECT_EQ(t0, -first) << "the earliest recorded time is ts 0";
  // The disconnect: an instant across the run at t=0 and its call as a slice of took_us.
  const json* action = find_event(trace, "i", "disconnect (clean)");
  ASSERT_NE(action, nullptr);
  EXPECT_EQ((*action)["ts"], t0);
  EXPECT_EQ((*action)["s"], "p");
  const json* call = find_event(trace, "X", "disconnect (clean)");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ((*call)["dur"], raw["triggers"][0]["took_us"]);
  // A link event at its recorded microsecond.
  int64_t removed_us = -1;
  for (const auto& e : raw["events"])
    if (e["layer"] == "link" && e["kind"] == "removed") removed_us = e["t_us"];
  const json* removed = find_event(trace, "i", "tun0 removed");
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ((*removed)["ts"], t0 + removed_us);
  EXPECT_EQ((*removed)["args"]["ifname"], "tun0");
}

TEST(Trace, LeaksAreACounterOfPacketsPerMillisecond) {
  const json raw = stored_json("disconnect-record.json");
  const json trace = trace_json(ss::record_from_json(raw));
  int leaked = 0, counted = 0;
  for (const auto& e : raw["events"])
    if (e["layer"] == "packet" && e.value("dir", "") == "out" &&
        (e["kind"] == "bypass" || e["kind"] == "dns_plaintext"))
      ++leaked;
  const json* last = nullptr;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "C") {
      counted += e["args"]["leaked"].get<int>();
      last = &e;
    }
  EXPECT_GT(leaked, 0);
  EXPECT_EQ(counted, leaked);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ((*last)["args"]["leaked"], 0) << "the counter goes back to 0 after the last leak";
}

TEST(Trace, ProbeSlicesStopAtTheErrorAndNest) {
  ss::RunRecord r;
  r.scenario = "hand";
  r.disconnect = "clean";
  r.window_ms = 1000;
  r.events.push_back({-2000, ss::Layer::probe, "ready", {{"agent", "tcp-client"}}});
  ss::ProbeFate p;
  p.name = "tcp";
  p.proto = "tcp";
  p.detected_ms = 100;
  p.error = "ETIMEDOUT";
  // A silence that runs past the error: clipped to the probe's slice, so slices still nest.
  p.extra = {{"outcome", "no"}, {"silence_started_ms", 50.0}, {"longest_silence_ms", 900.0}};
  r.probes = {p};
  const json trace = trace_json(r);
  EXPECT_EQ(problems(trace), std::vector<std::string>{});
  const json* bar = find_event(trace, "X", "survived: no");
  ASSERT_NE(bar, nullptr);
  EXPECT_EQ((*bar)["ts"], 2000);
  EXPECT_EQ((*bar)["dur"], 100'000);
  const json* silence = find_event(trace, "X", "silence 900 ms");
  ASSERT_NE(silence, nullptr);
  EXPECT_EQ((*silence)["ts"], 2000 + 50'000);
  EXPECT_EQ((*silence)["dur"], 50'000);
  EXPECT_NE(find_event(trace, "i", "ETIMEDOUT"), nullptr);
}

TEST(Trace, SeveralRunsAreSeveralProcesses) {
  std::map<std::string, ss::RunRecord> runs = {
      {"clean", ss::record_from_json(stored_json("disconnect-record.json"))},
      {"crash", ss::record_from_json(stored_json("crash-record.json"))}};
  const json trace = trace_json(runs);
  EXPECT_EQ(problems(trace), std::vector<std::string>{});
  std::set<std::string> processes;
  std::set<int> pids;
  for (const auto& e : trace["traceEvents"]) {
    if (e["name"] == "process_name") processes.insert(e["args"]["name"].get<std::string>());
    pids.insert(e["pid"].get<int>());
  }
  EXPECT_EQ(processes, (std::set<std::string>{"splitsecond: clean", "splitsecond: crash"}));
  EXPECT_EQ(pids, (std::set<int>{1, 2}));
}

// The checker above is what the tests rely on: it must reject what the format forbids.
TEST(Trace, TheCheckerRejectsBrokenTraces) {
  auto with = [](json events) {
    json all = {
        {{"ph", "M"}, {"name", "thread_name"}, {"pid", 1}, {"tid", 1}, {"args", {{"name", "t"}}}}};
    for (auto& e : events) all.push_back(e);
    return json{{"traceEvents", all}};
  };
  EXPECT_EQ(problems(with({{{"ph", "B"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 5}},
                           {{"ph", "E"}, {"pid", 1}, {"tid", 1}, {"ts", 9}}})),
            std::vector<std::string>{});
  EXPECT_EQ(
      problems(with({{{"ph", "B"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 5}}})).size(), 1u);
  EXPECT_EQ(problems(with({{{"ph", "E"}, {"pid", 1}, {"tid", 1}, {"ts", 5}}})).size(), 1u);
  EXPECT_EQ(problems(with({{{"ph", "i"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 9}},
                           {{"ph", "i"}, {"name", "b"}, {"pid", 1}, {"tid", 1}, {"ts", 5}}}))
                .size(),
            1u);
  EXPECT_EQ(
      problems(with({{{"ph", "i"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 1.5}}})).size(),
      1u);
  EXPECT_EQ(
      problems(with({{{"ph", "i"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", -1}}})).size(),
      1u);
  EXPECT_EQ(
      problems(with({{{"ph", "X"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 0}, {"dur", 10}},
                     {{"ph", "X"}, {"name", "b"}, {"pid", 1}, {"tid", 1}, {"ts", 5}, {"dur", 10}}}))
          .size(),
      1u);
  EXPECT_EQ(
      problems(with({{{"ph", "i"}, {"name", "a"}, {"pid", 1}, {"tid", 2}, {"ts", 1}}})).size(), 1u)
      << "a track without a name";
}

TEST(Trace, EveryMarkOfTheLanesIsInTheTrace) {
  const auto r = ss::record_from_json(stored_json("crash-record.json"));
  const auto lanes = ss::report::timeline_lanes(r);
  size_t marks = 0;
  for (const auto& l : lanes.lanes)
    if (l.group != "leaks") marks += l.marks.size();
  size_t slices = 0;
  const json trace = trace_json(r);
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X" || (e["ph"] == "i" && e.value("s", "") == "t")) ++slices;
  EXPECT_EQ(slices, marks);
}
