// The ssh and mosh probes' pure parts: sshd_config and mosh-server's output (their fates:
// tests/unit/model/fate_remote_test.cpp).
#include <gtest/gtest.h>

#include "lab/probe_remote.hpp"

namespace ss::lab {
namespace {

const Micros k100ms{100'000};

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

}  // namespace
}  // namespace ss::lab
