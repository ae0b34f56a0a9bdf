// Ending processes by pid and waiting until they are gone (teardown's and cleanup's sweep).
#include "sys/process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;

std::string comm_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string c;
  std::getline(f, c);
  return c;
}

bool has_cmdline(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
  return f.get() != std::char_traits<char>::eof();
}

// Starts `sh -c script` and waits (bounded) until it has exec'ed into sleep (comm changes a
// moment before the new command line can be read).
ss::sys::Child start_sleeper(const std::string& script) {
  ss::sys::SpawnSpec spec;
  spec.argv = {"sh", "-c", script};
  ss::sys::Child c = ss::sys::spawn(spec);
  for (int i = 0; i < 500 && (comm_of(c.pid()) != "sleep" || !has_cmdline(c.pid())); ++i)
    std::this_thread::sleep_for(2ms);
  EXPECT_EQ(comm_of(c.pid()), "sleep");
  return c;
}

bool exists(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

TEST(EndProcesses, AProcessThatHonoursSigtermEndsWithoutSigkill) {
  ss::sys::Child c = start_sleeper("exec sleep 30");
  auto ended = ss::sys::end_processes(
      {c.pid()}, [](pid_t) { return true; }, 2000ms, 2000ms);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].pid, c.pid());
  EXPECT_EQ(ended[0].command, "sleep 30");
  EXPECT_FALSE(ended[0].needed_kill);
  EXPECT_TRUE(ended[0].gone);
  EXPECT_FALSE(exists(c.pid()));  // reaped, not left a zombie
}

TEST(EndProcesses, AProcessIgnoringSigtermIsKilledAndWaitedFor) {
  ss::sys::Child c = start_sleeper("trap '' TERM; exec sleep 30");
  auto ended = ss::sys::end_processes(
      {c.pid()}, [](pid_t) { return true; }, 100ms, 2000ms);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].needed_kill);
  EXPECT_TRUE(ended[0].gone);
  EXPECT_FALSE(exists(c.pid()));
}

TEST(EndProcesses, AProcessNotConfirmedAsOursIsLeftAlone) {
  ss::sys::Child c = start_sleeper("exec sleep 30");
  auto ended = ss::sys::end_processes(
      {c.pid()}, [](pid_t) { return false; }, 100ms, 100ms);
  EXPECT_TRUE(ended.empty());
  EXPECT_TRUE(c.running());
  c.stop(100ms);
}

TEST(EndProcesses, SeveralAtOnceShareOneGracePeriod) {
  ss::sys::Child a = start_sleeper("exec sleep 30");
  ss::sys::Child b = start_sleeper("trap '' TERM; exec sleep 30");
  auto ended = ss::sys::end_processes(
      {a.pid(), b.pid()}, [](pid_t) { return true; }, 200ms, 2000ms);
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_FALSE(ended[0].needed_kill);
  EXPECT_TRUE(ended[1].needed_kill);
  EXPECT_TRUE(ended[0].gone && ended[1].gone);
}

TEST(EndProcesses, APidThatIsGoneIsSkipped) {
  ss::sys::Child c = start_sleeper("exec sleep 30");
  const pid_t pid = c.pid();
  c.stop(100ms);  // ended and reaped: the pid names nothing now
  auto ended = ss::sys::end_processes(
      {pid}, [](pid_t) { return true; }, 100ms, 100ms);
  EXPECT_TRUE(ended.empty());
}

}  // namespace
