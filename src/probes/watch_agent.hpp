#pragma once
// The watch agents: run a real program (Debian's `ssh`, `mosh-client`) and report, as JSON
// lines (docs/agents.md), every chunk of output it produces and when, and how it ended.
// They judge nothing: the lab's probe derives "frozen", "error" or "resumed" from the lines.
#include <string>
#include <vector>

#include "model/duration.hpp"
#include "probes/watch_child.hpp"

namespace ss::probes {

struct WatchOptions {
  std::string agent;  // "exec-watch" or "pty-watch": the `agent` field of every line
  Terminal terminal = Terminal::pipes;
  std::vector<std::string> argv;  // the program and its arguments
  std::vector<std::string> env;   // KEY=VALUE added to (or replacing in) the program's environment
  Micros duration{30'000'000};
  // `ready` at the first chunk on stdout (or the pty) rather than at the exec, so that the lab
  // waits until, say, an ssh session streams; no such chunk before the end is a failed set-up.
  bool ready_on_output = false;
};

// Runs the program until it exits, the duration ends or SIGTERM/SIGINT arrives (then the
// program is ended by pid first). Lines: ready, output..., exit, summary. Returns the agent's
// exit status: 0, or 4 if the program could not be started or, with ready_on_output, printed
// nothing on its data stream (setup_failed).
int run_watch(const WatchOptions& o);

}  // namespace ss::probes
