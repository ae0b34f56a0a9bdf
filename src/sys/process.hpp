#pragma once
// Child processes started inside a lab namespace, tracked by pid (and pidfd), ended by id.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sys/fd.hpp"

namespace ss::sys {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::vector<std::string> env;   // extra KEY=VALUE entries
  int netns_fd = -1;              // enter this network namespace
  bool private_mounts = false;    // new mount namespace, as `ip netns exec`
  std::string netns_name;         // with private_mounts: remount /sys for it
  std::vector<std::pair<std::string, std::string>> binds;  // (source, target) bind mounts
  std::vector<std::string> tmpfs;                          // directories given a private tmpfs
  bool capture_stdout = false;                             // stdout to a pipe the parent reads
  std::string stderr_path;  // stderr (and stdout if not captured) here
  int stderr_fd = -1;       // if set: stderr to this fd instead (e.g. a pipe the caller reads)
  std::string cwd = "/";
};

class Child {
 public:
  Child() = default;
  Child(pid_t pid, Fd pidfd, Fd stdout_pipe)
      : pid_(pid), pidfd_(std::move(pidfd)), stdout_(std::move(stdout_pipe)) {}
  Child(Child&&) noexcept = default;
  Child& operator=(Child&&) noexcept = default;

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  int stdout_fd() const { return stdout_.get(); }
  Fd take_stdout() { return std::move(stdout_); }

  // Non-blocking: the exit status if the child has ended (reaped now), else nullopt.
  std::optional<int> poll_exit();
  // Signals the child by its pidfd (never by name). No effect once it is reaped.
  void signal(int sig);
  // SIGTERM, wait up to grace, then SIGKILL; reaps. Returns the wait status or -1.
  int stop(std::chrono::milliseconds grace);
  bool running() { return !poll_exit().has_value(); }

 private:
  pid_t pid_ = -1;
  Fd pidfd_;
  Fd stdout_;
  std::optional<int> status_;
};

// Stops several children at once: SIGTERM to all, then waits for all together up to `grace`,
// then SIGKILL to whoever is left; reaps them all.
void stop_all(const std::vector<Child*>& children, std::chrono::milliseconds grace);

// A process this program did not start (or no longer tracks), ended by pid.
struct EndedProcess {
  pid_t pid = -1;
  std::string command;       // its command line as /proc showed it before the signal
  bool needed_kill = false;  // still there after SIGTERM and the grace period
  bool gone = false;         // seen exiting (its pidfd became readable) within the bound
};

// Ends processes by pid and waits until each is gone: a pidfd is opened for each pid and only
// kept if `still_ours(pid)` confirms it afterwards (so a reused pid is never signalled); then
// SIGTERM to all, one shared grace period, SIGKILL to whoever is left, and a bounded wait for
// their exits. Zombies that are our own children are reaped.
std::vector<EndedProcess> end_processes(const std::vector<pid_t>& pids,
                                        const std::function<bool(pid_t)>& still_ours,
                                        std::chrono::milliseconds grace,
                                        std::chrono::milliseconds kill_wait);

// The command line of a process ("" if it is gone), as `ps -o args` prints it, shortened.
std::string process_command(pid_t pid);

// Forks and execs. The child dies with its parent (PR_SET_PDEATHSIG), sits in its own
// process group (a terminal's Ctrl-C reaches splitsecond, which tears down in order), and
// has every fd closed but 0-2. Throws SysError if the fork or the exec fails.
Child spawn(const SpawnSpec& spec);

// Runs to completion (bounded by timeout, then killed); returns (exit status, stdout).
std::pair<int, std::string> run_capture(const SpawnSpec& spec, std::chrono::milliseconds timeout);

// Full path of a program in PATH, or empty.
std::string find_program(const std::string& name);

}  // namespace ss::sys
