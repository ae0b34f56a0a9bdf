// splitsecond: thin CLI. Parses, calls into the library, prints; errors are caught once here.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "cli/commands.hpp"
#include "lab/experiment.hpp"
#include "model/errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{"splitsecond: what happens in the split second after a VPN disconnects"};
  app.set_version_flag("--version", std::string("splitsecond ") + SPLITSECOND_VERSION);
  app.require_subcommand(1);
  ss::cli::add_lab_commands(app);
  ss::cli::add_storm_commands(app);
  ss::cli::add_killswitch_commands(app);
  ss::cli::add_watch_command(app);
  ss::cli::add_report_commands(app);
  ss::cli::add_reap_commands(app);
  ss::cli::add_sweep_commands(app);
  ss::cli::add_completion_command(app);  // hidden: bash completion, man page list
  auto* agent = app.add_subcommand("agent", "")->group("");  // hidden: started by the lab
  agent->require_subcommand(1);
  ss::cli::add_tcp_agents(*agent);
  ss::cli::add_quic_agents(*agent);
  ss::cli::add_app_agents(*agent);
  ss::cli::add_watch_agents(*agent);
  ss::cli::add_mptcp_agents(*agent);
  ss::cli::add_openvpn_agents(*agent);
  ss::cli::add_storm_agents(*agent);
  ss::cli::add_killswitch_agents(*agent);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(ss::Exit::usage);
  } catch (const ss::UsageError& e) {
    fmt::print(stderr, "splitsecond: {}\n", e.what());
    return static_cast<int>(ss::Exit::usage);
  } catch (const ss::cli::ExitStatus& e) {
    return e.status;  // an agent's own status
  } catch (const ss::lab::Interrupted& e) {
    fmt::print(stderr, "splitsecond: {}; everything the run created was removed\n", e.what());
    return 130;
  } catch (const ss::EnvironmentError& e) {
    fmt::print(stderr, "splitsecond: cannot run here: {}\n", e.what());
    return static_cast<int>(ss::Exit::environment);
  } catch (const std::exception& e) {
    fmt::print(stderr, "splitsecond: internal error: {}\n", e.what());
    return static_cast<int>(ss::Exit::internal);
  }
  return 0;
}
