// The watch agents through the built binary: exec-watch on pipes, pty-watch on a
// pseudo-terminal, ended by duration, by SIGTERM or by the program itself; and a real
// mosh-server / mosh-client pair on loopback under pty-watch.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>

#include <filesystem>
#include <fstream>

#include "app_agent_harness.hpp"
#include "lab/probe_remote.hpp"

namespace ss {
namespace {

using apptest::json;
using apptest::Process;
using namespace std::chrono_literals;

std::vector<std::string> watch(const char* agent, std::vector<std::string> tail) {
  tail.insert(tail.begin(), agent);
  return Process::agent(std::move(tail));
}

std::vector<json> of_stream(const std::vector<json>& outputs, const std::string& stream) {
  std::vector<json> out;
  for (const auto& o : outputs)
    if (o.value("stream", "") == stream) out.push_back(o);
  return out;
}

TEST(ExecWatch, ReportsEachChunkAndTheExit) {
  Process p(
      watch("exec-watch", {"--duration", "5s", "--", "sh", "-c", "echo a; sleep 0.2; echo b"}));
  ASSERT_TRUE(p.next("ready"));
  EXPECT_EQ(p.wait_exit(5000ms), 0);
  const auto out = of_stream(p.all("output"), "stdout");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["text"], "a\n");
  EXPECT_EQ(out[1]["text"], "b\n");
  EXPECT_EQ(out[1]["bytes"], 2);
  EXPECT_GE(out[1]["t_ns"].get<int64_t>() - out[0]["t_ns"].get<int64_t>(),
            200'000'000);  // the sleep
  const auto exit = p.all("exit");
  ASSERT_EQ(exit.size(), 1u);
  EXPECT_EQ(exit[0]["status"], 0);
  EXPECT_EQ(exit[0]["ended_by"], "program");
  const auto summary = p.all("summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["bytes_out"], 4);
  EXPECT_EQ(summary[0]["chunks"], 2);
  EXPECT_GE(summary[0]["longest_gap_ms"].get<double>(), 200.0);
  EXPECT_EQ(summary[0]["reason"], "exit");
}

TEST(ExecWatch, KeepsStderrApartAndReportsTheStatus) {
  Process p(
      watch("exec-watch", {"--", "sh", "-c", "echo 'Connection reset by peer' >&2; exit 255"}));
  EXPECT_EQ(p.wait_exit(5000ms), 0);
  const auto err = of_stream(p.all("output"), "stderr");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["text"], "Connection reset by peer\n");
  EXPECT_TRUE(of_stream(p.all("output"), "stdout").empty());
  ASSERT_EQ(p.all("exit").size(), 1u);
  EXPECT_EQ(p.all("exit")[0]["status"], 255);
  EXPECT_EQ(p.all("summary")[0]["bytes_err"], 25);
}

TEST(ExecWatch, ProgramsOutputIsNotATerminal) {
  Process p(watch("exec-watch", {"--", "sh", "-c", "[ -t 1 ] && echo tty || echo notty"}));
  EXPECT_EQ(p.wait_exit(5000ms), 0);
  ASSERT_EQ(p.all("output").size(), 1u);
  EXPECT_EQ(p.all("output")[0]["text"], "notty\n");
}

bool pid_is_gone(int pid) {
  return !std::filesystem::exists("/proc/" + std::to_string(pid));
}

TEST(ExecWatch, SigtermEndsTheProgramThenTheAgent) {
  Process p(watch("exec-watch", {"--duration", "30s", "--", "sleep", "30"}));
  auto ready = p.next("ready");
  ASSERT_TRUE(ready);
  const int child = (*ready)["pid"].get<int>();
  p.signal(SIGTERM);
  auto exit = p.next("exit", 3000ms);
  ASSERT_TRUE(exit);
  EXPECT_EQ((*exit)["signal"], "SIGTERM");
  EXPECT_EQ((*exit)["ended_by"], "agent");
  auto summary = p.next("summary", 1000ms);
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["reason"], "signal");
  EXPECT_EQ(p.wait_exit(2000ms), 0);
  EXPECT_TRUE(pid_is_gone(child));
}

TEST(ExecWatch, DurationEndsTheProgram) {
  Process p(watch("exec-watch", {"--duration", "300ms", "--", "sleep", "30"}));
  EXPECT_EQ(p.wait_exit(5000ms), 0);
  ASSERT_EQ(p.all("exit").size(), 1u);
  EXPECT_EQ(p.all("exit")[0]["ended_by"], "agent");
  EXPECT_EQ(p.all("summary")[0]["reason"], "duration");
  EXPECT_TRUE(p.all("summary")[0]["silent_at_end_ms"].is_null());
}

TEST(ExecWatch, MissingProgramIsAFailedSetUp) {
  Process p(watch("exec-watch", {"--", "/nonexistent/splitsecond-no-such-program"}));
  auto failed = p.next("setup_failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["errno"], "ENOENT");
  EXPECT_EQ(p.wait_exit(3000ms), 4);
  EXPECT_TRUE(p.all("ready").empty());
}

TEST(ExecWatch, ReadyOnOutputWaitsForTheFirstChunk) {
  Process p(watch("exec-watch",
                  {"--ready-on-output", "--", "sh", "-c", "echo warming >&2; sleep 0.2; echo up"}));
  EXPECT_EQ(p.wait_exit(5000ms), 0);
  const auto ready = p.all("ready");
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0]["on_output"], true);
  const auto out = of_stream(p.all("output"), "stdout");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LE(ready[0]["t_ns"].get<int64_t>(), out[0]["t_ns"].get<int64_t>());
  EXPECT_GE(ready[0]["t_ns"].get<int64_t>(),
            of_stream(p.all("output"), "stderr").at(0)["t_ns"].get<int64_t>());
}

