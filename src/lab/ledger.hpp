#pragma once
// Everything a run creates, in creation order; teardown undoes it in reverse. Persisted
// under /run/splitsecond/<prefix>/ so that `splitsecond cleanup` can finish the job of a run
// that was killed.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sys/process.hpp"

namespace ss::lab {

inline constexpr const char* kStateDir = "/run/splitsecond";

class Ledger {
 public:
  explicit Ledger(std::string prefix);
  ~Ledger();  // tears down whatever is still recorded
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  const std::string& prefix() const { return prefix_; }
  const std::string& run_dir() const { return run_dir_; }

  void netns(const std::string& name);
  void path(const std::string& path);  // a file or (empty-at-teardown or not) directory tree
  // A process: returns it for use; it is stopped (SIGTERM, then SIGKILL) at teardown.
  sys::Child& process(const std::string& label, sys::Child child);
  void undo(const std::string& label, std::function<void()> fn);  // any other undo action
  bool has_label(const std::string& label) const;  // a process or undo action of that name
  // A directory shared by every run (/etc/netns, /run/wireguard): created if missing, and
  // then removed, empty, by the last run to finish (or by cleanup), never by another one.
  void shared_dir(const std::string& path);

  // Undoes everything in reverse order; never throws; returns the problems it met.
  std::vector<std::string> teardown();

 private:
  struct Entry {
    enum class Kind { netns, path, process, undo } kind;
    std::string name;
    sys::Child* child = nullptr;
    std::function<void()> fn;
  };
  std::string prefix_, run_dir_;
  std::vector<Entry> entries_;
  std::vector<std::unique_ptr<sys::Child>> children_;
};

// A fresh run prefix "ss-<6 hex>", unique among existing namespaces and state dirs.
std::string new_run_prefix();

// Removes the shared directories runs created, once no run is left; under a lock.
std::vector<std::string> release_shared_dirs();

// Removes what dead runs left (namespaces, their processes, /etc/netns files, state dirs):
// every prefix given, or every "ss-" prefix whose owning process is gone (or a zombie).
// Processes are those living in the run's namespaces (by namespace inode) and those its
// ledger recorded (by pid and start time), never found by name; each is ended and waited
// for. Returns lines to print, naming each process ended (pid, command). Never touches a
// run that is still alive.
std::vector<std::string> cleanup_leftovers(const std::vector<std::string>& prefixes);

}  // namespace ss::lab
