// `run -- CMD`: sock_diag snapshots turned into per-socket fates, both ways (a socket that
// lived through the disconnect and one that died), and the record's JSON round trip.
#include "model/user_command.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

namespace ss {
namespace {

SocketObs tcp(const std::string& key, const std::string& state, bool held, uint32_t unacked = 0,
              uint32_t retrans = 0) {
  SocketObs o;
  o.key = key;
  o.proto = "tcp";
  o.local = "10.0.0.2:40000";
  o.peer = "198.51.100.10:9000";
  o.state = state;
  o.held = held;
  o.send_queue = unacked * 100;
  o.unacked = unacked;
  o.retransmits = retrans;
  o.total_retrans = retrans;
  return o;
}

SocketSnapshot snap(int64_t t_us, std::string label, std::vector<SocketObs> s) {
  return {t_us, std::move(label), std::move(s)};
}

TEST(SocketFates, ASocketThatLivedThroughIsOpenAtTheEnd) {
  const auto fates = socket_fates({
      snap(-100'000, "", {tcp("a", "ESTABLISHED", true)}),
      snap(-1'000, "before t=0", {tcp("a", "ESTABLISHED", true)}),
      snap(2'000, "disconnect", {tcp("a", "ESTABLISHED", true, 1, 1)}),
      snap(3'000'000, "end", {tcp("a", "ESTABLISHED", true)}),
  });
  ASSERT_EQ(fates.size(), 1u);
  const SocketFate& f = fates[0];
  EXPECT_EQ(f.outcome, "open");
  EXPECT_EQ(f.end_state, "ESTABLISHED");
  EXPECT_TRUE(f.changes.empty());
  EXPECT_FALSE(f.vanished_us);
  EXPECT_EQ(f.first_seen_us, -100'000);
  ASSERT_EQ(f.points.size(), 3u);  // the labelled snapshots only
  EXPECT_EQ(f.points[1].at, "disconnect");
  ASSERT_TRUE(f.points[1].seen);
  EXPECT_EQ(f.points[1].seen->unacked, 1u);
}

TEST(SocketFates, ASocketThatDiedIsGoneWithItsLastStateAndWhen) {
  const auto fates = socket_fates({
      snap(-1'000, "before t=0", {tcp("a", "ESTABLISHED", true)}),
      snap(2'000, "disconnect", {tcp("a", "ESTABLISHED", true, 3, 2)}),
      snap(500'000, "", {tcp("a", "FIN_WAIT1", false, 3, 4)}),
      snap(600'000, "", {}),
      snap(3'000'000, "end", {}),
  });
  ASSERT_EQ(fates.size(), 1u);
  const SocketFate& f = fates[0];
  EXPECT_EQ(f.outcome, "gone");
  ASSERT_TRUE(f.vanished_us);
  EXPECT_EQ(*f.vanished_us, 600'000);
  EXPECT_EQ(f.end_state, "FIN_WAIT1");
  ASSERT_TRUE(f.last_seen);
  EXPECT_EQ(f.last_seen->total_retrans, 4u);
  ASSERT_EQ(f.changes.size(), 2u);
  EXPECT_EQ(f.changes[0].from, "ESTABLISHED");
  EXPECT_EQ(f.changes[0].to, "FIN_WAIT1+closed");
  EXPECT_EQ(f.changes[0].after_us, 2'000);
  EXPECT_EQ(f.changes[0].t_us, 500'000);
  EXPECT_EQ(f.changes[1].to, "gone");
  ASSERT_EQ(f.points.size(), 3u);
  EXPECT_FALSE(f.points[2].seen);  // at the end: gone
}

TEST(SocketFates, AClosedButLingeringSocketIsClosedNotOpen) {
  const auto fates = socket_fates({
      snap(0, "disconnect", {tcp("a", "ESTABLISHED", true)}),
      snap(3'000'000, "end", {tcp("a", "TIME_WAIT", false)}),
  });
  ASSERT_EQ(fates.size(), 1u);
  EXPECT_EQ(fates[0].outcome, "closed");
  EXPECT_EQ(fates[0].end_state, "TIME_WAIT");
}

TEST(SocketFates, ASocketNeverHeldByTheCommandIsNotItsOwn) {
  EXPECT_TRUE(socket_fates({snap(0, "end", {tcp("x", "ESTABLISHED", false)})}).empty());
  EXPECT_TRUE(socket_fates({}).empty());
}

TEST(SocketFates, EachSocketIsFollowedFromItsFirstSnapshot) {
  const auto fates = socket_fates({
      snap(0, "before t=0", {tcp("a", "ESTABLISHED", true)}),
      snap(100, "", {tcp("a", "ESTABLISHED", true), tcp("b", "SYN_SENT", true)}),
      snap(200, "end", {tcp("b", "ESTABLISHED", true)}),
  });
  ASSERT_EQ(fates.size(), 2u);
  EXPECT_EQ(fates[0].outcome, "gone");
  EXPECT_EQ(fates[1].first_seen_us, 100);
  EXPECT_EQ(fates[1].outcome, "open");
  ASSERT_EQ(fates[1].changes.size(), 1u);
  EXPECT_EQ(fates[1].changes[0].from, "SYN_SENT");
}

TEST(UserCommandExit, FromAWaitStatus) {
  CommandExit e = exit_from_status(3 << 8, 1500);  // exited with 3
  EXPECT_TRUE(e.exited);
  EXPECT_EQ(e.code, 3);
  EXPECT_FALSE(e.signal);
  CommandExit k = exit_from_status(SIGKILL, 0);
  EXPECT_EQ(k.signal, SIGKILL);
  EXPECT_FALSE(k.code);
}

TEST(UserCommandJson, RoundTrip) {
  UserCommandRun u;
  u.argv = {"bash", "-c", "x"};
  u.server_cmd = "iperf3 -s";
  u.env = {"SPLITSECOND_SERVER_IP=198.51.100.10"};
  u.started_us = -500'000;
  u.exit = exit_from_status(0, 1'000);
  u.server_exit.started = true;
  u.server_exit.ended_by = "SIGTERM";
  u.server_exit.signal = 15;
  u.lines = {{-400'000, "cmd", "stdout", "connected"}};
  u.server_listening = "tcp 198.51.100.10:5201";
  u.sockets = socket_fates(
      {snap(0, "disconnect", {tcp("a", "ESTABLISHED", true, 2, 1)}), snap(10, "end", {})});
  const auto j = user_command_json(u);
  const auto back = user_command_from_json(j);
  EXPECT_EQ(user_command_json(back), j);
  EXPECT_EQ(j["exit"]["code"], 0);
  EXPECT_EQ(j["server_exit"]["ended_by"], "SIGTERM");
  EXPECT_EQ(j["sockets"][0]["outcome"], "gone");
  EXPECT_EQ(j["sockets"][0]["points"][0]["socket"]["unacked"], 2);
}

}  // namespace
}  // namespace ss
