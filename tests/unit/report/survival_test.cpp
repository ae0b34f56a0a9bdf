// The survival table: every row derived from a record, checked against the stored real run of
// every probe (tests/data/survival-record.json) and against hand-built records for each branch.
#include "report/survival.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using nlohmann::json;
using ss::ProbeFate;
using ss::RunRecord;
using ss::report::render_survival;
using ss::report::survival_table;
using ss::report::SurvivalRow;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

json stored_json(const std::string& name) {
  std::ifstream f(std::string(SS_TEST_DATA) + "/" + name);
  EXPECT_TRUE(f) << name;
  return json::parse(f);
}

std::optional<double> opt_number(const json& j, const char* key) {
  if (j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

const SurvivalRow& row_of(const std::vector<SurvivalRow>& rows, const std::string& probe) {
  for (const auto& r : rows)
    if (r.probe == probe) return r;
  ADD_FAILURE() << "no row for " << probe;
  static const SurvivalRow none;
  return none;
}

ProbeFate fate(const std::string& name, const std::string& proto, bool survived,
               std::optional<std::string> error = std::nullopt,
               std::optional<double> detected_ms = std::nullopt, json extra = json::object()) {
  ProbeFate f;
  f.name = name;
  f.proto = proto;
  f.survived = survived;
  f.error = std::move(error);
  f.detected_ms = detected_ms;
  f.extra = std::move(extra);
  return f;
}

RunRecord with(std::vector<ProbeFate> probes) {
  RunRecord r;
  r.scenario = "hand";
  r.disconnect = "clean";
  r.window_ms = 3000;
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  r.physical_interface = "wlan7";  // the report takes the name from the record
  r.probes = std::move(probes);
  return r;
}

SurvivalRow only_row(const ProbeFate& p) {
  auto rows = survival_table(with({p}));
  EXPECT_EQ(rows.size(), 1u);
  return rows.empty() ? SurvivalRow{} : rows.front();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

// ---- the stored real run of every probe -------------------------------------------------------

// Each row checked against the raw JSON of its probe, read independently of the report code.
TEST(SurvivalStored, EveryRowIsDerivedFromItsProbeInTheRecord) {
  const json raw = stored_json("survival-record.json");
  const auto rows = survival_table(ss::record_from_json(raw));
  const auto& probes = raw.at("probes");
  ASSERT_EQ(rows.size(), probes.size());
  ASSERT_GE(rows.size(), 10u) << "the stored record holds a run of every probe";
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& p = probes[i];
    const SurvivalRow& row = rows[i];
    SCOPED_TRACE(p.at("name").get<std::string>());
    EXPECT_EQ(row.probe, p.at("name").get<std::string>()) << "rows keep the record's order";
    EXPECT_EQ(row.detected_ms, opt_number(p, "detected_ms"));
    auto recovered = opt_number(p, "recovered_ms");
    if (!recovered) recovered = opt_number(p, "reconnected_ms");
    EXPECT_EQ(row.recovered_ms, recovered);
    const bool setup_ok = p.value("setup_ok", true), survived = p.at("survived");
    const bool error = !p.at("error").is_null();
    const char* expected = !setup_ok               ? "set-up failed"
                           : survived && !error    ? "yes"
                           : survived || recovered ? "partial"
                                                   : "no";
    EXPECT_EQ(row.survived, expected);
    if (error && setup_ok) {
      EXPECT_THAT(row.mechanism, HasSubstr(p["error"].get<std::string>()));
    }
    if (p.contains("wire_after_t0")) {
      const int out = p["wire_after_t0"].at("segments_out");
      EXPECT_THAT(row.mechanism,
                  out ? HasSubstr(fmt::format("{} segments left the physical interface", out))
                      : HasSubstr("no segment of it left the physical interface"));
    }
    if (p.contains("server_addresses")) {
      for (const auto& a : p["server_addresses"])
        EXPECT_THAT(row.mechanism, HasSubstr(a.get<std::string>()));
    }
  }
}

TEST(SurvivalStored, TheRealRunsOutcomesAsRecorded) {
  const auto rows = survival_table(ss::record_from_json(stored_json("survival-record.json")));
  // The run recorded: dns answered by the home resolver, quic and mosh kept going, ip-seen
  // failed once and came back, the TCP probes, ssh, websocket and doh did not.
  EXPECT_EQ(row_of(rows, "dns").survived, "yes");
  EXPECT_EQ(row_of(rows, "quic").survived, "yes");
  EXPECT_EQ(row_of(rows, "mosh").survived, "yes");
  EXPECT_EQ(row_of(rows, "ip-seen").survived, "partial");
  for (const char* p :
       {"doh", "ssh", "tcp", "tcp-idle", "tcp-inflight", "tcp-send-now", "websocket"})
    EXPECT_EQ(row_of(rows, p).survived, "no") << p;
  for (const auto& r : rows) EXPECT_NE(r.survived, "set-up failed") << r.probe;
}

TEST(SurvivalStored, IpSeenShowsTheAddressesBeforeAndAfterAndTheRecovery) {
  const auto rows = survival_table(ss::record_from_json(stored_json("survival-record.json")));
  const auto& r = row_of(rows, "ip-seen");
  EXPECT_THAT(r.mechanism, HasSubstr("server saw 198.51.100.1 before, 203.0.113.2 after"));
  EXPECT_THAT(r.mechanism, HasSubstr("a request failed (The socket was closed due to a timeout)"));
  ASSERT_TRUE(r.detected_ms);
  EXPECT_NEAR(*r.detected_ms, 2138.444485, 1e-9);
  ASSERT_TRUE(r.recovered_ms);
  EXPECT_NEAR(*r.recovered_ms, 2139.308641, 1e-9);
}

TEST(SurvivalStored, QuicShowsTheServersAddressesAndPathValidation) {
  const auto rows = survival_table(ss::record_from_json(stored_json("survival-record.json")));
  const auto& r = row_of(rows, "quic");
  EXPECT_THAT(r.mechanism, HasSubstr("data kept flowing"));
  EXPECT_THAT(r.mechanism, HasSubstr("server saw 198.51.100.1:47133, 203.0.113.2:47133"));
  EXPECT_THAT(r.mechanism, HasSubstr("path validation: success 203.0.113.2:47133"));
  EXPECT_THAT(r.mechanism, HasSubstr("gap 101 ms"));
  EXPECT_FALSE(r.detected_ms);
  EXPECT_FALSE(r.recovered_ms);
}

TEST(SurvivalStored, TcpProbesSayWhetherSegmentsLeftEn0) {
  const auto rows = survival_table(ss::record_from_json(stored_json("survival-record.json")));
  for (const char* p : {"tcp", "tcp-idle", "tcp-inflight", "tcp-send-now"}) {
    const auto& r = row_of(rows, p);
    EXPECT_THAT(r.mechanism, HasSubstr("no error and no data to the end of the window")) << p;
    EXPECT_THAT(
        r.mechanism,
        HasSubstr("no segment of it left the physical interface (its source address is gone)"))
        << p;
  }
  EXPECT_THAT(row_of(rows, "tcp-inflight").mechanism, HasSubstr("12 segments unacknowledged"));
  EXPECT_THAT(row_of(rows, "tcp").mechanism, Not(HasSubstr("unacknowledged")));
  // websocket has no wire view in the record: nothing is said about the interface (the stored
  // record predates physical_interface: no name is made up for it).
  EXPECT_THAT(row_of(rows, "websocket").mechanism, Not(HasSubstr("physical interface")));
  for (const auto& row : rows) EXPECT_THAT(row.mechanism, Not(HasSubstr("en0")));
}

TEST(SurvivalStored, DnsDohAndRemoteProbesInWords) {
  const auto rows = survival_table(ss::record_from_json(stored_json("survival-record.json")));
  EXPECT_EQ(row_of(rows, "dns").mechanism, "answered by vpn-resolver before, home-resolver after");
  EXPECT_EQ(row_of(rows, "doh").mechanism,
            "lookups failed (Operation timed out after 2001 milliseconds with 0 bytes received)");
  EXPECT_THAT(row_of(rows, "ssh").mechanism, HasSubstr("gap 3045 ms"));
  EXPECT_THAT(row_of(rows, "mosh").mechanism, HasSubstr("data kept flowing; gap 105 ms"));
}

TEST(SurvivalStored, CrashRecordDnsFailedAndHanging) {
  const auto rows = survival_table(ss::record_from_json(stored_json("crash-record.json")));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].probe, "dns");
  EXPECT_EQ(rows[0].survived, "no");
  EXPECT_EQ(rows[0].mechanism,
            "answered by vpn-resolver before, nothing after; 1 lookups failed (TRY_AGAIN); a "
            "lookup still waiting at the end");
  ASSERT_TRUE(rows[0].detected_ms);
  EXPECT_NEAR(*rows[0].detected_ms, 30.343261, 1e-9);
  EXPECT_EQ(rows[1].probe, "tcp");
  EXPECT_EQ(rows[1].survived, "no");
}

