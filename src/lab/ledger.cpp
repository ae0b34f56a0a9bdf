#include "lab/ledger.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "sys/netns.hpp"
#include "sys/proc.hpp"
#include "sys/syserror.hpp"

namespace fs = std::filesystem;

namespace ss::lab {
namespace {

// Field 22 of /proc/<pid>/stat: with the pid, it identifies a process despite pid reuse.
std::string start_time(pid_t pid) {
  const auto st = sys::proc_stat(pid);
  return st ? st->start_time : std::string();
}

// State letter (field 3 of /proc/<pid>/stat): 'Z' for a zombie; empty once gone.
char state_of(pid_t pid) {
  const auto st = sys::proc_stat(pid);
  return st ? st->state : '\0';
}

// The same process (pid and start time), not yet exited: a killed owner awaiting its
// parent's wait is a zombie, and its run is dead.
bool same_process_alive(pid_t pid, const std::string& started) {
  if (pid <= 0 || started.empty() || start_time(pid) != started) return false;
  const char state = state_of(pid);
  return state != '\0' && state != 'Z' && state != 'X';
}

bool owner_alive(const std::string& run_dir) {
  std::ifstream f(run_dir + "/owner");
  pid_t pid = 0;
  std::string started;
  if (!(f >> pid >> started)) return false;
  return same_process_alive(pid, started);
}

// The processes a run's ledger recorded, by pid with their start times.
std::map<pid_t, std::string> recorded_processes(const std::string& run_dir) {
  std::map<pid_t, std::string> pids;
  std::ifstream f(run_dir + "/pids");
  pid_t pid = 0;
  std::string started, label;
  while (f >> pid >> started >> label) pids[pid] = started;
  return pids;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Processes whose network namespace is one of `inodes`: the lab's own, by id.
std::vector<pid_t> processes_in(const std::set<ino_t>& inodes) {
  std::vector<pid_t> pids;
  for (pid_t pid : sys::all_pids()) {
    if (pid == ::getpid()) continue;
    const ino_t ino = sys::netns_inode_of(pid);
    if (ino && inodes.count(ino)) pids.push_back(pid);
  }
  return pids;
}

bool in_namespaces(pid_t pid, const std::set<ino_t>& inodes) {
  const ino_t ino = sys::netns_inode_of(pid);
  return ino && inodes.count(ino);
}

// Ends every process living in one of `inodes`, and every `recorded` one (pid, start time)
// still alive, waiting until each is gone. Repeats while the sweep finds new ones (a
// session's child forked meanwhile), bounded.
std::vector<sys::EndedProcess> end_processes_in(const std::set<ino_t>& inodes,
                                                const std::map<pid_t, std::string>& recorded,
                                                std::chrono::milliseconds grace) {
  auto ours = [&](pid_t p) {
    auto it = recorded.find(p);
    return in_namespaces(p, inodes) || (it != recorded.end() && same_process_alive(p, it->second));
  };
  std::vector<sys::EndedProcess> all;
  for (int round = 0; round < 5; ++round) {
    std::vector<pid_t> pids = inodes.empty() ? std::vector<pid_t>{} : processes_in(inodes);
    if (round == 0)
      for (const auto& [p, started] : recorded)
        if (std::find(pids.begin(), pids.end(), p) == pids.end()) pids.push_back(p);
    if (pids.empty()) break;
    auto ended = sys::end_processes(pids, ours, grace, std::chrono::milliseconds(3000));
    if (ended.empty()) break;
    all.insert(all.end(), ended.begin(), ended.end());
  }
  return all;
}

// Zombies among our children that no Child tracks: orphans of the lab (a daemon's fork, an
// ssh session) reparented to us as their subreaper. Reaped so that none outlives the run.
void reap_orphans() {
  const pid_t self = ::getpid();
  for (pid_t pid : sys::all_pids()) {
    const auto st = sys::proc_stat(pid);
    if (st && st->state == 'Z' && st->ppid == self) ::waitpid(pid, nullptr, WNOHANG);
  }
}

std::string describe(const sys::EndedProcess& p) {
  return fmt::format("process {} ({}){}{}", p.pid, p.command,
                     p.needed_kill ? ", SIGKILL after SIGTERM was ignored" : "",
                     p.gone ? "" : ", STILL THERE after SIGKILL");
}

}  // namespace

Ledger::Ledger(std::string prefix)
    : prefix_(std::move(prefix)), run_dir_(std::string(kStateDir) + "/" + prefix_) {
  // Orphans of the lab's processes (a daemon's second fork, an ssh session's children) are
  // reparented to us rather than to init, so that teardown can wait for them and reap them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  fs::create_directories(kStateDir);
  if (::mkdir(run_dir_.c_str(), 0700) < 0) throw sys::SysError("mkdir", run_dir_, errno);
  std::ofstream(run_dir_ + "/owner") << ::getpid() << ' ' << start_time(::getpid()) << '\n';
  path(run_dir_);
}

Ledger::~Ledger() {
  teardown();
}

namespace {

// Serialises the shared-directory bookkeeping of concurrent runs.
class StateLock {
 public:
  StateLock()
      : fd_(::open((std::string(kStateDir) + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC,
                   0600)) {
    if (fd_) ::flock(fd_.get(), LOCK_EX);
  }
  ~StateLock() {
    if (fd_) ::flock(fd_.get(), LOCK_UN);
  }

 private:
  sys::Fd fd_;
};

std::string marker_for(const std::string& dir) {
  std::string m = dir;
  std::replace(m.begin(), m.end(), '/', '_');
  return std::string(kStateDir) + "/.created" + m;
}

}  // namespace

void Ledger::shared_dir(const std::string& dir) {
  StateLock lock;
  if (fs::exists(dir)) return;
  fs::create_directories(dir);
  std::ofstream(marker_for(dir)) << dir << '\n';
}

std::vector<std::string> release_shared_dirs() {
  std::vector<std::string> out;
  if (!fs::exists(kStateDir)) return out;
  {
    StateLock lock;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(kStateDir, ec))
      if (e.path().filename().string().rfind("ss-", 0) == 0) return out;  // a run is still here
    for (const auto& e : fs::directory_iterator(kStateDir, ec)) {
      const std::string name = e.path().filename();
      if (name.rfind(".created", 0) != 0) continue;
      std::ifstream f(e.path());
      std::string dir;
      std::getline(f, dir);
      if (!dir.empty() && ::rmdir(dir.c_str()) == 0) out.push_back("removed empty " + dir);
      if (!fs::exists(dir)) fs::remove(e.path(), ec);
    }
    fs::remove(std::string(kStateDir) + "/.lock", ec);
  }
  ::rmdir(kStateDir);
  return out;
}

void Ledger::netns(const std::string& name) {
  entries_.push_back({Entry::Kind::netns, name, nullptr, {}});
}

void Ledger::path(const std::string& p) {
  entries_.push_back({Entry::Kind::path, p, nullptr, {}});
}

sys::Child& Ledger::process(const std::string& label, sys::Child child) {
  children_.push_back(std::make_unique<sys::Child>(std::move(child)));
  entries_.push_back({Entry::Kind::process, label, children_.back().get(), {}});
  const pid_t pid = children_.back()->pid();
  std::ofstream(run_dir_ + "/pids", std::ios::app)
      << pid << ' ' << start_time(pid) << ' ' << label << '\n';
  return *children_.back();
}

bool Ledger::has_label(const std::string& label) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.name == label; });
}

