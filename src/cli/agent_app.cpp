#include "cli/commands.hpp"

namespace ss::cli {

void add_app_agents(CLI::App& /*agent*/) {}

}  // namespace ss::cli
