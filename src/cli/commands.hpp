#pragma once
// Each family of subcommands registers itself on the top-level app.
#include <CLI/CLI.hpp>

namespace ss::cli {

void add_lab_commands(CLI::App& app);    // run, scenarios, cleanup, agent (lab_cmd.cpp)
void add_storm_commands(CLI::App& app);  // storm sim, storm real (storm_cmd.cpp)

}  // namespace ss::cli
