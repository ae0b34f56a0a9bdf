#include "cli/commands.hpp"

namespace ss::cli {

void add_quic_agents(CLI::App& /*agent*/) {}

}  // namespace ss::cli