void Ledger::undo(const std::string& label, std::function<void()> fn) {
  entries_.push_back({Entry::Kind::undo, label, nullptr, std::move(fn)});
}

std::vector<std::string> Ledger::teardown() {
  std::vector<std::string> problems;
  // Stop every process first: a namespace lives on while a process is inside it.
  std::vector<sys::Child*> processes;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    if (it->kind == Entry::Kind::process) processes.push_back(it->child);
  sys::stop_all(processes, std::chrono::milliseconds(300));
  // Undo actions (e.g. a detached server's shutdown) run before the sweep below.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->kind != Entry::Kind::undo) continue;
    try {
      it->fn();
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("undo '{}': {}", it->name, e.what()));
    }
    it->fn = nullptr;
  }
  // Whatever our processes started that still lives in a lab namespace (an ssh session's
  // command, a daemon's fork) is ours too: found by namespace, ended by pid.
  std::set<ino_t> inodes;
  for (const auto& e : entries_)
    if (e.kind == Entry::Kind::netns)
      inodes.insert(inode_of(std::string(sys::kNetnsDir) + "/" + e.name));
  inodes.erase(0);
  for (const auto& p : end_processes_in(inodes, {}, std::chrono::milliseconds(300)))
    problems.push_back(fmt::format("ended {}, left in a lab namespace", describe(p)));
  reap_orphans();
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    try {
      switch (it->kind) {
        case Entry::Kind::process:
          break;
        case Entry::Kind::undo:
          break;  // done above
        case Entry::Kind::netns:
          if (!sys::netns_delete(it->name))
            problems.push_back("could not delete namespace " + it->name);
          break;
        case Entry::Kind::path: {
          std::error_code ec;
          fs::remove_all(it->name, ec);
          if (ec)
            problems.push_back(fmt::format("could not remove {}: {}", it->name, ec.message()));
          break;
        }
      }
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("undo '{}': {}", it->name, e.what()));
    }
  }
  entries_.clear();
  children_.clear();
  release_shared_dirs();
  return problems;
}

