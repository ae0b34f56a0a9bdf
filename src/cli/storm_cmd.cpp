#include "cli/commands.hpp"

namespace ss::cli {

void add_storm_commands(CLI::App& app) {
  auto* storm = app.add_subcommand("storm", "reconnect storms: simulated and real");
  storm->require_subcommand(1);
}

}  // namespace ss::cli
