// The ssh and mosh fates from hand-built watch-agent lines (docs/remote-probes.md): each
// output chunk carries the server's `date +%s.%N` stamp and the agent's (t_ns, wall_ns) pair.
#include "model/fate_remote.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace ss {
namespace {

using nlohmann::json;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'000'000 * kMs;
constexpr int64_t kEnd = kT0 + 3'000 * kMs;
const Window kWindow{kT0, kT0 + 15 * kMs, kEnd};  // the disconnect took 15 ms
// CLOCK_REALTIME - CLOCK_MONOTONIC: t=0 is 1712345678.000000000 on the wall clock.
constexpr int64_t kWallAtT0 = 1'712'345'678'000'000'000;
constexpr int64_t kWallOffset = kWallAtT0 - kT0;
const Micros k100ms{100'000};
constexpr int64_t kBound = 1'000 * kMs;
constexpr int64_t kMoshBound = 3'500 * kMs;

json line(const char* agent, const char* kind, int64_t t_ms, json fields = json::object()) {
  fields["agent"] = agent;
  fields["kind"] = kind;
  fields["t_ns"] = kT0 + t_ms * kMs;
  return fields;
}

std::string stamp(int64_t wall_ns) {
  return fmt::format("{}.{:09}", wall_ns / 1'000'000'000, wall_ns % 1'000'000'000);
}

// A chunk that arrived at t_ms and was printed by the server printed_ms earlier.
json output(const char* agent, const char* stream, int64_t t_ms, int64_t printed_ms = 1) {
  const int64_t t = kT0 + t_ms * kMs;
  return line(agent, "output", t_ms,
              {{"stream", stream},
               {"bytes", 21},
               {"wall_ns", t + kWallOffset},
               {"text", stamp(t - printed_ms * kMs + kWallOffset) + "\n"}});
}

// exec-watch lines: ready at -1s, a timestamp on stdout every 100 ms in [from, to).
AgentLines ssh_output(int64_t from_ms, int64_t to_ms, AgentLines l = {}) {
  if (l.empty()) l.push_back(line("exec-watch", "ready", -1000, {{"pid", 42}, {"program", "ssh"}}));
  for (int64_t t = from_ms; t < to_ms; t += 100) l.push_back(output("exec-watch", "stdout", t));
  return l;
}

AgentLines mosh_output(int64_t from_ms, int64_t to_ms, AgentLines l = {}) {
  if (l.empty())
    l.push_back(line("pty-watch", "ready", -1000, {{"pid", 43}, {"program", "mosh-client"}}));
  for (int64_t t = from_ms; t < to_ms; t += 100) l.push_back(output("pty-watch", "pty", t));
  return l;
}

TEST(ClockStamp, AFullStampIsMovedOntoTheMonotonicClock) {
  const int64_t t = kT0 + 500 * kMs, wall = t + kWallOffset;
  EXPECT_EQ(clock_stamp_sent_ns("1712345678.400000000\n", t, wall), kT0 + 400 * kMs);
  // Several lines in one chunk: the latest.
  EXPECT_EQ(clock_stamp_sent_ns("1712345678.300000000\n1712345678.450000000\n", t, wall),
            kT0 + 450 * kMs);
}

TEST(ClockStamp, ARedrawnSuffixIsCompletedFromTheArrivalTime) {
  const int64_t t = kT0 + 500 * kMs, wall = t + kWallOffset;  // wall: ...678.5
  EXPECT_EQ(clock_stamp_sent_ns(".400000000", t, wall), kT0 + 400 * kMs);
  EXPECT_EQ(clock_stamp_sent_ns(".600000000", t, wall), kT0 - 400 * kMs);   // ...677.6
  EXPECT_EQ(clock_stamp_sent_ns("7.900000000", t, wall), kT0 - 100 * kMs);  // ...677.9
  EXPECT_EQ(clock_stamp_sent_ns("78.250000000", t, wall), kT0 + 250 * kMs);
}

TEST(ClockStamp, NoStampWithNineDecimalsIsNothing) {
  EXPECT_FALSE(clock_stamp_sent_ns("", kT0, kWallAtT0));
  EXPECT_FALSE(clock_stamp_sent_ns("8", kT0, kWallAtT0));
  EXPECT_FALSE(clock_stamp_sent_ns("1712345678.1234\n", kT0, kWallAtT0));
  EXPECT_FALSE(clock_stamp_sent_ns("233594005", kT0, kWallAtT0));
}

TEST(ShowsClockOutput, StampsCountNoticesAndCounterUpdatesDoNot) {
  EXPECT_TRUE(shows_clock_output("1712345678.123456789\n"));
  EXPECT_TRUE(shows_clock_output(".233594005"));  // a redraw from the first changed cell
  EXPECT_FALSE(shows_clock_output("mosh: Last contact 7 seconds ago. [To quit: Ctrl-^ .]"));
  EXPECT_FALSE(shows_clock_output("mosh: Signal received, shutting down...\n1712345678.123456789"));
  EXPECT_FALSE(shows_clock_output("8"));  // the notice's counter, redrawn alone
  EXPECT_FALSE(shows_clock_output(""));
}

TEST(SshFate, SteadyOutputIsYes) {
  const ProbeFate f = ssh_fate(ssh_output(-900, 3000), kWindow, k100ms, kBound);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["outcome"], "yes");
  EXPECT_EQ(f.extra["state"], "alive");
  EXPECT_EQ(f.extra["outputs_after_t0"], 30);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(f.extra["round_trip_after_ms"].get<double>(), 100.0);  // printed at 99 ms
  EXPECT_TRUE(f.extra["frozen_since_ms"].is_null());
}

TEST(SshFate, OneOutputThenSilenceIsPartial) {
  const ProbeFate f = ssh_fate(ssh_output(-900, 200), kWindow, k100ms, kBound);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "partial");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2900.0);
  EXPECT_DOUBLE_EQ(f.extra["silence_started_ms"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(f.extra["frozen_since_ms"].get<double>(), 100.0);
}

TEST(SshFate, OutputPrintedBeforeTheDisconnectCompletedIsNo) {
  AgentLines l = ssh_output(-900, 0);
  l.push_back(output("exec-watch", "stdout", 10));  // printed at 9 ms, during the trigger
  // A flush long after, of output printed at -50 ms: arrived after, proves nothing.
  for (int64_t t = 500; t < 3000; t += 100) l.push_back(output("exec-watch", "stdout", t, t + 50));
  const ProbeFate f = ssh_fate(l, kWindow, k100ms, kBound);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.extra["state"], "hanging");
  EXPECT_TRUE(f.extra["round_trip_after_ms"].is_null());
}

