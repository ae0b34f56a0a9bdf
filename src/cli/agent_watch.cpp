// Watch agents: a real program (ssh, mosh-client) run on pipes or a pseudo-terminal, its
// output reported as JSON lines (docs/remote-probes.md).
#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "model/duration.hpp"
#include "model/errors.hpp"
#include "probes/watch_agent.hpp"
#include "probes/watch_text.hpp"

namespace ss::cli {
namespace {

void add_watch(CLI::App& agent, const std::string& name, probes::Terminal terminal,
               const std::string& help) {
  struct Opts {
    std::string duration = "30s";
    std::vector<std::string> env, command;
    bool ready_on_output = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = agent.add_subcommand(name, help);
  cmd->add_option("--duration", o->duration, "how long to watch before ending the program");
  cmd->add_option("--env", o->env, "NAME=VALUE for the program's environment (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--ready-on-output", o->ready_on_output,
                "print ready at the program's first output, not at its start");
  cmd->add_option("command", o->command, "-- PROGRAM ARGS...")->required();
  cmd->callback([o, name, terminal] {
    probes::WatchOptions w;
    w.agent = name;
    w.terminal = terminal;
    auto d = parse_duration(o->duration);
    if (!d || d->count() == 0)
      throw UsageError(
          fmt::format("--duration: '{}' is not a duration such as 500ms or 30s", o->duration));
    w.duration = *d;
    for (const auto& kv : o->env) probes::check_env_assignment(kv, "--env");
    if (terminal == probes::Terminal::pty) w.env = {"TERM=xterm", "LC_ALL=C.UTF-8"};
    w.env.insert(w.env.end(), o->env.begin(), o->env.end());
    w.argv = o->command;
    w.ready_on_output = o->ready_on_output;
    agent_exit(probes::run_watch(w));
  });
}

}  // namespace

void add_watch_agents(CLI::App& agent) {
  add_watch(agent, "exec-watch", probes::Terminal::pipes,
            "runs a program with stdout/stderr on pipes and reports each chunk of output");
  add_watch(
      agent, "pty-watch", probes::Terminal::pty,
      "runs a program on a pseudo-terminal (80x24, TERM=xterm) and reports each screen update");
}

}  // namespace ss::cli