// ---- hand-built records, one per branch -------------------------------------------------------

TEST(SurvivalTable, NoProbesNoRows) {
  EXPECT_TRUE(survival_table(with({})).empty());
}

TEST(SurvivalTable, SurvivedWithoutErrorIsYes) {
  auto r = only_row(fate("tcp", "tcp", true, std::nullopt, std::nullopt, {{"gap_ms", 98.6}}));
  EXPECT_EQ(r.survived, "yes");
  EXPECT_EQ(r.mechanism, "data kept flowing; gap 99 ms");
  EXPECT_FALSE(r.detected_ms);
  EXPECT_FALSE(r.recovered_ms);
}

TEST(SurvivalTable, ErrorWithoutRecoveryIsNo) {
  auto r = only_row(fate(
      "tcp-send-now", "tcp", false, "ECONNRESET", 12.4,
      {{"wire_after_t0",
        {{"segments_out", 3}, {"segments_in", 1}, {"rst_in", 1}, {"sources", {"192.168.1.100"}}}},
       {"tcp_unacked", 2}}));
  EXPECT_EQ(r.survived, "no");
  EXPECT_EQ(r.mechanism,
            "ECONNRESET after 12 ms; 3 segments left wlan7 from 192.168.1.100, 1 RST back; 2 "
            "segments unacknowledged");
  EXPECT_EQ(r.detected_ms, 12.4);
  EXPECT_FALSE(r.recovered_ms);
}

