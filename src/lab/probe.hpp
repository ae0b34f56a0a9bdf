#pragma once
// A probe as the lab runs it: a real server side started in the `server` namespace (an agent
// or a real program such as sshd), a client agent started in the `client` namespace, and the
// pure rule that turns what both printed into a fate. One class per probe, registered in
// probe_catalog.cpp.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lab/lab.hpp"
#include "model/fate.hpp"
#include "model/record.hpp"
#include "model/scenario.hpp"

namespace ss::lab {

// What a probe may use while it sets itself up.
class ProbeEnv {
 public:
  virtual ~ProbeEnv() = default;
  virtual Lab& lab() = 0;
  virtual const Scenario& scenario() = 0;
  virtual std::string server_ip() = 0;  // the app server's IPv4 address
  virtual std::string self_exe() = 0;   // the splitsecond binary, for agents
  // Starts `splitsecond agent ARGS...` in the server namespace under `label` and waits
  // (bounded) for its `ready` line; throws a ProbeSetupError if it does not come.
  virtual const AgentLines& start_server_agent(const std::string& label,
                                               std::vector<std::string> args) = 0;
  // Starts a real program in the server namespace (stdout captured if asked); recorded for
  // teardown. Its log (stderr) is lab().log_path(label).
  virtual sys::Child& start_server_program(const std::string& label, std::vector<std::string> argv,
                                           bool capture_stdout = false) = 0;
};

class ProbeSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual std::string name() const = 0;
  virtual std::string proto() const = 0;
  // Starts the server side; throws ProbeSetupError when it cannot.
  virtual void start_server(ProbeEnv& env) = 0;
  // The client agent's arguments (after `splitsecond agent`); it runs for `run_for`.
  virtual std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) = 0;
  // Whether the client agent wants SIGUSR1 right after t=0 (e.g. "send right after").
  virtual bool signal_at_t0() const { return false; }
  // Whether it wants SIGUSR1 just before t=0 (e.g. data in flight at the disconnect); the lab
  // waits (bounded) for the agent's `burst` line before it triggers.
  virtual bool signal_before_t0() const { return false; }
  // When, after t=0, the client agent wants SIGUSR2 to send its one late message (tcp-idle,
  // tcp-inflight), in a window of `window`; nothing for the others.
  virtual std::optional<Micros> late_send_after(Micros) const { return std::nullopt; }
  // The fate, from the client's and the server side's lines (server: the lines of every
  // server agent this probe started, in start order; empty for real programs) and the window
  // (t=0, the trigger's end, the end).
  virtual ProbeFate fate(const AgentLines& client, const AgentLines& server,
                         const Window& w) const = 0;
};

// The probe named `spec.name` (see probe_catalog.cpp), or nullptr if there is none.
std::unique_ptr<Probe> make_probe(const ProbeSpec& spec);
// Every probe name the catalog knows, for scenario validation and `splitsecond scenarios`.
std::vector<std::string> probe_names();

}  // namespace ss::lab
