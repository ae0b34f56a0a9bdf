#include "sys/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "sys/syserror.hpp"

extern char** environ;

namespace ss::sys {
namespace {

// Everything the child needs, prepared before fork: after it only syscalls are safe.
struct Prepared {
  std::vector<std::string> storage;
  std::vector<char*> argv, envp;
  std::string exe;
};

Prepared prepare(const SpawnSpec& spec) {
  Prepared p;
  p.exe =
      spec.argv.at(0).find('/') == std::string::npos ? find_program(spec.argv[0]) : spec.argv[0];
  if (p.exe.empty()) throw SysError("execvp", spec.argv[0], ENOENT);
  p.storage.reserve(spec.argv.size() + spec.env.size() + 64);
  for (const auto& a : spec.argv) p.argv.push_back(p.storage.emplace_back(a).data());
  p.argv.push_back(nullptr);
  for (char** e = environ; *e; ++e) p.envp.push_back(*e);
  for (const auto& e : spec.env) p.envp.push_back(p.storage.emplace_back(e).data());
  p.envp.push_back(nullptr);
  return p;
}

[[noreturn]] void child_fail(int report_fd, int step) {
  int msg[2] = {step, errno};
  [[maybe_unused]] auto n = ::write(report_fd, msg, sizeof msg);
  ::_exit(127);
}

// Runs in the forked child. Reports (step, errno) on report_fd if a step fails.
[[noreturn]] void child_main(const SpawnSpec& spec, const Prepared& p, int out_fd, int err_fd,
                             int report_fd, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (spec.netns_fd >= 0 && ::setns(spec.netns_fd, CLONE_NEWNET) < 0) child_fail(report_fd, 1);
  if (spec.private_mounts) {
    if (::unshare(CLONE_NEWNS) < 0) child_fail(report_fd, 2);
    if (::mount("", "/", "none", MS_SLAVE | MS_REC, nullptr) < 0) child_fail(report_fd, 3);
    if (!spec.netns_name.empty()) {
      ::umount2("/sys", MNT_DETACH);
      if (::mount(spec.netns_name.c_str(), "/sys", "sysfs", 0, nullptr) < 0)
        child_fail(report_fd, 4);
    }
    for (const auto& [src, dst] : spec.binds) {
      if (::mount(src.c_str(), dst.c_str(), "none", MS_BIND, nullptr) < 0) child_fail(report_fd, 5);
    }
    for (const auto& dir : spec.tmpfs) {
      if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "mode=0755") < 0) child_fail(report_fd, 6);
    }
  }
  if (::chdir(spec.cwd.c_str()) < 0) child_fail(report_fd, 7);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || ::dup2(devnull, 0) < 0) child_fail(report_fd, 8);
  if (::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) child_fail(report_fd, 8);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::fcntl(report_fd, F_SETFD, FD_CLOEXEC);
  ::execve(p.exe.c_str(), p.argv.data(), p.envp.data());
  child_fail(report_fd, 9);
}

const char* step_name(int step) {
  static const char* names[] = {
      "?",           "setns",        "unshare(CLONE_NEWNS)", "mount --make-rslave /",
      "mount sysfs", "mount --bind", "mount tmpfs",          "chdir",
      "dup2",        "execve"};
  return step >= 0 && step <= 9 ? names[step] : "?";
}

}  // namespace

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  dirs += ":/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

