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
};

// Runs the program until it exits, the duration ends or SIGTERM/SIGINT arrives (then the
// program is ended by pid first). Lines: ready, output..., exit, summary. Returns the agent's
// exit status: 0, or 4 if the program could not be started (setup_failed).
int run_watch(const WatchOptions& o);

}  // namespace ss::probes
