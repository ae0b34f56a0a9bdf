// gap-sweep and merge with real labs: a small sweep with the reference client, its shards merged
// into the same items, records of other sweeps refused, and Ctrl-C leaving nothing behind.
#include <fmt/format.h>

#include <filesystem>
#include <regex>
#include <set>
#include <tuple>

#include "lab_util.hpp"

using namespace labtest;

namespace {

// The sweep record against docs/schema/sweep.schema.json; the problems found, or "".
std::string sweep_schema_problems(const std::string& path) {
  Result v =
      sh("/usr/bin/python3 -c 'import json, sys, jsonschema\n"
         "schema = json.load(open(sys.argv[1]))\n"
         "doc = json.load(open(sys.argv[2]))\n"
         "errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))\n"
         "[print(\"/\".join(map(str, e.absolute_path)), e.message) for e in errors]\n"
         "sys.exit(1 if errors else 0)' " SS_SOURCE_DIR "/docs/schema/sweep.schema.json " +
         path);
  return v.status == 0 ? "" : v.out + v.err;
}

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not in:\n" << text;
}

::testing::AssertionResult matches(const std::string& text, const std::string& re) {
  if (std::regex_search(text, std::regex(re))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "/" << re << "/ not in:\n" << text;
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(slurp(path), nullptr, false);
}

using ItemKey = std::tuple<int, int64_t, int>;  // index, gap, rep
std::set<ItemKey> item_keys(const nlohmann::json& sweep) {
  std::set<ItemKey> out;
  for (const auto& it : sweep["items"])
    out.insert({it["index"].get<int>(), it["gap_us"].get<int64_t>(), it["rep"].get<int>()});
  return out;
}

const char* kSweep = " gap-sweep flicker --gaps 100ms,1s --reps 1 --jobs 2";

// The whole 2-gap sweep, run once for the tests below (each lab is a few seconds).
class Sweep : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    dir_ = new std::string(temp_path("sweep"));
    std::filesystem::create_directories(*dir_);
    before_ = new std::string(host_state());
    *result_ = sh(bin() + kSweep + " --json " + *dir_ + "/whole.json --svg " + *dir_ +
                      "/whole.svg --records " + *dir_ + "/labs",
                  300);
    after_ = new std::string(host_state());
    after_processes_ = new std::string(lab_processes());
  }
  static void TearDownTestSuite() {
    if (dir_) std::filesystem::remove_all(*dir_);
  }
  static inline std::string* dir_ = nullptr;
  static inline std::string *before_ = nullptr, *after_ = nullptr, *after_processes_ = nullptr;
  static inline Result* result_ = new Result;
};

