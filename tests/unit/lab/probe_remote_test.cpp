// The ssh and mosh probes' pure parts: sshd_config, mosh-server's output, and fates derived
// from hand-built watch-agent lines.
#include <gtest/gtest.h>

#include "lab/probe_remote.hpp"

namespace ss::lab {
namespace {

using nlohmann::json;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'000'000 * kMs;
constexpr int64_t kEnd = kT0 + 3'000 * kMs;
const Micros k100ms{100'000};

json line(const char* agent, const char* kind, int64_t t_ms, json fields = json::object()) {
  fields["agent"] = agent;
  fields["kind"] = kind;
  fields["t_ns"] = kT0 + t_ms * kMs;
  return fields;
}

// exec-watch lines: ready at -1s, a timestamp on stdout every 100 ms in [from, to).
AgentLines ssh_output(int64_t from_ms, int64_t to_ms) {
  AgentLines l = {line("exec-watch", "ready", -1000, {{"pid", 42}, {"program", "ssh"}})};
  for (int64_t t = from_ms; t < to_ms; t += 100)
    l.push_back(line("exec-watch", "output", t,
                     {{"stream", "stdout"}, {"bytes", 21}, {"text", "1712345678.123456789\n"}}));
  return l;
}

AgentLines mosh_output(int64_t from_ms, int64_t to_ms, AgentLines l = {}) {
  if (l.empty())
    l.push_back(line("pty-watch", "ready", -1000, {{"pid", 43}, {"program", "mosh-client"}}));
  for (int64_t t = from_ms; t < to_ms; t += 100)
    l.push_back(line("pty-watch", "output", t,
                     {{"stream", "pty"}, {"bytes", 22}, {"text", "1712345678.123456789\n"}}));
  return l;
}

TEST(SshdConfig, PerRunServerWithKeysOnlyAndDefaultKeepalives) {
  const std::string c = sshd_config({"198.51.100.10", 2222, "/run/x/host", "/run/x/auth"});
  for (const char* want :
       {"Port 2222\n", "ListenAddress 198.51.100.10\n", "HostKey /run/x/host\n",
        "AuthorizedKeysFile /run/x/auth\n", "PermitRootLogin prohibit-password\n",
        "PasswordAuthentication no\n", "UsePAM no\n", "StrictModes no\n", "PidFile none\n"})
    EXPECT_NE(c.find(want), std::string::npos) << want;
  EXPECT_EQ(c.find("\nClientAlive"), std::string::npos);  // sshd's own defaults
  EXPECT_EQ(c.find("\nTCPKeepAlive"), std::string::npos);
}

TEST(MoshConnect, ParsesTheLineAmongOthers) {
  auto c = parse_mosh_connect("\r\nMOSH CONNECT 60001 ziMnjYJRyQ6Y0vthKj/1YA\r\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 60001);
  EXPECT_EQ(c->key, "ziMnjYJRyQ6Y0vthKj/1YA");
  EXPECT_TRUE(parse_mosh_connect("noise\nMOSH CONNECT 1 abcdefghijklmnopqrstu+\n"));
}

TEST(MoshConnect, IncompleteOrMalformedIsNothing) {
  EXPECT_FALSE(parse_mosh_connect(""));
  EXPECT_FALSE(
      parse_mosh_connect("MOSH CONNECT 60001 ziMnjYJRyQ6Y0vthKj/1YA"));  // no end of line yet
  EXPECT_FALSE(parse_mosh_connect("MOSH CONNECT 60001\n"));
  EXPECT_FALSE(parse_mosh_connect("MOSH CONNECT 0 ziMnjYJRyQ6Y0vthKj/1YA\n"));
  EXPECT_FALSE(parse_mosh_connect("MOSH CONNECT 70000 ziMnjYJRyQ6Y0vthKj/1YA\n"));
  EXPECT_FALSE(parse_mosh_connect("MOSH CONNECT x ziMnjYJRyQ6Y0vthKj/1YA\n"));
  EXPECT_FALSE(parse_mosh_connect("MOSH CONNECT 60001 short\n"));
  EXPECT_FALSE(parse_mosh_connect("MOSH CONNECT 60001 ziMnjYJRyQ6Y0vthKj/1Y!\n"));
  EXPECT_FALSE(parse_mosh_connect("MOSH CONNECT 60001 ziMnjYJRyQ6Y0vthKj/1YA extra\n"));
}

TEST(MoshDetachedPid, FromTheParentsStderr) {
  EXPECT_EQ(parse_mosh_detached_pid(
                "mosh-server (mosh 1.4.0)\n...\n[mosh-server detached, pid = 4799]\n"),
            4799);
  EXPECT_FALSE(parse_mosh_detached_pid("[mosh-server detached, pid = ]"));
  EXPECT_FALSE(parse_mosh_detached_pid("[mosh-server detached, pid = 4799"));  // cut short
  EXPECT_FALSE(parse_mosh_detached_pid("[mosh-server detached, pid = 1]"));
  EXPECT_FALSE(parse_mosh_detached_pid("[mosh-server detached, pid = 12345678901]"));
  EXPECT_FALSE(parse_mosh_detached_pid("bind: Address already in use"));
}

TEST(ShowsClockOutput, StampsCountNoticesAndCounterUpdatesDoNot) {
  EXPECT_TRUE(shows_clock_output("1712345678.123456789\n"));
  EXPECT_TRUE(shows_clock_output(".233594005"));  // a redraw from the first changed cell
  EXPECT_FALSE(shows_clock_output("mosh: Last contact 7 seconds ago. [To quit: Ctrl-^ .]"));
  EXPECT_FALSE(shows_clock_output("mosh: Signal received, shutting down...\n1712345678.123456789"));
  EXPECT_FALSE(shows_clock_output("8"));  // the notice's counter, redrawn alone
  EXPECT_FALSE(shows_clock_output(""));
}

TEST(SshFate, OutputKeepsArrivingIsAlive) {
  const ProbeFate f = ssh_fate(ssh_output(-900, 3000), kT0, kEnd, k100ms);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["state"], "alive");
  EXPECT_EQ(f.extra["outputs_after_t0"], 30);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 100.0);
  EXPECT_TRUE(f.extra["frozen_since_ms"].is_null());
}

TEST(SshFate, NoOutputAfterT0IsFrozenWithoutAnError) {
  const ProbeFate f = ssh_fate(ssh_output(-900, 0), kT0, kEnd, k100ms);  // last one at -100 ms
  EXPECT_TRUE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_FALSE(f.detected_ms);
  EXPECT_EQ(f.extra["state"], "frozen");
  EXPECT_DOUBLE_EQ(f.extra["frozen_since_ms"].get<double>(), -100.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 3100.0);
  EXPECT_TRUE(f.extra["resumed_at_ms"].is_null());
}

TEST(SshFate, SilenceShorterThanTheThresholdAtTheEndIsNotFrozen) {
  const ProbeFate f =
      ssh_fate(ssh_output(-900, 2200), kT0, kEnd, k100ms);  // last at 2100 ms: silent for 900 ms
  EXPECT_TRUE(f.survived);
  EXPECT_DOUBLE_EQ(f.extra["frozen_after_ms"].get<double>(), 1000.0);
}

TEST(SshFate, ExitAfterT0IsTheErrorWithWhatSshSaid) {
  AgentLines l = ssh_output(-900, 0);
  l.push_back(line("exec-watch", "output", 1200,
                   {{"stream", "stderr"},
                    {"bytes", 44},
                    {"text", "client_loop: send disconnect: Broken pipe\n"}}));
  l.push_back(line("exec-watch", "exit", 1201, {{"status", 255}, {"ended_by", "program"}}));
  const ProbeFate f = ssh_fate(l, kT0, kEnd, k100ms);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.error, "client_loop: send disconnect: Broken pipe");
  ASSERT_TRUE(f.detected_ms);
  EXPECT_DOUBLE_EQ(*f.detected_ms, 1201.0);
  EXPECT_EQ(f.extra["exit"], "exit status 255");
  EXPECT_EQ(f.extra["state"], "failed");
}

TEST(SshFate, ExitWithoutStderrNamesTheStatus) {
  AgentLines l = ssh_output(-900, 500);
  l.push_back(line("exec-watch", "exit", 600, {{"signal", "SIGPIPE"}, {"ended_by", "program"}}));
  const ProbeFate f = ssh_fate(l, kT0, kEnd, k100ms);
  EXPECT_EQ(f.error, "ssh ended: killed by SIGPIPE");
  EXPECT_FALSE(f.survived);
}

TEST(SshFate, EndedByTheAgentAfterTheWindowIsNoError) {
  AgentLines l = ssh_output(-900, 3000);
  l.push_back(line("exec-watch", "exit", 3050, {{"signal", "SIGTERM"}, {"ended_by", "agent"}}));
  EXPECT_TRUE(ssh_fate(l, kT0, kEnd, k100ms).survived);
}

TEST(SshFate, ExitAfterTheWindowIsNotCounted) {
  AgentLines l = ssh_output(-900, 0);
  l.push_back(line("exec-watch", "exit", 3500, {{"status", 255}, {"ended_by", "program"}}));
  const ProbeFate f = ssh_fate(l, kT0, kEnd, k100ms);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["state"], "frozen");
}