TEST(SshFate, OutputWithoutTheWallClockReadingProvesNothing) {
  AgentLines l = ssh_output(-900, 3000);
  for (auto& x : l) x.erase("wall_ns");  // lines from an older agent
  const ProbeFate f = ssh_fate(l, kWindow, k100ms, kBound);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 100.0);
}

TEST(SshFate, NoOutputAfterT0IsNoWithoutAnError) {
  const ProbeFate f = ssh_fate(ssh_output(-900, 0), kWindow, k100ms, kBound);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.extra["state"], "hanging");
  EXPECT_DOUBLE_EQ(f.extra["frozen_since_ms"].get<double>(), -100.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 3100.0);
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2985.0);
  EXPECT_TRUE(f.extra["resumed_at_ms"].is_null());
}

TEST(SshFate, LongSilenceThenRecoveryIsPartial) {
  AgentLines l = ssh_output(-900, 0);
  l = ssh_output(1500, 3000, l);
  const ProbeFate f = ssh_fate(l, kWindow, k100ms, kBound);
  EXPECT_EQ(f.extra["outcome"], "partial");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 1485.0);
  EXPECT_DOUBLE_EQ(f.extra["recovered_ms"].get<double>(), 1500.0);
}

TEST(SshFate, ExitAfterT0IsNoWithWhatSshSaid) {
  AgentLines l = ssh_output(-900, 0);
  l.push_back(line("exec-watch", "output", 1200,
                   {{"stream", "stderr"},
                    {"bytes", 44},
                    {"text", "client_loop: send disconnect: Broken pipe\n"}}));
  l.push_back(line("exec-watch", "exit", 1201, {{"status", 255}, {"ended_by", "program"}}));
  const ProbeFate f = ssh_fate(l, kWindow, k100ms, kBound);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.error, "client_loop: send disconnect: Broken pipe");
  ASSERT_TRUE(f.detected_ms);
  EXPECT_DOUBLE_EQ(*f.detected_ms, 1201.0);
  EXPECT_EQ(f.extra["exit"], "exit status 255");
  EXPECT_EQ(f.extra["state"], "failed");
}