TEST_F(Sweep, RunsEachGapAsItsOwnLabAndRecordsWhatSurvived) {
  REQUIRE_ROOT();
  ASSERT_EQ(result_->status, 0) << result_->err;
  const std::string path = *dir_ + "/whole.json";
  EXPECT_EQ(sweep_schema_problems(path), "");
  const auto j = read_json(path);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["sweep"]["client"], "reference");
  EXPECT_EQ(j["sweep"]["gaps_us"], (std::vector<int64_t>{100'000, 1'000'000}));
  EXPECT_EQ(j["jobs"], 2);
  ASSERT_EQ(j["items"].size(), 2u);
  for (const auto& it : j["items"]) {
    SCOPED_TRACE(it.dump());
    EXPECT_EQ(it["status"], "ok");
    // The lab's record carries the gap: its carrier-up trigger, never before the gap.
    ASSERT_TRUE(it["carrier_up_at_us"].is_number());
    EXPECT_GE(it["carrier_up_at_us"].get<int64_t>(), it["gap_us"].get<int64_t>());
    // Each lab's own record is a valid run record with the carrier-up at that time.
    const std::string rec_path =
        *dir_ + "/labs/item-" + fmt::format("{:04}", it["index"].get<int>()) + ".json";
    EXPECT_EQ(schema_problems(rec_path), "");
    const auto rec = read_json(rec_path);
    // Every probe of the lab's record has its outcome in the sweep's item.
    std::set<std::string> names, in_record;
    for (const auto& p : it["probes"]) names.insert(p["name"].get<std::string>());
    for (const auto& p : rec["probes"]) in_record.insert(p["name"].get<std::string>());
    EXPECT_EQ(names, in_record);
    EXPECT_TRUE(names.count("tcp") && names.count("websocket") && names.count("dns"));
    bool found = false;
    for (const auto& t : rec["triggers"])
      if (t["action"] == "carrier-up") {
        found = true;
        EXPECT_EQ(t["at_us"], it["carrier_up_at_us"]);
      }
    EXPECT_TRUE(found);
    EXPECT_EQ(rec["window_ms"], it["window_ms"]);
  }
  // The same time after the carrier came back at every gap: the window grew with the gap.
  const auto& items = j["items"];
  EXPECT_DOUBLE_EQ(items[1]["window_ms"].get<double>() - items[0]["window_ms"].get<double>(),
                   900.0);
  // The summary's counts add up to the labs.
  for (const auto& p : j["summary"]["probes"])
    for (size_t g = 0; g < 2; ++g)
      EXPECT_EQ(p["yes"][g].get<int>() + p["partial"][g].get<int>() + p["no"][g].get<int>() +
                    p["setup_failed"][g].get<int>(),
                1)
          << p.dump();
  EXPECT_TRUE(contains(result_->out, "labs per minute"));
  EXPECT_TRUE(matches(result_->out, "websocket +[0-9]/[0-9]/[0-9]"));
  const auto svg = slurp(*dir_ + "/whole.svg");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_TRUE(contains(svg, ">websocket</text>"));
  // Nothing left on the host.
  EXPECT_EQ(*after_, *before_);
  EXPECT_EQ(*after_processes_, "");
}

TEST_F(Sweep, ShardsMergedHoldTheItemsOfTheWhole) {
  REQUIRE_ROOT();
  ASSERT_EQ(result_->status, 0) << result_->err;
  const std::string a = *dir_ + "/1of2.json", b = *dir_ + "/2of2.json", m = *dir_ + "/m.json";
  auto r1 = sh(bin() + kSweep + " --shard 1/2 --json " + a, 300);
  ASSERT_EQ(r1.status, 0) << r1.err;
  auto r2 = sh(bin() + kSweep + " --shard 2/2 --json " + b, 300);
  ASSERT_EQ(r2.status, 0) << r2.err;
  EXPECT_EQ(read_json(a)["items"].size(), 1u);
  EXPECT_EQ(read_json(b)["items"].size(), 1u);

  auto merged = sh(bin() + " merge " + b + " " + a + " -o " + m + " --svg " + *dir_ + "/m.svg");
  ASSERT_EQ(merged.status, 0) << merged.err;
  EXPECT_EQ(sweep_schema_problems(m), "");
  const auto mj = read_json(m);
  EXPECT_EQ(item_keys(mj), item_keys(read_json(*dir_ + "/whole.json")));
  EXPECT_EQ(mj["missing"].size(), 0u);
  EXPECT_EQ(mj["shards"], (std::vector<std::string>{"1/2", "2/2"}));

  // One shard alone: merged, with the other's item reported missing.
  auto half = sh(bin() + " merge " + a + " -o " + m);
  EXPECT_EQ(half.status, 0) << half.err;
  EXPECT_TRUE(contains(half.err, "1 of 2 items missing"));
  EXPECT_EQ(read_json(m)["missing"], (std::vector<int>{1}));

  // The same shard twice overlaps; a record of another sweep is refused naming its file.
  auto twice = sh(bin() + " merge " + a + " " + a + " -o " + m);
  EXPECT_EQ(twice.status, 2);
  EXPECT_TRUE(contains(twice.err, "is also in " + a));
  auto other = read_json(b);
  other["sweep"]["reps"] = 3;
  const std::string c = *dir_ + "/other.json";
  std::ofstream(c) << other.dump();
  auto refused = sh(bin() + " merge " + a + " " + c + " -o " + m);
  EXPECT_EQ(refused.status, 2);
  EXPECT_TRUE(contains(refused.err, c + ": a record of another sweep: sweep.reps"));
  auto not_sweep = sh(bin() + " merge " + a + " " + *dir_ + "/labs/item-0000.json -o " + m);
  EXPECT_EQ(not_sweep.status, 2);
  EXPECT_TRUE(contains(not_sweep.err, "item-0000.json: not a sweep record"));
}

TEST(SweepInput, BadInputIsRefusedBeforeAnyLab) {
  REQUIRE_ROOT();
  auto no_gap = sh(bin() + " gap-sweep disconnect --gaps 1s");
  EXPECT_EQ(no_gap.status, 2);
  EXPECT_TRUE(contains(no_gap.err, "no carrier-down directly followed"));
  auto bad_shard = sh(bin() + " gap-sweep --shard 3/2");
  EXPECT_EQ(bad_shard.status, 2);
  EXPECT_TRUE(contains(bad_shard.err, "--shard: '3/2'"));
  auto bad_gap = sh(bin() + " gap-sweep --gaps 50ms,soon");
  EXPECT_EQ(bad_gap.status, 2);
  EXPECT_TRUE(contains(bad_gap.err, "--gaps: 'soon'"));
  auto bad_client = sh(bin() + " gap-sweep --client nosuch");
  EXPECT_EQ(bad_client.status, 2);
  EXPECT_TRUE(contains(bad_client.err, "--client nosuch"));
}

TEST(SweepInterrupt, CtrlCEndsEveryLabAndLeavesNothingBehind) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string dir = temp_path("sweep-int");
  // A sweep of two labs that record for several seconds; once both are recording (their logs
  // say so; waited on, bounded), SIGINT as a terminal's Ctrl-C would send, and wait for its exit.
  auto r =
      sh(bin() + " gap-sweep --gaps 3s,5s --jobs 2 -v --records " + dir + " >/dev/null 2>" + dir +
             ".err &\n"
             "pid=$!\n"
             "for i in $(seq 1 1200); do\n"
             "  n=$(grep -l '^splitsecond: recording' " +
             dir +
             "/*.log 2>/dev/null | wc -l)\n"
             "  [ \"$n\" -ge 2 ] && break\n"
             "  sleep 0.05\n"
             "done\n"
             "echo \"recording: $n\"\n"
             "kill -INT $pid\n"
             "wait $pid; echo \"exit $?\"\n"
             "cat " +
             dir + ".err\n",
         180);
  EXPECT_TRUE(contains(r.out, "recording: 2")) << r.out;
  EXPECT_TRUE(contains(r.out, "exit 130")) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "every lab tore itself down")) << r.out;
  // Each lab got SIGTERM while recording, tore its lab down and said so.
  for (const char* log : {"/item-0000.log", "/item-0001.log"}) {
    const auto text = slurp(dir + log);
    EXPECT_TRUE(contains(text, "splitsecond: recording"));
    EXPECT_TRUE(contains(text, "everything the run created was removed"));
  }
  // No lab of this sweep is left (its processes name the records directory).
  EXPECT_EQ(sh("ps -eo args= | grep -F -- '" + dir + "/item-' | grep -v grep").out, "");
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), "");
  std::filesystem::remove_all(dir);
  std::remove((dir + ".err").c_str());
}

}  // namespace