TEST(SshFate, RefusedBeforeT0IsAFailedSetUp) {
  AgentLines l = {line("exec-watch", "ready", -1000)};
  l.push_back(
      line("exec-watch", "output", -990,
           {{"stream", "stderr"},
            {"text", "ssh: connect to host 198.51.100.10 port 2222: Connection refused\r\n"}}));
  l.push_back(line("exec-watch", "exit", -989, {{"status", 255}, {"ended_by", "program"}}));
  const ProbeFate f = ssh_fate(l, kT0, kEnd, k100ms);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_FALSE(f.survived);
  ASSERT_TRUE(f.error);
  EXPECT_NE(f.error->find("ended before t=0"), std::string::npos) << *f.error;
  EXPECT_NE(f.error->find("Connection refused"), std::string::npos) << *f.error;
}

TEST(SshFate, NoOutputBeforeT0IsAFailedSetUp) {
  const ProbeFate f = ssh_fate(ssh_output(100, 3000), kT0, kEnd, k100ms);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_NE(f.error->find("no output"), std::string::npos);
}

TEST(SshFate, AgentThatCouldNotStartIsAFailedSetUp) {
  const ProbeFate f = ssh_fate({line("exec-watch", "setup_failed", -1000,
                                     {{"error", "execvp(ssh): No such file or directory"}})},
                               kT0, kEnd, k100ms);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_EQ(f.error, "execvp(ssh): No such file or directory");
}

