#pragma once
// The remote-shell probes: Debian's OpenSSH (sshd in the server namespace, `ssh` streaming a
// command's output under the exec-watch agent) and mosh (mosh-server, `mosh-client` on a
// pseudo-terminal under the pty-watch agent). See docs/remote-probes.md.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/probe.hpp"
#include "model/fate_remote.hpp"  // ssh_fate, mosh_fate, shows_clock_output

namespace ss::lab {

// The mosh probe's screen test, for callers that name it here.
using ss::shows_clock_output;

std::unique_ptr<Probe> make_ssh_probe(const ProbeSpec& spec);
std::unique_ptr<Probe> make_mosh_probe(const ProbeSpec& spec);

// ---- Pure parts, tested without a lab ----

// The command both probes run on the server: a timestamp every 100 ms.
inline constexpr const char* kClockCommand = "while :; do date +%s.%N; sleep 0.1; done";

struct SshdSettings {
  std::string listen_ip;
  int port = 22;
  std::string host_key, authorized_keys;
};
// An sshd_config for a per-run server: key authentication only, no PAM, no pid file, and
// sshd's default ClientAlive settings, so that what a disconnect does is sshd's own behaviour.
std::string sshd_config(const SshdSettings& s);

struct MoshConnect {
  int port = 0;
  std::string key;  // 22 characters of base64
};
// The "MOSH CONNECT <port> <key>" line in mosh-server's stdout, if complete.
std::optional<MoshConnect> parse_mosh_connect(std::string_view out);
// The pid in mosh-server's "[mosh-server detached, pid = N]" (stderr), if there.
std::optional<int> parse_mosh_detached_pid(std::string_view err);

// The client addresses a verbose (-v) mosh-server attached to, in order, from its log's
// "Server now attached to client at IP:PORT" lines: the first, then one per roam.
std::vector<std::string> parse_mosh_attachments(std::string_view log);

// The processes under `root` in a (pid, ppid) table, children before grandchildren.
std::vector<int> descendants_of(int root, const std::vector<std::pair<int, int>>& pid_ppid);

// ---- Processes the servers leave behind (OS boundary) ----

// A network namespace's identity, kept by value so that it can be checked at teardown after
// the lab has closed its namespace fds.
struct NetnsId {
  dev_t dev = 0;
  ino_t ino = 0;
};
NetnsId netns_id(int netns_fd);
bool process_in_netns(int pid, const NetnsId& ns);

// Ends, by pidfd, every process under `root` that lives in `ns`: SIGTERM, up to `grace`,
// then SIGKILL. For what mosh-server forks (the shell and its command). Returns how many.
int stop_descendants(int root, const NetnsId& ns, std::chrono::milliseconds grace);

// The same for every process in `ns` running the program `exe` (a full path), and everything
// under each: for the sessions sshd forks, which outlive the listening sshd once it is stopped.
// The namespace is the run's own, so whatever runs `exe` in it was started by this run.
int stop_program_in_netns(const std::string& exe, const NetnsId& ns,
                          std::chrono::milliseconds grace);

}  // namespace ss::lab
