#include "probes/watch_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys/syserror.hpp"

namespace ss::probes {
namespace {

// Strings the child needs, prepared before the fork: after it the child only makes syscalls.
struct Exec {
  std::vector<std::string> storage;
  std::vector<char*> argv, envp;
  Exec(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    storage.reserve(args.size() + env.size());
    for (const auto& a : args) argv.push_back(storage.emplace_back(a).data());
    argv.push_back(nullptr);
    for (const auto& e : env) envp.push_back(storage.emplace_back(e).data());
    envp.push_back(nullptr);
  }
};

[[noreturn]] void child_fail(int report_fd, int step) {
  int msg[2] = {step, errno};
  [[maybe_unused]] auto n = ::write(report_fd, msg, sizeof msg);
  ::_exit(127);
}

const char* child_step(int step) {
  switch (step) {
    case 1:
      return "dup2";
    case 2:
      return "open /dev/null";
    default:
      return "execvp";
  }
}

// In the forked child: the agent's signal set-up must not leak into the program.
[[noreturn]] void exec_child(const Exec& e, int report_fd, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the agent died before prctl
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execvpe(e.argv[0], e.argv.data(), e.envp.data());
  child_fail(report_fd, 3);
}

sys::Fd nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return sys::Fd(fd);
}

// Reads the child's report: nothing (EOF) once the exec succeeded.
void check_report(sys::Fd& report_read, pid_t pid, const std::string& program) {
  int msg[2] = {0, 0};
  ssize_t n;
  do n = ::read(report_read.get(), msg, sizeof msg);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof msg)) {
    ::waitpid(pid, nullptr, 0);
    throw sys::SysError(child_step(msg[0]), program, msg[1]);
  }
}

}  // namespace

std::vector<std::string> merged_environment(char** base,
                                            const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  for (char** e = base; e && *e; ++e) env.emplace_back(*e);
  for (const auto& o : overrides) {
    std::erase_if(env, [&](const std::string& kv) { return key_of(kv) == key_of(o); });
    env.push_back(o);
  }
  return env;
}

WatchedProgram start_watched(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env, Terminal t) {
  if (argv.empty()) throw sys::SysError("execvp", "(no program)", EINVAL);
  Exec e(argv, env);
  int report[2];
  sys::check(::pipe2(report, O_CLOEXEC), "pipe2", "exec report");
  sys::Fd report_read(report[0]), report_write(report[1]);
  const pid_t parent = ::getpid();
  WatchedProgram p;
  if (t == Terminal::pty) {
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = 80;
    int master = -1;
    p.pid = ::forkpty(&master, nullptr, nullptr, &ws);
    if (p.pid < 0) throw sys::SysError("forkpty", argv[0], errno);
    if (p.pid == 0) exec_child(e, report_write.get(), parent);
    p.streams.push_back({"pty", nonblocking(master)});
  } else {
    int out[2], err[2];
    sys::check(::pipe2(out, O_CLOEXEC), "pipe2", "stdout");
    sys::Fd out_read(out[0]), out_write(out[1]);
    sys::check(::pipe2(err, O_CLOEXEC), "pipe2", "stderr");
    sys::Fd err_read(err[0]), err_write(err[1]);
    p.pid = ::fork();
    if (p.pid < 0) throw sys::SysError("fork", argv[0], errno);
    if (p.pid == 0) {
      const int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull < 0) child_fail(report_write.get(), 2);
      if (::dup2(devnull, 0) < 0 || ::dup2(out_write.get(), 1) < 0 ||
          ::dup2(err_write.get(), 2) < 0)
        child_fail(report_write.get(), 1);
      exec_child(e, report_write.get(), parent);
    }
    p.streams.push_back({"stdout", nonblocking(out_read.release())});
    p.streams.push_back({"stderr", nonblocking(err_read.release())});
  }
  report_write.reset();
  p.pidfd = sys::Fd(static_cast<int>(::syscall(SYS_pidfd_open, p.pid, 0)));
  if (!p.pidfd) {
    const int err = errno;
    ::kill(p.pid, SIGKILL);  // our own child, by pid: unusable without its pidfd
    ::waitpid(p.pid, nullptr, 0);
    throw sys::SysError("pidfd_open", argv[0], err);
  }
  check_report(report_read, p.pid, argv[0]);
  return p;
}

bool reap_watched(WatchedProgram& p) {
  if (p.wait_status) return true;
  int status = 0;
  const pid_t r = ::waitpid(p.pid, &status, WNOHANG);
  if (r == p.pid) p.wait_status = status;
  return p.wait_status.has_value();
}

void end_watched(WatchedProgram& p, std::chrono::milliseconds grace) {
  if (reap_watched(p)) return;
  ::syscall(SYS_pidfd_send_signal, p.pidfd.get(), SIGTERM, nullptr, 0);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{p.pidfd.get(), POLLIN, 0};
    ::poll(&pfd, 1, 10);
    if (reap_watched(p)) return;
  }
  ::syscall(SYS_pidfd_send_signal, p.pidfd.get(), SIGKILL, nullptr, 0);
  int status = 0;
  if (::waitpid(p.pid, &status, 0) == p.pid) p.wait_status = status;
}

}  // namespace ss::probes
