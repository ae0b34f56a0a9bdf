#include "cli/commands.hpp"

namespace ss::cli {

void add_tcp_agents(CLI::App& /*agent*/) {}

}  // namespace ss::cli
