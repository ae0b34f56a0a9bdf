#pragma once
// What /proc says about processes, read by pid: the one place that parses /proc/PID/stat and
// finds a process's network namespace (the ledger's cleanup and `run -- CMD`'s process tree).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace ss::sys {

// Fields of /proc/PID/stat (proc(5)), read after the command name's last ')' (a name may hold
// spaces and parentheses).
struct ProcStat {
  char state = 0;          // field 3: 'R', 'S', 'Z' (zombie), ...
  pid_t ppid = 0;          // field 4
  std::string start_time;  // field 22: with the pid, it names a process despite pid reuse
};

// nullopt once the process is gone (or its stat cannot be read).
std::optional<ProcStat> proc_stat(pid_t pid);

// Every pid listed in /proc now.
std::vector<pid_t> all_pids();

// The inode of the process's network namespace (/proc/PID/ns/net), 0 once it is gone.
ino_t netns_inode_of(pid_t pid);

}  // namespace ss::sys
