#pragma once
// The terminal section for `run -- CMD`: the command, how it ended, and each of its sockets at
// each action and at the end (what the record holds; nothing is assumed).
#include <string>

#include "model/user_command.hpp"

namespace ss::report {

std::string render_user_command(const UserCommandRun& u);

// "exit code 0", "killed by signal 9", "still running at the end: ended by SIGTERM", ...
std::string exit_text(const CommandExit& e);

}  // namespace ss::report
