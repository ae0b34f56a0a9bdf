// The terminal section of `run -- CMD`: what the record holds, both for a socket that lived
// and one that died, and each way a command can end.
#include "report/user_command.hpp"

#include <gtest/gtest.h>
#include <signal.h>

namespace ss::report {
namespace {

SocketObs established(bool held) {
  SocketObs o;
  o.key = "k";
  o.proto = "tcp";
  o.local = "10.0.0.2:40000";
  o.peer = "198.51.100.10:9000";
  o.state = "ESTABLISHED";
  o.held = held;
  o.send_queue = 300;
  o.unacked = 3;
  o.retransmits = 2;
  o.rto_ms = 800;
  o.total_retrans = 2;
  return o;
}

TEST(UserCommandReport, ExitTexts) {
  EXPECT_EQ(exit_text(exit_from_status(0, 1500)), "exit code 0 at +1.5 ms");
  EXPECT_EQ(exit_text(exit_from_status(SIGSEGV, 0)), "ended by signal 11 at +0.0 ms");
  CommandExit still;
  still.started = true;
  still.signal = SIGTERM;
  still.ended_by = "SIGTERM";
  EXPECT_EQ(exit_text(still),
            "still running at the end of the window: ended by SIGTERM (ended by signal 15)");
  CommandExit bad;
  bad.start_error = "execve(x): No such file";
  EXPECT_EQ(exit_text(bad), "did not start: execve(x): No such file");
}

TEST(UserCommandReport, ALivingAndADeadSocket) {
  UserCommandRun u;
  u.argv = {"bash", "-c", "x"};
  u.exit = exit_from_status(0, 2'000'000);
  u.sockets = socket_fates(
      {{0, "disconnect", {established(true)}}, {3'000'000, "end", {established(true)}}});
  std::string open = render_user_command(u);
  EXPECT_NE(open.find("tcp 10.0.0.2:40000 -> 198.51.100.10:9000 (first seen +0.0 ms): open, "
                      "ESTABLISHED"),
            std::string::npos)
      << open;
  EXPECT_NE(open.find("3 segments unacknowledged"), std::string::npos) << open;
  EXPECT_NE(open.find("2 retransmissions in a row (RTO 800 ms)"), std::string::npos) << open;

  u.sockets = socket_fates(
      {{0, "disconnect", {established(true)}}, {900'000, "", {}}, {3'000'000, "end", {}}});
  std::string gone = render_user_command(u);
  EXPECT_NE(gone.find(": gone, gone by +900.0 ms"), std::string::npos) << gone;
  EXPECT_NE(gone.find("changed ESTABLISHED -> gone between +0.0 ms and +900.0 ms"),
            std::string::npos)
      << gone;
  EXPECT_NE(gone.find("last seen: ESTABLISHED"), std::string::npos) << gone;
}

TEST(UserCommandReport, NoSockets) {
  UserCommandRun u;
  u.argv = {"true"};
  u.exit = exit_from_status(0, 0);
  EXPECT_NE(render_user_command(u).find("held no TCP or UDP socket"), std::string::npos);
}

}  // namespace
}  // namespace ss::report