TEST(SshFate, ExitAfterOutputCameBackIsPartial) {
  AgentLines l = ssh_output(-900, 500);
  l.push_back(line("exec-watch", "exit", 600, {{"signal", "SIGPIPE"}, {"ended_by", "program"}}));
  const ProbeFate f = ssh_fate(l, kWindow, k100ms, 10'000 * kMs);
  EXPECT_EQ(f.error, "ssh ended: killed by SIGPIPE");
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "partial");
}

TEST(SshFate, EndedByTheAgentAfterTheWindowIsNoError) {
  AgentLines l = ssh_output(-900, 3000);
  l.push_back(line("exec-watch", "exit", 3050, {{"signal", "SIGTERM"}, {"ended_by", "agent"}}));
  EXPECT_TRUE(ssh_fate(l, kWindow, k100ms, kBound).survived);
}

TEST(SshFate, ExitAfterTheWindowIsNotCounted) {
  AgentLines l = ssh_output(-900, 0);
  l.push_back(line("exec-watch", "exit", 3500, {{"status", 255}, {"ended_by", "program"}}));
  const ProbeFate f = ssh_fate(l, kWindow, k100ms, kBound);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["state"], "hanging");
}

TEST(SshFate, RefusedBeforeT0IsAFailedSetUp) {
  AgentLines l = {line("exec-watch", "ready", -1000)};
  l.push_back(
      line("exec-watch", "output", -990,
           {{"stream", "stderr"},
            {"text", "ssh: connect to host 198.51.100.10 port 2222: Connection refused\r\n"}}));
  l.push_back(line("exec-watch", "exit", -989, {{"status", 255}, {"ended_by", "program"}}));
  const ProbeFate f = ssh_fate(l, kWindow, k100ms, kBound);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  ASSERT_TRUE(f.error);
  EXPECT_NE(f.error->find("ended before t=0"), std::string::npos) << *f.error;
  EXPECT_NE(f.error->find("Connection refused"), std::string::npos) << *f.error;
  EXPECT_FALSE(f.extra.contains("outcome"));
}

TEST(SshFate, NoOutputBeforeT0IsAFailedSetUp) {
  const ProbeFate f = ssh_fate(ssh_output(100, 3000), kWindow, k100ms, kBound);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_NE(f.error->find("no output"), std::string::npos);
}

TEST(SshFate, AgentThatCouldNotStartIsAFailedSetUp) {
  const ProbeFate f = ssh_fate({line("exec-watch", "setup_failed", -1000,
                                     {{"error", "execvp(ssh): No such file or directory"}})},
                               kWindow, k100ms, kBound);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_EQ(f.error, "execvp(ssh): No such file or directory");
}

TEST(MoshFate, OutputResumingWithinItsBoundIsYes) {
  AgentLines l = mosh_output(-900, -50);  // last at -100 ms
  l = mosh_output(2400, 3000, l);
  const ProbeFate f = mosh_fate(l, kWindow, k100ms, kMoshBound);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "yes");
  EXPECT_DOUBLE_EQ(f.extra["silence_bound_ms"].get<double>(), 3500.0);
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2385.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 2500.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_started_ms"].get<double>(), -100.0);
  EXPECT_DOUBLE_EQ(f.extra["resumed_at_ms"].get<double>(), 2400.0);
  // The same lines under a 1 s bound: partial.
  EXPECT_EQ(mosh_fate(l, kWindow, k100ms, kBound).extra["outcome"], "partial");
}