Child spawn(const SpawnSpec& spec) {
  Prepared p = prepare(spec);
  int out[2] = {-1, -1};
  if (spec.capture_stdout) check(::pipe2(out, O_CLOEXEC), "pipe2", "child stdout");
  Fd out_read(out[0]), out_write(out[1]);
  Fd err_file(spec.stderr_fd >= 0
                  ? ::fcntl(spec.stderr_fd, F_DUPFD_CLOEXEC, 3)
                  : ::open(spec.stderr_path.empty() ? "/dev/null" : spec.stderr_path.c_str(),
                           O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!err_file) throw SysError("open", spec.stderr_path, errno);
  int report[2];
  check(::pipe2(report, O_CLOEXEC), "pipe2", "spawn report");
  Fd report_read(report[0]), report_write(report[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork", spec.argv[0], errno);
  if (pid == 0) {
    int child_out = spec.capture_stdout ? out_write.get() : err_file.get();
    child_main(spec, p, child_out, err_file.get(), report_write.get(), parent);
  }
  report_write.reset();
  out_write.reset();
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  int msg[2] = {0, 0};
  ssize_t n = ::read(report_read.get(), msg, sizeof msg);  // EOF when exec succeeded
  if (n == static_cast<ssize_t>(sizeof msg)) {
    ::waitpid(pid, nullptr, 0);
    throw SysError(step_name(msg[0]), spec.argv[0], msg[1]);
  }
  if (out_read) ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  return Child(pid, std::move(pidfd), std::move(out_read));
}

std::optional<int> Child::poll_exit() {
  if (status_ || pid_ < 0) return status_;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_)
    status_ = status;
  else if (r < 0 && errno == ECHILD)
    status_ = -1;
  return status_;
}

void Child::signal(int sig) {
  if (status_ || !pidfd_) return;
  ::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0);
}

int Child::stop(std::chrono::milliseconds grace) {
  if (auto s = poll_exit()) return *s;
  signal(SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{pidfd_.get(), POLLIN, 0};
    ::poll(&pfd, 1, 10);  // a pidfd is readable once the process has exited
    if (auto s = poll_exit()) return *s;
  }
  signal(SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) status_ = status;
  return status_.value_or(-1);
}

void stop_all(const std::vector<Child*>& children, std::chrono::milliseconds grace) {
  for (Child* c : children)
    if (c->running()) c->signal(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (Child* c : children) {
    while (c->running() && std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{c->pidfd(), POLLIN, 0};
      ::poll(&pfd, 1, 5);
    }
  }
  for (Child* c : children) c->stop(std::chrono::milliseconds(0));  // SIGKILL and reap what is left
}

std::string process_command(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string cmd = ss.str();
  while (!cmd.empty() && cmd.back() == '\0') cmd.pop_back();
  std::replace(cmd.begin(), cmd.end(), '\0', ' ');
  if (cmd.empty()) {  // a kernel thread or a process past exec: its short name
    std::ifstream c("/proc/" + std::to_string(pid) + "/comm");
    std::getline(c, cmd);
  }
  if (cmd.size() > 100) cmd = cmd.substr(0, 97) + "...";
  return cmd;
}

namespace {

bool readable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0;
}

struct Pinned {
  Fd pidfd;  // readable once the process has exited
  EndedProcess info;
};

// Waits until every pidfd is readable (its process exited) or the deadline passes.
void wait_exits(const std::vector<Pinned>& procs, std::chrono::steady_clock::time_point deadline) {
  for (const auto& p : procs) {
    while (!readable(p.pidfd.get())) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      pollfd pfd{p.pidfd.get(), POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(std::min<long>(left.count(), 50)));
    }
  }
}

void signal_all(const std::vector<Pinned>& procs, int sig) {
  for (const auto& p : procs)
    if (!readable(p.pidfd.get())) ::syscall(SYS_pidfd_send_signal, p.pidfd.get(), sig, nullptr, 0);
}

}  // namespace

std::vector<EndedProcess> end_processes(const std::vector<pid_t>& pids,
                                        const std::function<bool(pid_t)>& still_ours,
                                        std::chrono::milliseconds grace,
                                        std::chrono::milliseconds kill_wait) {
  std::vector<Pinned> procs;
  for (pid_t pid : pids) {
    Fd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd) continue;               // already gone
    if (!still_ours(pid)) continue;  // checked while the pidfd pins the process
    procs.push_back({std::move(fd), {pid, process_command(pid), false, false}});
  }
  signal_all(procs, SIGTERM);
  wait_exits(procs, std::chrono::steady_clock::now() + grace);
  for (auto& p : procs) p.info.needed_kill = !readable(p.pidfd.get());
  signal_all(procs, SIGKILL);
  wait_exits(procs, std::chrono::steady_clock::now() + kill_wait);
  std::vector<EndedProcess> ended;
  for (auto& p : procs) {
    p.info.gone = readable(p.pidfd.get());
    if (p.info.gone) ::waitpid(p.info.pid, nullptr, WNOHANG);  // ours: reaped; else ECHILD
    ended.push_back(p.info);
  }
  return ended;
}

std::pair<int, std::string> run_capture(const SpawnSpec& spec_in,
                                        std::chrono::milliseconds timeout) {
  SpawnSpec spec = spec_in;
  spec.capture_stdout = true;
  Child child = spawn(spec);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{child.stdout_fd(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::read(child.stdout_fd(), buf, sizeof buf);
    if (n > 0)
      out.append(buf, static_cast<size_t>(n));
    else if (n == 0)
      break;
    else if (errno != EAGAIN && errno != EINTR)
      break;
  }
  int status = child.stop(std::chrono::milliseconds(200));
  return {status, out};
}

}  // namespace ss::sys