TEST(SurvivalTable, HangingIsNo) {
  auto r = only_row(fate("websocket", "websocket", false));
  EXPECT_EQ(r.survived, "no");
  EXPECT_EQ(r.mechanism, "no error and no data to the end of the window");
}

TEST(SurvivalTable, FailedThenRecoveredIsPartial) {
  auto r = only_row(fate("doh", "doh", false, "ETIMEDOUT", 2000.0,
                         {{"recovered_ms", 2500.5}, {"new_connections_after", 1}}));
  EXPECT_EQ(r.survived, "partial");
  EXPECT_EQ(r.detected_ms, 2000.0);
  EXPECT_EQ(r.recovered_ms, 2500.5);
  EXPECT_EQ(r.mechanism, "lookups failed (ETIMEDOUT); 1 new HTTPS connection(s) after t=0");
}

TEST(SurvivalTable, FailedThenReconnectedIsPartial) {
  auto r = only_row(
      fate("websocket", "websocket", false, "ECONNRESET", 40.0, {{"reconnected_ms", 310.0}}));
  EXPECT_EQ(r.survived, "partial");
  EXPECT_EQ(r.recovered_ms, 310.0);
}

TEST(SurvivalTable, RecoveredTakesPrecedenceOverReconnected) {
  auto r = only_row(fate("x", "tcp", false, "ECONNRESET", 40.0,
                         {{"recovered_ms", 200.0}, {"reconnected_ms", 310.0}}));
  EXPECT_EQ(r.recovered_ms, 200.0);
}

TEST(SurvivalTable, SurvivedToTheEndAfterAnErrorIsPartial) {
  auto r = only_row(fate("ip-seen", "http", true, "ECONNRESET", 15.0,
                         {{"server_saw_before", {"198.51.100.1"}},
                          {"server_saw_after", {"203.0.113.2"}},
                          {"recovered_ms", 16.0}}));
  EXPECT_EQ(r.survived, "partial");
  EXPECT_EQ(r.mechanism,
            "server saw 198.51.100.1 before, 203.0.113.2 after; a request failed (ECONNRESET)");
}

TEST(SurvivalTable, ARecoveryTimeThatIsNotANumberIsNoRecovery) {
  auto r = only_row(fate("x", "tcp", false, "ECONNRESET", 40.0,
                         {{"recovered_ms", nullptr}, {"reconnected_ms", "soon"}}));
  EXPECT_EQ(r.survived, "no");
  EXPECT_FALSE(r.recovered_ms);
}

