#pragma once
// `run -- CMD`: the user's own program in the lab. What its sockets went through, derived from
// sock_diag snapshots taken during the run (pure: snapshots in, per-socket fates out), and the
// record's part for the command (docs/run-cmd.md, "user_command" in docs/schema.md).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ss {

// One socket as one snapshot saw it.
struct SocketObs {
  std::string key;    // the kernel's socket cookie: one socket for its whole life
  std::string proto;  // "tcp" or "udp"
  std::string local, peer;
  std::string state;  // the kernel's TCP state name; UDP: ESTABLISHED (connected) or UNCONN
  bool held = false;  // an fd of the command's process tree pointed at it (false: closed by it)
  uint32_t send_queue = 0;  // TCP: bytes written and not acknowledged (sent or not)
  uint32_t recv_queue = 0;  // bytes received and not read by the command
  // TCP only (tcp_info):
  std::optional<uint32_t> unacked;        // segments sent and not acknowledged
  std::optional<uint32_t> retransmits;    // consecutive RTO retransmissions now
  std::optional<uint32_t> total_retrans;  // retransmitted segments over the socket's life
  std::optional<uint32_t> rto_ms;
  std::optional<uint32_t> last_data_recv_ms;  // ms since data last arrived
};

// Every socket of the command at one moment. `label` names the moment ("before t=0", an
// action's name, "end"); periodic snapshots have none.
struct SocketSnapshot {
  int64_t t_us = 0;  // relative to t=0
  std::string label;
  std::vector<SocketObs> sockets;
};

// A socket at a labelled moment ("gone" when the kernel no longer had it).
struct SocketPoint {
  std::string at;
  int64_t t_us = 0;
  std::optional<SocketObs> seen;  // absent: gone
};

// A change between two consecutive snapshots: its state, or the command closing it.
struct SocketChange {
  int64_t t_us = 0;      // the first snapshot that saw the change
  int64_t after_us = 0;  // the snapshot before it: the change happened between the two
  std::string from, to;  // states; "gone" when it vanished; "+closed" when the fd went
};

struct SocketFate {
  std::string key, proto, local, peer;
  int64_t first_seen_us = 0;
  std::vector<SocketPoint> points;    // at each labelled snapshot from its first on
  std::vector<SocketChange> changes;  // in time order
  // "open": the command still held it at the last snapshot; "closed": the kernel still had it
  // but the command did not (closed, or the command ended); "gone": the kernel no longer had it.
  std::string outcome;
  std::string end_state;               // the last state seen
  std::optional<int64_t> vanished_us;  // first snapshot without it
  std::optional<SocketObs> last_seen;  // the last observation (before it vanished, if it did)
};

// Follows each socket through the snapshots (in time order). A socket is the command's from
// the first snapshot that holds it; later snapshots may still list it unheld (closed but
// lingering) or not at all (gone).
std::vector<SocketFate> socket_fates(const std::vector<SocketSnapshot>& snapshots);

// One line the command or the server command printed.
struct CommandLine {
  int64_t t_us = 0;    // relative to t=0, stamped when read (CLOCK_MONOTONIC)
  std::string who;     // "cmd" or "server-cmd"
  std::string stream;  // "stdout" or "stderr"
  std::string text;
};

// How a command ended.
struct CommandExit {
  bool started = false;
  std::optional<std::string> start_error;  // the exec failed (message)
  bool exited = false;                     // it ended by itself within the run
  std::optional<int> code;                 // its exit code
  std::optional<int> signal;               // the signal that ended it
  std::optional<int64_t> at_us;            // when it was seen ending, relative to t=0
  // Still running at the end: "SIGTERM" (ended by it) or "SIGKILL" (still there after the grace).
  std::optional<std::string> ended_by;
};

struct UserCommandRun {
  std::vector<std::string> argv;
  std::string server_cmd;        // "" without --server-cmd
  std::vector<std::string> env;  // the SPLITSECOND_* variables both got
  int64_t started_us = 0;        // relative to t=0 (negative: before it)
  CommandExit exit, server_exit;
  std::vector<CommandLine> lines;
  int64_t lines_dropped = 0;  // beyond the bound (counted, never silently lost)
  std::vector<SocketFate> sockets;
  std::optional<std::string> server_listening;  // the socket the server command listened on
  std::vector<std::string> notes;
};

// The exit of a wait status (WIFEXITED/WIFSIGNALED).
CommandExit exit_from_status(int wait_status, int64_t at_us);

nlohmann::json user_command_json(const UserCommandRun& u);
UserCommandRun user_command_from_json(const nlohmann::json& j);

}  // namespace ss