TEST(MoshFate, OutputResumingAfterAGapSurvives) {
  AgentLines l = mosh_output(-900, -50);  // last at -100 ms
  l = mosh_output(2400, 3000, l);
  const ProbeFate f = mosh_fate(l, kT0, kEnd, k100ms);
  EXPECT_TRUE(f.setup_ok);
  EXPECT_TRUE(f.survived);
  EXPECT_EQ(f.extra["state"], "alive");
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 2500.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_started_ms"].get<double>(), -100.0);
  EXPECT_DOUBLE_EQ(f.extra["resumed_at_ms"].get<double>(), 2400.0);
}

TEST(MoshFate, NoticesAndTheirCounterAreNotOutput) {
  AgentLines l = mosh_output(-900, 0);
  l.push_back(line(
      "pty-watch", "output", 1500,
      {{"stream", "pty"}, {"text", "mosh: Last contact 1 seconds ago. [To quit: Ctrl-^ .]  \n"}}));
  for (int s = 2; s <= 3; ++s)
    l.push_back(line("pty-watch", "output", 500 + 1000 * s,
                     {{"stream", "pty"}, {"text", std::to_string(s)}}));
  const ProbeFate f = mosh_fate(l, kT0, kT0 + 4'000 * kMs, k100ms);
  EXPECT_FALSE(f.survived);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.extra["state"], "frozen");
  EXPECT_EQ(f.extra["notice"], "mosh: Last contact 1 seconds ago. [To quit: Ctrl-^ .]");
  EXPECT_TRUE(f.extra["resumed_at_ms"].is_null());
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 4100.0);
}

