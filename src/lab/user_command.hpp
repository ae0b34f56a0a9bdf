#pragma once
// `run SCENARIO -- CMD`: the user's command in the client namespace (and `--server-cmd` in the
// server's) during the experiment. Its output is read in the experiment's one loop and stamped
// with CLOCK_MONOTONIC; the TCP and UDP sockets of its process tree are snapshotted through
// sock_diag (model/user_command.hpp turns the snapshots into fates). docs/run-cmd.md.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/record.hpp"
#include "model/user_command.hpp"
#include "sys/event_loop.hpp"
#include "sys/fd.hpp"
#include "sys/process.hpp"
#include "sys/sock_diag.hpp"

namespace ss::lab {

class Lab;

struct UserCommandSpec {
  std::vector<std::string> argv;  // empty: no command in the client namespace
  std::string server_cmd;         // run with sh -c in the server namespace; "" for none
  bool any() const { return !argv.empty() || !server_cmd.empty(); }
};

// Throws UsageError (exit 2) when argv[0] is not an executable program (looked up in PATH as
// execvp would): checked before any namespace exists.
void check_user_command(const UserCommandSpec& spec);

// What both commands are told, as SPLITSECOND_* variables (documented in `run --help`).
struct UserCommandAddresses {
  std::string server_ip, server_ip6;  // the app server (no prefix length)
  std::string client_ip, client_ip6;  // the client's physical addresses
  std::string tunnel_ip, tunnel_if, physical_if;
  int64_t before_ms = 0, window_ms = 0;  // when t=0 comes after the client command starts
};
std::vector<std::string> user_command_env(const UserCommandAddresses& a);

// One command: its pipes, its exit, its process tree.
struct HostedProcess {
  std::string who;  // "cmd" or "server-cmd"
  std::string ns;
  ino_t ns_inode = 0;  // its network namespace's, read once (the lab's namespaces stay put)
  sys::Child* child = nullptr;
  sys::Fd out, err;  // read ends
  std::string partial_out, partial_err;
  std::optional<int> status;
  int64_t exited_ns = 0;
  std::string ended_by;  // "SIGTERM" / "SIGKILL" when we ended it
  std::set<pid_t> tree;  // every pid seen in its process tree
  std::string start_error;
};

class UserCommand {
 public:
  UserCommand(Lab& lab, UserCommandSpec spec, std::vector<std::string> env);
  ~UserCommand();
  UserCommand(const UserCommand&) = delete;
  UserCommand& operator=(const UserCommand&) = delete;

  // The server command first, waited on (bounded) until its tree listens on a socket or it
  // ends; then the client command.
  void start();
  // Its pipes, its exits and a snapshot timer, in the experiment's loop.
  void attach(sys::EventLoop& loop);
  // A labelled snapshot of the client command's sockets now ("before t=0", an action, "end").
  void snapshot(const std::string& label);
  // Ends what still runs (SIGTERM, a grace, SIGKILL; by pid, the process trees too) and reads
  // the last of their output.
  void stop();
  // The record's part, relative to t0; the lines and exits also go onto `events`.
  UserCommandRun take(int64_t t0_ns, std::vector<Event>& events);

 private:
  void spawn(HostedProcess& p, std::vector<std::string> argv);
  void read(HostedProcess& p, bool is_err);
  void on_exit(HostedProcess& p);
  void end(HostedProcess& p);
  std::set<uint64_t> held_inodes(HostedProcess& p);
  std::optional<std::string> listening(HostedProcess& p);
  void add_line(HostedProcess& p, const std::string& stream, std::string text);

  Lab& lab_;
  UserCommandSpec spec_;
  std::vector<std::string> env_;
  HostedProcess cmd_, server_;
  std::unique_ptr<sys::SockDiag> diag_;
  std::set<std::string> followed_;  // cookies of sockets the command held
  sys::Fd timer_;
  sys::EventLoop* loop_ = nullptr;
  struct Stamped {
    int64_t t_ns;
    CommandLine line;
  };
  std::vector<Stamped> lines_;
  int64_t lines_dropped_ = 0;
  struct Snap {
    int64_t t_ns;
    SocketSnapshot snap;
  };
  std::vector<Snap> snaps_;
  int64_t started_ns_ = 0;
  std::optional<std::string> server_listening_;
  std::vector<std::string> notes_;
};

}  // namespace ss::lab
