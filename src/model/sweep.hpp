#pragma once
// The gap sweep (docs/sweep.md): a scenario's carrier loss run at several gaps, N repetitions
// each. Pure parts: the item plan, its shards, moving a scenario's carrier-up to a gap, the
// sweep record (schema splitsecond.sweep/1), its aggregation per probe and gap, and merging
// the records of a sharded sweep. The labs themselves are run by the CLI (cli/sweep_cmd.cpp).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/duration.hpp"
#include "model/record.hpp"
#include "model/scenario.hpp"

namespace ss {

// 10 gaps from 50 ms to 5 s, evenly spaced on a log scale, rounded to 2 significant digits.
std::vector<Micros> default_gaps();
// "50ms,100ms,1s": sorted, without repeats. UsageError naming `option` for an empty list, a
// value that is not a duration, a zero gap or one over 60 s.
std::vector<Micros> parse_gaps(const std::string& text, const std::string& option);

// The scenario with its first carrier-up moved to `gap` after the carrier-down just before it.
// The carrier-up and every action after it move by the same amount, and so does the window:
// every gap is observed for as long after the carrier comes back as the scenario itself is.
// UsageError naming the scenario if its timeline has no carrier-down directly followed by a
// carrier-up, or if the gap is zero or over 60 s.
Scenario with_carrier_gap(Scenario s, Micros gap);

// One lab of the sweep. Items are numbered gap-major: index = gap_index * reps + (rep - 1).
struct SweepItem {
  int index = 0;
  Micros gap{0};
  int rep = 1;  // from 1
};
std::vector<SweepItem> plan_items(const std::vector<Micros>& gaps, int reps);

// Slice K of N (from 1): the items whose index is K-1 modulo N, so that each slice gets about
// the same mix of short and long gaps. Every item is in exactly one slice.
struct Shard {
  int k = 1, n = 1;
};
Shard parse_shard(const std::string& text, const std::string& option);  // "K/N"
std::string shard_name(Shard s);
std::vector<SweepItem> shard_slice(const std::vector<SweepItem>& items, Shard s);

// What makes records parts of the same sweep: merge refuses records that differ in any field.
struct SweepDefinition {
  std::string scenario;      // as given: a built-in's name or a file's path
  std::string vpn, client;   // the VPN kind and client every lab ran
  std::vector<Micros> gaps;  // sorted
  int reps = 1;
  std::string version;  // the splitsecond that ran the labs
};

// A probe's outcome in one lab, as the survival table gives it ("set-up failed": it never
// reached its server before t=0).
inline constexpr const char* kOutcomes[] = {"yes", "partial", "no", "set-up failed"};
bool is_outcome(const std::string& s);

// One lab's result. "ok": the child wrote its record; "failed": it exited without one;
// "overran": it was ended after its time limit.
struct ItemResult {
  SweepItem item;
  std::string status = "ok";
  int exit_code = 0;   // the child's exit code (128+signal when a signal ended it)
  std::string error;   // failed/overran: the child's last line on stderr, or what happened
  double seconds = 0;  // the child's wall-clock time
  // From the record: when the carrier-up began (relative to t=0), and the window.
  std::optional<int64_t> carrier_up_at_us;
  double window_ms = 0;
  std::vector<std::pair<std::string, std::string>> probes;  // probe, outcome (kOutcomes)
};

// The carrier-up as the run's record has it (the first timeline trigger of that action).
std::optional<int64_t> carrier_up_at(const RunRecord& r);

struct SweepRecord {
  SweepDefinition def;
  std::vector<Shard> shards;      // the slices this record holds (one for a sweep; merge: all)
  std::vector<ItemResult> items;  // ordered by index
  std::vector<int> missing;       // merge: indices of planned items that no input held
  int jobs = 0;                   // concurrent labs (a merge: 0)
  double wall_s = 0;              // the sweep's wall-clock time (a merge: the sum)
};

// The counts of one probe at one gap, over the items that have a record.
struct GapCounts {
  Micros gap{0};
  int yes = 0, partial = 0, no = 0, setup_failed = 0;
  // yes / (yes + partial + no); none when no lab judged the probe at this gap.
  std::optional<double> survived_fraction() const;
};
struct ProbeSurvival {
  std::string probe;
  std::vector<GapCounts> by_gap;  // one per gap of the definition
};
struct SweepSummary {
  std::vector<Micros> gaps;
  std::vector<ProbeSurvival> probes;      // in the order they first appear in the items
  std::vector<int> labs_ok, labs_failed;  // per gap: items with a record, items without one
};
SweepSummary summarize(const SweepRecord& r);

// Labs whose carrier-up began more than `bound` after its planned gap (a busy machine delays
// the lab's loop): how many, and the latest of them.
struct LateCarrierUps {
  int labs = 0;
  int64_t max_late_us = 0;
  Micros max_late_gap{0};
};
LateCarrierUps late_carrier_ups(const SweepRecord& r, Micros bound);

nlohmann::json sweep_to_json(const SweepRecord& r);  // with its summary
// UsageError naming `origin` for anything that is not a sweep record.
SweepRecord sweep_from_json(const nlohmann::json& j, const std::string& origin);

// Joins the records of one sweep's shards. UsageError naming the file (and the field) if a
// record belongs to another sweep, or naming both files if two hold the same item. Planned
// items that none holds are listed in `missing`.
SweepRecord merge_sweeps(const std::vector<std::pair<std::string, SweepRecord>>& parts);

}  // namespace ss
