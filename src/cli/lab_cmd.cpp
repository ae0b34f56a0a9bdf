#include "cli/commands.hpp"

namespace ss::cli {

void add_lab_commands(CLI::App& app) {
  app.add_subcommand("run", "build the lab, disconnect the VPN, record the split second");
}

}  // namespace ss::cli