TEST(MoshFate, ResumedThenFrozenAgainDidNotSurvive) {
  AgentLines l = mosh_output(-900, 0);
  l = mosh_output(500, 1000, l);  // last at 900 ms, then silence to 3 s
  const ProbeFate f = mosh_fate(l, kT0, kEnd, k100ms);
  EXPECT_FALSE(f.survived);
  EXPECT_EQ(f.extra["state"], "frozen");
  EXPECT_DOUBLE_EQ(f.extra["frozen_since_ms"].get<double>(), 900.0);
}

TEST(MoshFate, ClientExitingIsTheError) {
  AgentLines l = mosh_output(-900, 0);
  l.push_back(line("pty-watch", "exit", 700, {{"status", 1}, {"ended_by", "program"}}));
  const ProbeFate f = mosh_fate(l, kT0, kEnd, k100ms);
  EXPECT_EQ(f.error, "mosh-client ended: exit status 1");
  EXPECT_DOUBLE_EQ(*f.detected_ms, 700.0);
  EXPECT_FALSE(f.survived);
}

TEST(MoshFate, NothingFromTheServerBeforeT0IsAFailedSetUp) {
  AgentLines l = {line("pty-watch", "ready", -1000)};
  l.push_back(
      line("pty-watch", "output", -500,
           {{"stream", "pty"}, {"text", "mosh: Nothing received from server on UDP port 60001."}}));
  const ProbeFate f = mosh_fate(l, kT0, kEnd, k100ms);
  EXPECT_FALSE(f.setup_ok);
  EXPECT_NE(f.error->find("Nothing received from server"), std::string::npos) << *f.error;
}

// A fake environment for the arguments a probe gives its client agent.
class ArgsOnlyEnv final : public ProbeEnv {
 public:
  Lab& lab() override { throw std::logic_error("lab"); }
  const Scenario& scenario() override { throw std::logic_error("scenario"); }
  std::string server_ip() override { return "198.51.100.10"; }
  std::string self_exe() override { return "/usr/bin/splitsecond"; }
  const AgentLines& start_server_agent(const std::string&, std::vector<std::string>) override {
    throw std::logic_error("start_server_agent");
  }
  sys::Child& start_server_program(const std::string&, std::vector<std::string>, bool) override {
    throw std::logic_error("start_server_program");
  }
};

TEST(SshProbe, ClientRunsSshUnderExecWatchWithTheClockCommand) {
  ProbeSpec spec{"ssh", k100ms, 2222};
  auto p = make_ssh_probe(spec);
  EXPECT_EQ(p->name(), "ssh");
  EXPECT_EQ(p->proto(), "ssh");
  ArgsOnlyEnv env;
  const auto args = p->client_args(env, "4s");
  ASSERT_GE(args.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(args.begin(), args.begin() + 6),
            (std::vector<std::string>{"exec-watch", "--duration", "4s", "--ready-on-output", "--",
                                      "ssh"}));
  EXPECT_EQ(args.back(), kClockCommand);
  EXPECT_EQ(args[args.size() - 2], "root@198.51.100.10");
  EXPECT_NE(std::find(args.begin(), args.end(), "BatchMode=yes"), args.end());
  auto port = std::find(args.begin(), args.end(), "-p");
  ASSERT_NE(port, args.end());
  EXPECT_EQ(*(port + 1), "2222");
}

TEST(MoshProbe, NameAndProto) {
  auto p = make_mosh_probe({"mosh", k100ms, 60001});
  EXPECT_EQ(p->name(), "mosh");
  EXPECT_EQ(p->proto(), "mosh");
}

}  // namespace
}  // namespace ss::lab

