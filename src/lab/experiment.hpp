#pragma once
// One experiment: build the lab, connect the VPN, start the probes, record from `before`
// ahead of the trigger to the end of the window, disconnect at t=0, tear everything down.
#include <optional>
#include <string>

#include "lab/user_command.hpp"
#include "model/record.hpp"
#include "model/scenario.hpp"

namespace ss::lab {

struct RunOptions {
  std::string pcap_path;         // keep the capture of the client's physical interface
  std::optional<Micros> window;  // overrides the scenario's
  bool verbose = false;          // print each phase to stderr
  UserCommandSpec user;          // `run -- CMD` and --server-cmd (lab/user_command.hpp)
};

// Throws EnvironmentError (exit 3) naming what is missing: root, /dev/net/tun, a program.
void preflight(const Scenario& s);

// Runs it. Everything created is torn down on every path, including SIGINT/SIGTERM (then
// ss::Interrupted is thrown after teardown).
RunRecord run_experiment(const Scenario& s, const RunOptions& o);

class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ss::lab