TEST(SurvivalTable, SetUpFailedWhateverElseTheProbeSays) {
  auto p = fate("quic", "quic", true, "ECONNREFUSED", 5.0, {{"recovered_ms", 10.0}});
  p.setup_ok = false;
  auto r = only_row(p);
  EXPECT_EQ(r.survived, "set-up failed");
  EXPECT_EQ(r.mechanism, "never reached its server before t=0: ECONNREFUSED");
  EXPECT_EQ(r.detected_ms, 5.0);
  EXPECT_EQ(r.recovered_ms, 10.0);
}

TEST(SurvivalTable, SetUpFailedWithoutAnErrorSaysSo) {
  auto p = fate("dns", "dns", false);
  p.setup_ok = false;
  EXPECT_EQ(only_row(p).mechanism, "never reached its server before t=0: ?");
}

TEST(SurvivalTable, DnsFailuresAndAHangingLookup) {
  auto r = only_row(fate("dns", "dns", false, "TRY_AGAIN", 30.0,
                         {{"answered_by_before", {"vpn-resolver"}},
                          {"answered_by_after", json::array()},
                          {"failed_after", 2},
                          {"lookup_hanging_since_ms", 31.0}}));
  EXPECT_EQ(
      r.mechanism,
      "answered by vpn-resolver before, nothing after; 2 lookups failed (TRY_AGAIN); a lookup "
      "still waiting at the end");
}

TEST(SurvivalTable, DnsWithoutItsFieldsStillRenders) {
  auto r = only_row(fate("dns", "dns", true));
  EXPECT_EQ(r.survived, "yes");
  EXPECT_EQ(r.mechanism, "answered by ? before, ? after");
}

TEST(SurvivalTable, DohKeptSucceeding) {
  auto r = only_row(
      fate("doh", "doh", true, std::nullopt, std::nullopt, {{"new_connections_after", 0}}));
  EXPECT_EQ(r.survived, "yes");
  EXPECT_EQ(r.mechanism, "lookups kept succeeding");
}

TEST(SurvivalTable, RowsKeepTheRecordsOrderOnePerProbe) {
  auto rows = survival_table(with(
      {fate("b", "tcp", true), fate("a", "tcp", false), fate("c", "tcp", false, "EPIPE", 1.0)}));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].probe, "b");
  EXPECT_EQ(rows[1].probe, "a");
  EXPECT_EQ(rows[2].probe, "c");
  EXPECT_EQ(rows[0].survived, "yes");
  EXPECT_EQ(rows[1].survived, "no");
  EXPECT_EQ(rows[2].survived, "no");
}

// ---- stream probes judged by the survival rule (extra["outcome"]) ----------------------------

TEST(SurvivalTable, TheOutcomeAndTheSilenceComeFromTheRule) {
  auto r = only_row(fate("tcp", "tcp", false, std::nullopt, std::nullopt,
                         {{"outcome", "partial"},
                          {"longest_silence_ms", 2900.0},
                          {"silence_bound_ms", 1000.0},
                          {"silence_started_ms", 100.0}}));
  EXPECT_EQ(r.survived, "partial");
  EXPECT_EQ(r.silence, "2900 > 1000 ms from +100");
  EXPECT_EQ(r.mechanism,
            "data came back after the disconnect, then stopped for longer than the bound");
}

TEST(SurvivalTable, ASilenceWithinItsBound) {
  auto r = only_row(fate("quic", "quic", true, std::nullopt, std::nullopt,
                         {{"outcome", "yes"},
                          {"longest_silence_ms", 101.3},
                          {"silence_bound_ms", 1000.0},
                          {"silence_started_ms", 40.0}}));
  EXPECT_EQ(r.survived, "yes");
  EXPECT_EQ(r.silence, "101 <= 1000 ms");
  EXPECT_EQ(r.mechanism, "data kept flowing");
}

TEST(SurvivalTable, PartialWithAnErrorNamesIt) {
  auto r = only_row(
      fate("websocket", "websocket", false, "ECONNRESET", 700.0,
           {{"outcome", "partial"}, {"longest_silence_ms", 300.0}, {"silence_bound_ms", 1000.0}}));
  EXPECT_EQ(r.survived, "partial");
  EXPECT_EQ(r.mechanism, "data came back after the disconnect, then ECONNRESET after 700 ms");
}

TEST(SurvivalTable, OutcomeNoIsNoEvenWithoutAnError) {
  auto r = only_row(fate("ssh", "ssh", false, std::nullopt, std::nullopt,
                         {{"outcome", "no"},
                          {"longest_silence_ms", 4985.0},
                          {"silence_bound_ms", 1000.0},
                          {"silence_started_ms", 15.0}}));
  EXPECT_EQ(r.survived, "no");
  EXPECT_EQ(r.silence, "4985 > 1000 ms from +15");
}

