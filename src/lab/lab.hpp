#pragma once
// The lab as built: its namespaces, netlink sockets into them, its processes, its ledger.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lab/ledger.hpp"
#include "lab/plan.hpp"
#include "model/errors.hpp"
#include "sys/netlink.hpp"
#include "sys/process.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {

// The machine refused a step of the lab (exit 3). Keeps the failing call and its errno.
class LabError : public EnvironmentError {
 public:
  // "<context>: <call>(<what>): <strerror> (<ERRNO>); <advice>"
  LabError(const std::string& context, const sys::SysError& e, const std::string& advice);
  const std::string& call() const { return call_; }
  int error() const { return err_; }

 private:
  std::string call_;
  int err_;
};

class Lab {
 public:
  explicit Lab(const std::string& prefix);
  ~Lab();

  const Names& names() const { return names_; }
  Ledger& ledger() { return ledger_; }

  // Applies steps in order, recording what each creates. Throws on the first failure (the
  // ledger still tears down what was created).
  void apply(const std::vector<Step>& steps);

  // Safe to call from several threads (the recorder's, the action thread, a client's own
  // supervisor): each thread gets its own netlink socket into a namespace, so requests and
  // their answers never interleave.
  int netns_fd(const std::string& ns);
  sys::Netlink& netlink(const std::string& ns);

  // Starts a program inside `ns` as `ip netns exec` would (private mounts, /etc/netns/<ns>
  // files over /etc), optionally with private tmpfs dirs and extra KEY=VALUE environment;
  // stderr to its log, or to stderr_fd if given; recorded for teardown.
  sys::Child& spawn(const std::string& ns, const std::string& label, std::vector<std::string> argv,
                    bool capture_stdout = false, std::vector<std::string> tmpfs = {},
                    std::vector<std::string> env = {}, int stderr_fd = -1);
  std::string log_path(const std::string& label) const;
  // The last lines of a label's log (at most max_chars), "(empty)" if it has none.
  std::string log_tail(const std::string& label, size_t max_chars = 600) const;
  // For an error that names a log: the log is copied at teardown (after its process ended,
  // before the run's directory goes) to kept_dir(); returns the path it will have there.
  std::string keep_log(const std::string& label);
  std::string kept_dir() const;

  // Closes the lab's own sockets into the namespaces, then undoes the ledger.
  std::vector<std::string> teardown();

 private:
  void apply_one(const Step& step);
  Names names_;
  Ledger ledger_;
  std::map<std::string, sys::Fd> fds_;
  std::map<std::pair<std::string, std::thread::id>, std::unique_ptr<sys::Netlink>> netlinks_;
  std::recursive_mutex mu_;  // the maps, spawn and keep_log from several threads
  std::vector<std::string> kept_logs_;
};

// Applies an nftables ruleset inside the namespace behind netns_fd, in one batch (libnftables).
void apply_nft(int netns_fd, const std::string& ruleset);

}  // namespace ss::lab