std::string new_run_prefix() {
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string prefix = fmt::format("ss-{:06x}", rd() & 0xffffff);
    if (sys::netns_list(prefix).empty() && !fs::exists(std::string(kStateDir) + "/" + prefix))
      return prefix;
  }
  throw std::runtime_error("could not find a free run prefix in 16 attempts");
}

std::vector<std::string> cleanup_leftovers(const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  // Every prefix seen anywhere: namespaces, /etc/netns, state dirs.
  std::set<std::string> prefixes;
  auto prefix_of = [](const std::string& name) { return name.substr(0, 9); };  // "ss-xxxxxx"
  for (const auto& ns : sys::netns_list("ss-")) prefixes.insert(prefix_of(ns));
  for (const char* dir : {"/etc/netns", kStateDir}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().filename().string().rfind("ss-", 0) == 0)
        prefixes.insert(prefix_of(e.path().filename()));
  }
  for (const auto& prefix : prefixes) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), prefix) == wanted.end())
      continue;
    const std::string run_dir = std::string(kStateDir) + "/" + prefix;
    if (owner_alive(run_dir)) {
      out.push_back(fmt::format("{}: still running (left alone)", prefix));
      continue;
    }
    std::set<ino_t> inodes;
    auto namespaces = sys::netns_list(prefix + "-");
    for (const auto& ns : namespaces)
      inodes.insert(inode_of(std::string(sys::kNetnsDir) + "/" + ns));
    inodes.erase(0);
    for (const auto& p :
         end_processes_in(inodes, recorded_processes(run_dir), std::chrono::milliseconds(200)))
      out.push_back(fmt::format("{}: ended {}", prefix, describe(p)));
    for (const auto& ns : namespaces) {
      out.push_back(fmt::format("{}: {} namespace {}", prefix,
                                sys::netns_delete(ns) ? "deleted" : "COULD NOT delete", ns));
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/etc/netns", ec)) {
      if (e.path().filename().string().rfind(prefix + "-", 0) == 0) {
        fs::remove_all(e.path(), ec);
        out.push_back(fmt::format("{}: removed {}", prefix, e.path().string()));
      }
    }
    if (fs::exists(run_dir)) {
      fs::remove_all(run_dir, ec);
      out.push_back(fmt::format("{}: removed {}", prefix, run_dir));
    }
  }
  for (auto& line : release_shared_dirs()) out.push_back(std::move(line));
  return out;
}

}  // namespace ss::lab
