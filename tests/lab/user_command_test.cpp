// `splitsecond run disconnect -- CMD`: a real program (bash holding a TCP connection through
// /dev/tcp) against a real server started by --server-cmd (the TCP probe's echo server), and a
// command that does not exist (exit 2, nothing created).
#include <fmt/format.h>

#include "lab_util.hpp"

using namespace labtest;

namespace {

// The client writes a line every 100 ms for 2 s, so it is sending when the disconnect comes,
// says so on stdout and stderr, and exits with 7 before the end of the window.
const char* const kClient =
    "bash -c 'exec 3<>/dev/tcp/$SPLITSECOND_SERVER_IP/9123 || exit 1; echo connected; "
    "echo to-stderr >&2; for i in $(seq 1 20); do echo \"line $i\" >&3; sleep 0.1; done; "
    "echo finished; exit 7'";

TEST(UserCommand, RecordsTheCommandsLinesExitAndTcpSocket) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string json = temp_path("user-command.json");
  const std::string server =
      fmt::format("'{} agent tcp-server --listen $SPLITSECOND_SERVER_IP:9123'", bin());
  // 1.5 s of lead: bash starts and connects well before t=0 on a loaded machine, and its 2 s
  // of writing still goes on at the disconnect; 5 s of window for it to end by itself.
  Result r = sh(bin() + " run disconnect --lead 1500ms --window 5s --json " + json +
                    " --server-cmd " + server + " -- " + kClient,
                120);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(schema_problems(json), "");
  const auto rec = nlohmann::json::parse(slurp(json), nullptr, false);
  std::remove(json.c_str());
  ASSERT_TRUE(rec.contains("user_command")) << rec.dump(2);
  const auto& u = rec["user_command"];

  // The server command listened before the client started, and was ended at the end.
  EXPECT_EQ(u.value("server_listening", ""), "tcp 198.51.100.10:9123") << u.dump(2);
  EXPECT_EQ(u["server_exit"].value("ended_by", ""), "SIGTERM") << u.dump(2);

  // Its lines, on stdout and stderr, stamped on the run's clock, also on the timeline.
  bool connected = false, to_stderr = false;
  for (const auto& l : u["lines"]) {
    if (l["who"] == "cmd" && l["stream"] == "stdout" && l["text"] == "connected")
      connected = l["t_ms"].get<double>() < 0;  // before t=0: it connected before the disconnect
    if (l["who"] == "cmd" && l["stream"] == "stderr" && l["text"] == "to-stderr") to_stderr = true;
  }
  EXPECT_TRUE(connected) << u["lines"].dump(2);
  EXPECT_TRUE(to_stderr) << u["lines"].dump(2);
  EXPECT_TRUE(has_event(rec, "probe", "output", [](const nlohmann::json& e) {
    return e.value("agent", "") == "cmd" && e.value("line", "") == "connected";
  }));

  // Its exit status: 7, by itself, within the window.
  EXPECT_EQ(u["exit"].value("code", -1), 7) << u["exit"].dump();
  EXPECT_TRUE(u["exit"].value("exited", false)) << u["exit"].dump();

  // Its TCP socket to the server, with a state at the disconnect.
  const nlohmann::json* sock = nullptr;
  for (const auto& s : u["sockets"])
    if (s["proto"] == "tcp" && s["peer"] == "198.51.100.10:9123") sock = &s;
  ASSERT_NE(sock, nullptr) << u["sockets"].dump(2);
  bool at_disconnect = false;
  for (const auto& p : (*sock)["points"])
    if (p["at"] == "disconnect" && p["socket"].is_object())
      at_disconnect = !p["socket"]["state"].get<std::string>().empty() &&
                      p["socket"].contains("unacked") && p["socket"]["held"] == true;
  EXPECT_TRUE(at_disconnect) << sock->dump(2);
  // After it exited, the command held it no more.
  EXPECT_NE((*sock)["outcome"], "open") << sock->dump(2);

  EXPECT_NE(r.out.find("Your command"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cmd stdout: connected"), std::string::npos) << r.out;
  EXPECT_EQ(host_state(), before);
}

TEST(UserCommand, ACommandThatDoesNotExistExits2AndCreatesNothing) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  for (const std::string cmd : {"splitsecond-no-such-program-here", "/nonexistent/bin/tool"}) {
    const std::string netns_before = sh("ip netns list").out;
    Result r = sh(bin() + " run disconnect -- " + cmd + " --flag");
    EXPECT_EQ(r.status, 2) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("no such program"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(cmd), std::string::npos) << r.err;
    EXPECT_EQ(sh("ip netns list").out, netns_before);  // no ss- namespace of this run
  }
  EXPECT_EQ(host_state(), before);
}

}  // namespace