TEST(SurvivalTable, TheIdleProbesLateSendEachWay) {
  auto echo = only_row(
      fate("tcp-idle", "tcp", true, std::nullopt, std::nullopt,
           {{"outcome", "yes"},
            {"late_send", {{"sent_ms", 4000.0}, {"outcome", "echo"}, {"after_ms", 0.4}}}}));
  EXPECT_EQ(echo.mechanism, "one message sent at +4000 ms: echoed after 0 ms");
  auto error = only_row(fate("tcp-idle", "tcp", false, "EHOSTUNREACH", 4001.0,
                             {{"outcome", "no"},
                              {"late_send",
                               {{"sent_ms", 4000.0},
                                {"outcome", "error"},
                                {"error", "EHOSTUNREACH"},
                                {"after_ms", 1.2}}}}));
  EXPECT_EQ(error.survived, "no");
  EXPECT_EQ(error.mechanism, "one message sent at +4000 ms: EHOSTUNREACH after 1 ms");
  auto hang = only_row(
      fate("tcp-idle", "tcp", false, std::nullopt, std::nullopt,
           {{"outcome", "no"}, {"late_send", {{"sent_ms", 4000.0}, {"outcome", "hang"}}}}));
  EXPECT_EQ(hang.mechanism,
            "one message sent at +4000 ms: no echo and no error by the end of the window");
  auto never = only_row(fate("tcp-idle", "tcp", false, "ECONNRESET", 20.0,
                             {{"outcome", "no"}, {"late_send", nullptr}}));
  EXPECT_EQ(never.mechanism, "the late message was never sent (ECONNRESET after 20 ms)");
}

// ---- render_survival --------------------------------------------------------------------------

TEST(RenderSurvival, HeaderAndColumns) {
  const std::vector<SurvivalRow> rows = {
      {"tcp-send-now", "no", "ECONNRESET after 12 ms", 12.4, std::nullopt, "-"},
      {"ip-seen", "partial", "server saw a before, b after", 2138.444485, 2139.6, "-"},
      {"quic", "yes", "data kept flowing", std::nullopt, std::nullopt, "100 <= 1000 ms"},
  };
  const auto lines = lines_of(render_survival(rows));
  ASSERT_EQ(lines.size(), 4u);
  // probe: 14 wide, left; survived: 14, left; detected and recovered: 10, right; the silence
  // against its bound: 26, right; then the words.
  EXPECT_EQ(lines[0],
            "probe          survived         detected  recovered            silence (bound)  "
            "what was seen");
  EXPECT_EQ(lines[1],
            "tcp-send-now   no                  12 ms          -                          -  "
            "ECONNRESET after 12 ms");
  EXPECT_EQ(lines[2],
            "ip-seen        partial           2138 ms    2140 ms                          -  "
            "server saw a before, b after");
  EXPECT_EQ(lines[3],
            "quic           yes                     -          -             100 <= 1000 ms  "
            "data kept flowing");
  for (const auto& l : lines) {
    EXPECT_EQ(l[14], ' ');
    EXPECT_EQ(l[29], ' ');
    EXPECT_EQ(l[51], ' ');
    EXPECT_EQ(l.substr(78, 2), "  ");
  }
}

TEST(RenderSurvival, NoRowsIsTheHeaderOnly) {
  EXPECT_EQ(lines_of(render_survival({})).size(), 1u);
}

TEST(RenderSurvival, LongNamesAndMechanismsAreNotCut) {
  const std::vector<SurvivalRow> rows = {{"a-very-long-probe-name", "set-up failed",
                                          std::string(200, 'm'), std::nullopt, std::nullopt}};
  const auto text = render_survival(rows);
  EXPECT_THAT(text, HasSubstr("a-very-long-probe-name set-up failed"));
  EXPECT_THAT(text, HasSubstr(std::string(200, 'm') + "\n"));
}

TEST(RenderSurvival, StoredRecordHasOneLinePerProbe) {
  const auto r = ss::record_from_json(stored_json("survival-record.json"));
  const auto lines = lines_of(render_survival(survival_table(r)));
  ASSERT_EQ(lines.size(), r.probes.size() + 1);
  for (size_t i = 0; i < r.probes.size(); ++i)
    EXPECT_EQ(lines[i + 1].rfind(r.probes[i].name + " ", 0), 0u) << lines[i + 1];
}