TEST(MoshFate, ARedrawnSuffixCountsWhenItsTimeIsKnown) {
  AgentLines l = mosh_output(-900, 0);
  for (int64_t t = 100; t < 3000; t += 100) {
    json o = output("pty-watch", "pty", t);
    const std::string text = o["text"];
    o["text"] = text.substr(text.find('.') - 1);  // "8.123456789\n": the changed cells only
    l.push_back(o);
  }
  const ProbeFate f = mosh_fate(l, kWindow, k100ms, kMoshBound);
  EXPECT_EQ(f.extra["outcome"], "yes");
}

TEST(MoshFate, NoticesAndTheirCounterAreNotOutput) {
  AgentLines l = mosh_output(-900, 0);
  l.push_back(line(
      "pty-watch", "output", 1500,
      {{"stream", "pty"}, {"text", "mosh: Last contact 1 seconds ago. [To quit: Ctrl-^ .]  \n"}}));
  for (int s = 2; s <= 3; ++s)
    l.push_back(line("pty-watch", "output", 500 + 1000 * s,
                     {{"stream", "pty"}, {"text", std::to_string(s)}}));
  const Window w{kT0, kT0 + 15 * kMs, kT0 + 4'000 * kMs};
  const ProbeFate f = mosh_fate(l, w, k100ms, kMoshBound);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["outcome"], "no");
  EXPECT_EQ(f.extra["notice"], "mosh: Last contact 1 seconds ago. [To quit: Ctrl-^ .]");
  EXPECT_TRUE(f.extra["resumed_at_ms"].is_null());
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 4100.0);
}

TEST(MoshFate, ResumedThenSilentToTheEndIsPartial) {
  AgentLines l = mosh_output(-900, 0);
  l = mosh_output(500, 1000, l);  // last at 900 ms, then silence to 3 s
  const ProbeFate f = mosh_fate(l, kWindow, k100ms, 1'500 * kMs);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "partial");
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2100.0);
  EXPECT_DOUBLE_EQ(f.extra["frozen_since_ms"].get<double>(), 900.0);
}

TEST(MoshFate, ClientExitingIsTheError) {
  AgentLines l = mosh_output(-900, 0);
  l.push_back(line("pty-watch", "exit", 700, {{"status", 1}, {"ended_by", "program"}}));
  const ProbeFate f = mosh_fate(l, kWindow, k100ms, kMoshBound);
  EXPECT_EQ(f.error, "mosh-client ended: exit status 1");
  EXPECT_DOUBLE_EQ(*f.detected_ms, 700.0);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["outcome"], "no");
}

TEST(MoshFate, NothingFromTheServerBeforeT0IsAFailedSetUp) {
  AgentLines l = {line("pty-watch", "ready", -1000)};
  l.push_back(
      line("pty-watch", "output", -500,
           {{"stream", "pty"}, {"text", "mosh: Nothing received from server on UDP port 60001."}}));
  const ProbeFate f = mosh_fate(l, kWindow, k100ms, kMoshBound);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_NE(f.error->find("Nothing received from server"), std::string::npos) << *f.error;
}

TEST(RemoteFates, GapAroundT0AndTheLaterOutageAreTwoFigures) {
  // Last before t=0 at -60 ms, one in flight at +5 ms, then nothing until +2500 ms.
  AgentLines l = {line("pty-watch", "ready", -1000), output("pty-watch", "pty", -160),
                  output("pty-watch", "pty", -60), output("pty-watch", "pty", 5)};
  l = mosh_output(2500, 3000, l);
  const ProbeFate f = mosh_fate(l, kWindow, k100ms, kMoshBound);
  EXPECT_TRUE(f.survived);
  EXPECT_DOUBLE_EQ(f.extra["gap_at_t0_ms"].get<double>(), 65.0);
  EXPECT_DOUBLE_EQ(f.extra["resumed_at_ms"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 2495.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_started_ms"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(f.extra["recovered_ms"].get<double>(), 2500.0);
  EXPECT_DOUBLE_EQ(f.extra["longest_silence_ms"].get<double>(), 2485.0);
}

}  // namespace
}  // namespace ss