namespace ss::lab {
namespace {

TEST(DescendantsOf, ChildrenThenGrandchildrenOnly) {
  // 10 sshd listener -> 20 session -> 30 bash -> 40 sleep; 11 elsewhere -> 21; 1 init
  const std::vector<std::pair<int, int>> table = {{1, 0},   {10, 1},  {11, 1},  {20, 10},
                                                  {21, 11}, {30, 20}, {40, 30}, {41, 30}};
  EXPECT_EQ(descendants_of(10, table), (std::vector<int>{20, 30, 40, 41}));
  EXPECT_EQ(descendants_of(30, table), (std::vector<int>{40, 41}));
  EXPECT_TRUE(descendants_of(40, table).empty());
  EXPECT_TRUE(descendants_of(99, table).empty());
}

TEST(DescendantsOf, ACycleInATornTableEnds) {
  const std::vector<std::pair<int, int>> table = {{20, 10}, {30, 20}, {20, 30}};
  EXPECT_EQ(descendants_of(10, table), (std::vector<int>{20, 30}));
}

}  // namespace
}  // namespace ss::lab

namespace ss::lab {
namespace {

TEST(MoshAttachments, FirstAddressThenEachRoam) {
  const std::string log =
      "[mosh-server detached, pid = 7899]\n"
      "Server now attached to client at 198.51.100.1:48993\n"
      "[10870] Received state 5 [coming from 4, ack 6]\n"
      "Server now attached to client at 198.51.100.1:48993\n"
      "Server now attached to client at 203.0.113.2:48993\r\n"
      "Server now attached to client at 203.0.113.2:5";  // still being written
  EXPECT_EQ(parse_mosh_attachments(log),
            (std::vector<std::string>{"198.51.100.1:48993", "203.0.113.2:48993"}));
  EXPECT_TRUE(parse_mosh_attachments("").empty());
}

TEST(RemoteFates, RecoveryOnlyAfterARealInterruption) {
  constexpr int64_t ms = 1'000'000, t0 = 5'000 * ms, end = t0 + 3'000 * ms;
  auto out = [&](int64_t t) {
    return json{{"kind", "output"}, {"stream", "stdout"}, {"t_ns", t0 + t * ms}, {"text", "1\n"}};
  };
  AgentLines steady = {{{"kind", "ready"}, {"t_ns", 0}}}, broken = steady;
  for (int64_t t = -500; t < 3000; t += 100) steady.push_back(out(t));
  for (int64_t t = -500; t < 3000; t += 100)
    if (t < 0 || t >= 1500) broken.push_back(out(t));
  EXPECT_TRUE(ssh_fate(steady, t0, end, Micros(100'000)).extra["recovered_ms"].is_null());
  EXPECT_DOUBLE_EQ(ssh_fate(broken, t0, end, Micros(100'000)).extra["recovered_ms"].get<double>(),
                   1500.0);
}

}  // namespace
}  // namespace ss::lab

namespace ss::lab {
namespace {

TEST(RemoteFates, GapAroundT0AndTheLaterOutageAreTwoFigures) {
  constexpr int64_t ms = 1'000'000, t0 = 5'000 * ms, end = t0 + 4'000 * ms;
  auto out = [&](int64_t t) {
    return json{
        {"kind", "output"}, {"stream", "pty"}, {"t_ns", t0 + t * ms}, {"text", "1712345678.1\n"}};
  };
  // Last before t=0 at -60 ms, one in flight at +5 ms, then nothing until +2500 ms.
  AgentLines l = {{{"kind", "ready"}, {"t_ns", 0}}, out(-160), out(-60), out(5)};
  for (int64_t t = 2500; t < 4000; t += 100) l.push_back(out(t));
  const ProbeFate f = mosh_fate(l, t0, end, Micros(100'000));
  EXPECT_TRUE(f.survived);
  EXPECT_DOUBLE_EQ(f.extra["gap_at_t0_ms"].get<double>(), 65.0);
  EXPECT_DOUBLE_EQ(f.extra["resumed_at_ms"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_ms"].get<double>(), 2495.0);
  EXPECT_DOUBLE_EQ(f.extra["gap_started_ms"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(f.extra["recovered_ms"].get<double>(), 2500.0);
}

}  // namespace
}  // namespace ss::lab