TEST(ExecWatch, ReadyOnOutputWithoutOutputIsAFailedSetUp) {
  Process p(
      watch("exec-watch",
            {"--ready-on-output", "--", "sh", "-c",
             "echo 'ssh: connect to host 127.0.0.1 port 9: Connection refused' >&2; exit 255"}));
  EXPECT_EQ(p.wait_exit(5000ms), 4);
  EXPECT_TRUE(p.all("ready").empty());
  const auto failed = p.all("setup_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0]["error"].get<std::string>().find("Connection refused"), std::string::npos);
  EXPECT_EQ(failed[0]["exit"]["status"], 255);
}

TEST(PtyWatch, ProgramRunsOnATerminalOfTheGivenSize) {
  Process p(
      watch("pty-watch",
            {"--env", "PROBE=yes", "--", "sh", "-c",
             "[ -t 0 ] && [ -t 1 ] && echo \"tty $TERM $LC_ALL $PROBE $(stty size)\"; exit 7"}));
  ASSERT_TRUE(p.next("ready"));
  EXPECT_EQ(p.wait_exit(5000ms), 0);
  std::string text;
  for (const auto& o : p.all("output")) {
    EXPECT_EQ(o["stream"], "pty");
    text += o["text"].get<std::string>();
  }
  EXPECT_EQ(text, "tty xterm C.UTF-8 yes 24 80\n");
  ASSERT_EQ(p.all("exit").size(), 1u);
  EXPECT_EQ(p.all("exit")[0]["status"], 7);
  EXPECT_EQ(p.all("exit")[0]["ended_by"], "program");
}

TEST(PtyWatch, SigtermEndsAProgramInItsOwnSession) {
  Process p(watch("pty-watch", {"--", "sh", "-c", "trap '' HUP; echo up; exec sleep 30"}));
  auto ready = p.next("ready");
  ASSERT_TRUE(ready);
  ASSERT_TRUE(p.next("output"));
  p.signal(SIGTERM);
  auto exit = p.next("exit", 3000ms);
  ASSERT_TRUE(exit);
  EXPECT_EQ((*exit)["ended_by"], "agent");
  EXPECT_EQ(p.wait_exit(2000ms), 0);
  EXPECT_TRUE(pid_is_gone((*ready)["pid"].get<int>()));
}

TEST(WatchAgents, BadInputIsExitTwo) {
  for (auto args :
       {watch("exec-watch", {"--duration", "soon", "--", "true"}),
        watch("pty-watch", {"--env", "1BAD=x", "--", "true"}), watch("exec-watch", {})}) {
    Process p(args);
    EXPECT_EQ(p.wait_exit(3000ms), 2) << args[2];
  }
}

// Real mosh on loopback: the server the mosh probe starts, the client the lab runs.
class MoshLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sys::find_program("mosh-server").empty() || sys::find_program("mosh-client").empty())
      FAIL() << "mosh is not installed: scripts/deps.sh must install it";
    err_ = std::filesystem::temp_directory_path() /
           ("watch-mosh-" + std::to_string(::getpid()) + ".err");
    sys::SpawnSpec spec;
    spec.argv = {
        "mosh-server", "new", "-c",          "256", "-l", "LANG=C.UTF-8", "-i",
        "127.0.0.1",   "-p",  "61000:61999", "--",  "sh", "-c",           lab::kClockCommand};
    spec.stderr_path = err_;
    const auto [status, out] = sys::run_capture(spec, 5000ms);
    connect_ = lab::parse_mosh_connect(out);
    std::ifstream in(err_);
    std::string err((std::istreambuf_iterator<char>(in)), {});
    server_pid_ = lab::parse_mosh_detached_pid(err);
    if (server_pid_)
      server_ = sys::Fd(static_cast<int>(::syscall(SYS_pidfd_open, *server_pid_, 0)));
  }
  void TearDown() override {
    if (server_) ::syscall(SYS_pidfd_send_signal, server_.get(), SIGKILL, nullptr, 0);
    if (!err_.empty()) std::filesystem::remove(err_);
  }
  std::string err_;
  std::optional<lab::MoshConnect> connect_;
  std::optional<int> server_pid_;
  sys::Fd server_;
};

TEST_F(MoshLoopback, ClientOnAPtyShowsTheServersClock) {
  ASSERT_TRUE(connect_);
  ASSERT_TRUE(server_pid_);
  ASSERT_TRUE(server_);
  Process p(watch("pty-watch", {"--duration", "1500ms", "--env", "MOSH_KEY=" + connect_->key, "--",
                                "mosh-client", "127.0.0.1", std::to_string(connect_->port)}));
  ASSERT_TRUE(p.next("ready"));
  EXPECT_EQ(p.wait_exit(6000ms), 0);
  int clock_updates = 0;
  for (const auto& o : p.all("output"))
    clock_updates += lab::shows_clock_output(o.value("text", ""));
  EXPECT_GE(clock_updates, 3);
  ASSERT_EQ(p.all("exit").size(), 1u);
  EXPECT_EQ(p.all("exit")[0]["ended_by"], "agent");
}

}  // namespace
}  // namespace ss
