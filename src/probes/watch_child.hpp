#pragma once
// The program a watch agent runs: started with its output on pipes (exec-watch) or on a
// pseudo-terminal (pty-watch), tracked by pid and pidfd, ended by pid.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sys/fd.hpp"

namespace ss::probes {

enum class Terminal { pipes, pty };

struct WatchedStream {
  std::string name;  // "stdout", "stderr", or "pty"
  sys::Fd fd;        // non-blocking read end (the pty's master side)
};

struct WatchedProgram {
  pid_t pid = -1;
  sys::Fd pidfd;  // readable once the program has exited
  std::vector<WatchedStream> streams;
  std::optional<int> wait_status;  // set once reaped
};

// The environment the program gets: ours, with each KEY=VALUE of `overrides` replacing or
// adding that key (later entries win).
std::vector<std::string> merged_environment(char** base, const std::vector<std::string>& overrides);

// Starts argv (argv[0] looked up in PATH) with `env` as its whole environment. With a pty the
// program gets a new session whose controlling terminal is the pty, sized 80x24. stdin is
// /dev/null with pipes. The program dies with the agent (PR_SET_PDEATHSIG). Throws
// sys::SysError naming the failing call (fork, forkpty, execvp...) and its errno, including a
// failure in the child before the exec.
WatchedProgram start_watched(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env, Terminal t);

// Reaps the program if it has exited; true once it has (wait_status set).
bool reap_watched(WatchedProgram& p);

// SIGTERM by pidfd, waits up to `grace` for it to exit, then SIGKILL; reaps it.
void end_watched(WatchedProgram& p, std::chrono::milliseconds grace);

}  // namespace ss::probes
