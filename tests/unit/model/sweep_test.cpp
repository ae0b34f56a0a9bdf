// The gap sweep's pure parts: gaps, the scenario at a gap, the item plan and its shards, the
// aggregation per probe and gap, the record's JSON and merging shards.
#include "model/sweep.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "model/errors.hpp"
#include "model/scenario.hpp"

using namespace std::chrono_literals;
using ss::ItemResult;
using ss::Micros;
using ss::SweepRecord;
using ::testing::HasSubstr;

namespace {

std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ss::UsageError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(SweepGaps, DefaultIsTenLogSpacedGapsFrom50msTo5s) {
  const auto g = ss::default_gaps();
  ASSERT_EQ(g.size(), 10u);
  EXPECT_EQ(g.front(), Micros(50'000));
  EXPECT_EQ(g.back(), Micros(5'000'000));
  for (size_t i = 1; i < g.size(); ++i) {
    EXPECT_GT(g[i], g[i - 1]);
    const double ratio = static_cast<double>(g[i].count()) / g[i - 1].count();
    EXPECT_NEAR(ratio, 1.668, 0.1) << "gap " << i;  // 100^(1/9), after rounding
  }
}

TEST(SweepGaps, ParsedSortedWithoutRepeats) {
  const auto g = ss::parse_gaps("1s, 50ms,200ms,50ms", "--gaps");
  EXPECT_EQ(g, (std::vector<Micros>{50ms, 200ms, 1s}));
}

TEST(SweepGaps, BadGapsNameTheOption) {
  for (const char* bad : {"", "abc", "50", "0ms", "61s", "50ms,,1s", "-5ms"}) {
    const auto e = usage_error([&] { ss::parse_gaps(bad, "--gaps"); });
    EXPECT_THAT(e, HasSubstr("--gaps")) << "'" << bad << "'";
  }
}

TEST(SweepScenario, TheCarrierUpMovesToTheGapAndTheTimeAfterItStaysTheSame) {
  const auto flicker = ss::load_scenario("flicker");
  ASSERT_EQ(flicker.timeline.size(), 2u);
  const Micros after = flicker.window - flicker.timeline[1].at;
  for (Micros gap : {Micros(50ms), Micros(5s), Micros(200ms)}) {
    const auto s = ss::with_carrier_gap(flicker, gap);
    EXPECT_EQ(s.timeline[0].kind, ss::ActionKind::carrier_down);
    EXPECT_EQ(s.timeline[0].at, Micros(0));
    EXPECT_EQ(s.timeline[1].kind, ss::ActionKind::carrier_up);
    EXPECT_EQ(s.timeline[1].at, gap);
    EXPECT_EQ(s.window - s.timeline[1].at, after);
  }
}

TEST(SweepScenario, ActionsAfterTheCarrierUpMoveWithIt) {
  const auto s = ss::parse_scenario(
      "name = \"x\"\n[record]\nwindow = \"3s\"\n"
      "[[timeline]]\nat = \"0ms\"\naction = \"carrier-down\"\n"
      "[[timeline]]\nat = \"200ms\"\naction = \"carrier-up\"\n"
      "[[timeline]]\nat = \"1s\"\naction = \"link-down\"\n",
      "t.toml");
  const auto moved = ss::with_carrier_gap(s, 2s);
  EXPECT_EQ(moved.timeline[1].at, Micros(2s));
  EXPECT_EQ(moved.timeline[2].at, Micros(2800ms));
  EXPECT_EQ(moved.window, Micros(4800ms));
}

TEST(SweepScenario, AScenarioWithoutACarrierLossHasNoGap) {
  const auto e = usage_error([] { ss::with_carrier_gap(ss::load_scenario("disconnect"), 1s); });
  EXPECT_THAT(e, HasSubstr("'disconnect'"));
  EXPECT_THAT(e, HasSubstr("no carrier-down directly followed by a carrier-up"));
  EXPECT_THAT(usage_error([] { ss::with_carrier_gap(ss::load_scenario("flicker"), 0s); }),
              HasSubstr("outside"));
}

TEST(SweepPlan, ItemsAreGapMajorAndNumberedFromZero) {
  const auto items = ss::plan_items({50ms, 1s, 5s}, 4);
  ASSERT_EQ(items.size(), 12u);
  for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(items[i].index, static_cast<int>(i));
  EXPECT_EQ(items[5].gap, Micros(1s));
  EXPECT_EQ(items[5].rep, 2);
  EXPECT_EQ(items[11].gap, Micros(5s));
  EXPECT_EQ(items[11].rep, 4);
}

TEST(SweepShard, TheSlicesCoverEveryItemExactlyOnce) {
  const auto items = ss::plan_items(ss::default_gaps(), 10);
  for (int n = 1; n <= 13; ++n) {
    std::multiset<int> seen;
    for (int k = 1; k <= n; ++k) {
      const auto slice = ss::shard_slice(items, {k, n});
      EXPECT_FALSE(slice.empty()) << k << "/" << n;
      // about equal: no slice holds more than one item above the others
      EXPECT_LE(slice.size(), items.size() / n + 1) << k << "/" << n;
      for (const auto& it : slice) seen.insert(it.index);
    }
    ASSERT_EQ(seen.size(), items.size()) << "N=" << n;
    for (const auto& it : items) EXPECT_EQ(seen.count(it.index), 1u) << "N=" << n;
  }
}

TEST(SweepShard, SliceIsDeterministic) {
  const auto items = ss::plan_items({50ms, 1s}, 3);
  const auto a = ss::shard_slice(items, ss::parse_shard("2/4", "--shard"));
  const auto b = ss::shard_slice(items, ss::parse_shard("2/4", "--shard"));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].index, 1);
  EXPECT_EQ(a[1].index, 5);
  ASSERT_EQ(b.size(), a.size());
  EXPECT_EQ(b[1].index, a[1].index);
}

TEST(SweepShard, BadSlicesNameTheOption) {
  for (const char* bad : {"0/2", "3/2", "a/b", "1/2x", "1/0", "1", "", "1-2"})
    EXPECT_THAT(usage_error([&] { ss::parse_shard(bad, "--shard"); }), HasSubstr("--shard")) << bad;
  const auto s = ss::parse_shard("3/7", "--shard");
  EXPECT_EQ(s.k, 3);
  EXPECT_EQ(s.n, 7);
  EXPECT_EQ(ss::shard_name(s), "3/7");
}

ItemResult ok_item(const ss::SweepItem& it, std::vector<std::pair<std::string, std::string>> p) {
  ItemResult r;
  r.item = it;
  r.probes = std::move(p);
  r.carrier_up_at_us = it.gap.count() + 300;
  r.window_ms = 2800.0 + it.gap.count() / 1000.0;
  r.seconds = 5.5;
  return r;
}

// A sweep of 2 gaps x 3 reps in which probes did and did not survive, and one lab failed.
SweepRecord sample_sweep() {
  SweepRecord r;
  r.def = {"flicker", "wireguard", "reference", {50ms, 2s}, 3, "0.1.0"};
  r.shards = {{1, 1}};
  r.jobs = 2;
  r.wall_s = 30;
  const auto plan = ss::plan_items(r.def.gaps, r.def.reps);
  r.items.push_back(ok_item(plan[0], {{"tcp", "yes"}, {"dns", "yes"}}));
  r.items.push_back(ok_item(plan[1], {{"tcp", "yes"}, {"dns", "yes"}}));
  r.items.push_back(ok_item(plan[2], {{"tcp", "partial"}, {"dns", "yes"}}));
  r.items.push_back(ok_item(plan[3], {{"tcp", "no"}, {"dns", "set-up failed"}}));
  r.items.push_back(ok_item(plan[4], {{"tcp", "partial"}, {"dns", "set-up failed"}}));
  ItemResult failed;
  failed.item = plan[5];
  failed.status = "failed";
  failed.exit_code = 3;
  failed.error = "cannot run here: wireguard-go missing";
  r.items.push_back(failed);
  return r;
}

TEST(SweepSummary, CountsEachOutcomePerProbeAndGap) {
  const auto s = ss::summarize(sample_sweep());
  ASSERT_EQ(s.probes.size(), 2u);
  EXPECT_EQ(s.probes[0].probe, "tcp");  // in the order they first appear
  const auto& tcp = s.probes[0].by_gap;
  EXPECT_EQ(tcp[0].yes, 2);
  EXPECT_EQ(tcp[0].partial, 1);
  EXPECT_EQ(tcp[0].no, 0);
  EXPECT_DOUBLE_EQ(*tcp[0].survived_fraction(), 2.0 / 3.0);
  EXPECT_EQ(tcp[1].yes, 0);
  EXPECT_EQ(tcp[1].partial, 1);
  EXPECT_EQ(tcp[1].no, 1);
  EXPECT_DOUBLE_EQ(*tcp[1].survived_fraction(), 0.0);
  const auto& dns = s.probes[1].by_gap;
  EXPECT_DOUBLE_EQ(*dns[0].survived_fraction(), 1.0);
  EXPECT_EQ(dns[1].setup_failed, 2);
  EXPECT_FALSE(dns[1].survived_fraction()) << "no lab judged dns at 2s";
  EXPECT_EQ(s.labs_ok, (std::vector<int>{3, 2}));
  EXPECT_EQ(s.labs_failed, (std::vector<int>{0, 1}));
}

TEST(SweepSummary, ALabWithoutARecordCountsForNoProbe) {
  auto r = sample_sweep();
  for (auto& it : r.items) it.status = "overran";
  const auto s = ss::summarize(r);
  EXPECT_TRUE(s.probes.empty());
  EXPECT_EQ(s.labs_failed, (std::vector<int>{3, 3}));
}

TEST(SweepSummary, LateCarrierUpsAreCounted) {
  auto r = sample_sweep();  // every carrier-up 300 us after its gap, one without any
  EXPECT_EQ(ss::late_carrier_ups(r, 1ms).labs, 0);
  r.items[1].carrier_up_at_us = 50'000 + 30'000;
  r.items[4].carrier_up_at_us = 2'000'000 + 12'000;
  const auto late = ss::late_carrier_ups(r, 10ms);
  EXPECT_EQ(late.labs, 2);
  EXPECT_EQ(late.max_late_us, 30'000);
  EXPECT_EQ(late.max_late_gap, Micros(50ms));
  EXPECT_EQ(ss::late_carrier_ups(r, 100us).labs, 5);
}

TEST(SweepRecordTriggers, TheCarrierUpComesFromTheTimelineTriggers) {
  ss::RunRecord rec;
  EXPECT_FALSE(ss::carrier_up_at(rec));
  ss::Trigger signal;
  signal.action = "carrier-up";  // not from the timeline: ignored
  signal.from_timeline = false;
  signal.at_us = 5;
  ss::Trigger down, up;
  down.action = "carrier-down";
  up.action = "carrier-up";
  up.at_us = 1'100'412;
  rec.triggers = {down, signal, up};
  EXPECT_EQ(ss::carrier_up_at(rec), 1'100'412);
}

TEST(SweepJson, RoundTripsWithItsSummary) {
  const auto r = sample_sweep();
  const auto j = ss::sweep_to_json(r);
  EXPECT_EQ(j["schema"], "splitsecond.sweep/1");
  EXPECT_EQ(j["sweep"]["gaps_us"], (std::vector<int64_t>{50'000, 2'000'000}));
  EXPECT_EQ(j["summary"]["probes"][0]["yes"], (std::vector<int>{2, 0}));
  EXPECT_TRUE(j["summary"]["probes"][1]["survived_fraction"][1].is_null());
  EXPECT_EQ(j["items"][5]["error"], "cannot run here: wireguard-go missing");
  EXPECT_TRUE(j["items"][5]["carrier_up_at_us"].is_null());
  const auto back = ss::sweep_from_json(j, "a.json");
  EXPECT_EQ(ss::sweep_to_json(back), j);
}

TEST(SweepJson, OtherDocumentsAreRefusedNamingTheFile) {
  EXPECT_THAT(usage_error([] {
                ss::sweep_from_json({{"schema", "splitsecond.run/1"}}, "r.json");
              }),
              HasSubstr("r.json: not a sweep record"));
  auto j = ss::sweep_to_json(sample_sweep());
  j["items"][0]["probes"][0]["outcome"] = "maybe";
  EXPECT_THAT(usage_error([&] { ss::sweep_from_json(j, "b.json"); }),
              HasSubstr("b.json: item 0: 'maybe' is not a probe outcome"));
  j = ss::sweep_to_json(sample_sweep());
  j["sweep"].erase("reps");
  EXPECT_THAT(usage_error([&] { ss::sweep_from_json(j, "c.json"); }), HasSubstr("c.json"));
}

// The whole sample split into shards K/N as separate records.
SweepRecord slice_of(const SweepRecord& whole, ss::Shard s) {
  SweepRecord part = whole;
  part.shards = {s};
  part.items.clear();
  for (const auto& it : whole.items)
    if (it.item.index % s.n == s.k - 1) part.items.push_back(it);
  return part;
}

TEST(SweepMerge, ShardsJoinIntoTheWhole) {
  const auto whole = sample_sweep();
  const auto merged =
      ss::merge_sweeps({{"b.json", slice_of(whole, {2, 2})}, {"a.json", slice_of(whole, {1, 2})}});
  EXPECT_TRUE(merged.missing.empty());
  ASSERT_EQ(merged.shards.size(), 2u);
  EXPECT_EQ(ss::shard_name(merged.shards[0]), "1/2");
  EXPECT_EQ(ss::sweep_to_json(merged)["items"], ss::sweep_to_json(whole)["items"]);
  EXPECT_EQ(ss::sweep_to_json(merged)["summary"], ss::sweep_to_json(whole)["summary"]);
  EXPECT_DOUBLE_EQ(merged.wall_s, 60);
}

TEST(SweepMerge, MissingItemsAreListed) {
  const auto merged = ss::merge_sweeps({{"a.json", slice_of(sample_sweep(), {1, 3})}});
  EXPECT_EQ(merged.missing, (std::vector<int>{1, 2, 4, 5}));
  EXPECT_EQ(merged.items.size(), 2u);
}

TEST(SweepMerge, RecordsOfAnotherSweepAreRefusedNamingTheFileAndField) {
  const auto whole = sample_sweep();
  struct Case {
    std::function<void(SweepRecord&)> change;
    std::string field;
  } cases[] = {
      {[](SweepRecord& r) { r.def.reps = 5; }, "sweep.reps"},
      {[](SweepRecord& r) { r.def.client = "wg-quick"; }, "sweep.client"},
      {[](SweepRecord& r) { r.def.vpn = "openvpn"; }, "sweep.vpn"},
      {[](SweepRecord& r) { r.def.scenario = "other.toml"; }, "sweep.scenario"},
      {[](SweepRecord& r) {
         r.def.gaps = {50ms, 3s};
       },
       "sweep.gaps"},
      {[](SweepRecord& r) { r.def.version = "9.9"; }, "sweep.version"},
  };
  for (const auto& c : cases) {
    auto other = slice_of(whole, {2, 2});
    c.change(other);
    const auto e = usage_error([&] {
      ss::merge_sweeps({{"a.json", slice_of(whole, {1, 2})}, {"b.json", other}});
    });
    EXPECT_THAT(e, HasSubstr("b.json: a record of another sweep")) << c.field;
    EXPECT_THAT(e, HasSubstr(c.field));
    EXPECT_THAT(e, HasSubstr("a.json"));
  }
}

TEST(SweepMerge, OverlappingRecordsAreRefusedNamingBothFiles) {
  const auto whole = sample_sweep();
  const auto e = usage_error([&] {
    ss::merge_sweeps({{"a.json", slice_of(whole, {1, 2})}, {"b.json", slice_of(whole, {1, 3})}});
  });
  EXPECT_THAT(e, HasSubstr("b.json: item 0 (gap 50ms, rep 1) is also in a.json"));
}

TEST(SweepMerge, AnItemOutsideItsPlanIsRefused) {
  auto part = sample_sweep();
  part.items[0].item.rep = 7;
  EXPECT_THAT(usage_error([&] {
                ss::merge_sweeps({{"a.json", part}});
              }),
              HasSubstr("a.json: item 0 (gap 50ms, rep 7) is not an item of its sweep"));
  EXPECT_THAT(usage_error([] { ss::merge_sweeps({}); }), HasSubstr("no sweep records"));
}

}  // namespace
