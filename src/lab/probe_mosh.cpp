// The mosh probe: Debian's mosh-server in the server namespace running the clock command,
// and mosh-client in the client namespace on a pseudo-terminal, watched by pty-watch.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>

#include "lab/probe_remote.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

using namespace std::chrono_literals;
constexpr auto kConnectTimeout = 5s;  // for "MOSH CONNECT" and the detaching parent's exit
constexpr auto kStopGrace = 1000ms;   // SIGTERM to SIGKILL for the detached server

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Ends the detached server through its pidfd (never by name): SIGTERM, then SIGKILL.
void stop_by_pidfd(int pidfd) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, nullptr, 0) < 0) return;  // already gone
  pollfd p{pidfd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(kStopGrace.count())) > 0) return;
  ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  ::poll(&p, 1, static_cast<int>(kStopGrace.count()));
}

class MoshProbe final : public Probe {
 public:
  explicit MoshProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return "mosh"; }
  std::string proto() const override { return "mosh"; }

  void start_server(ProbeEnv& env) override {
    // -v: the detached server keeps logging, including each client address it attaches to.
    sys::Child& launcher = env.start_server_program(
        "mosh-server",
        {"mosh-server", "new", "-v", "-c", "256", "-l", "LANG=C.UTF-8", "-i", env.server_ip(), "-p",
         std::to_string(spec_.port), "--", "sh", "-c", kClockCommand},
        true);
    connect_ = read_connect(env, launcher);
    adopt_detached_server(env, launcher);
  }

  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    return {"pty-watch",
            "--duration",
            run_for,
            "--env",
            "MOSH_KEY=" + connect_.key,
            "--",
            "mosh-client",
            env.server_ip(),
            std::to_string(connect_.port)};
  }

  ProbeFate fate(const AgentLines& client, const AgentLines&, const Window& w) const override {
    ProbeFate f = mosh_fate(client, w, spec_.interval, silence_bound(spec_).count() * 1000);
    if (f.setup_ok) f.extra["server_addresses"] = *server_saw_;
    return f;
  }

 private:
  // mosh-server prints "MOSH CONNECT <port> <key>" on stdout, then forks and its first
  // process exits.
  MoshConnect read_connect(ProbeEnv& env, sys::Child& launcher) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{launcher.stdout_fd(), POLLIN, 0};
      ::poll(&p, 1, 50);
      char buf[1024];
      const ssize_t n = ::read(launcher.stdout_fd(), buf, sizeof buf);
      if (n > 0) out.append(buf, static_cast<size_t>(n));
      if (auto c = parse_mosh_connect(out)) return *c;
      if (n == 0) break;  // stdout closed without the line
    }
    throw ProbeSetupError(fmt::format("mosh-server printed no MOSH CONNECT line within {}s: {}",
                                      kConnectTimeout.count(),
                                      read_file(env.lab().log_path("mosh-server"))));
  }

  // The server that stays is the detached child: find it by the pid its parent printed,
  // check it lives in the server namespace, and record how teardown ends it.
  void adopt_detached_server(ProbeEnv& env, sys::Child& launcher) {
    Lab& lab = env.lab();
    const std::string log = lab.log_path("mosh-server");
    const auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
    while (launcher.running() && std::chrono::steady_clock::now() < deadline)
      ::poll(nullptr, 0, 10);
    const auto pid = parse_mosh_detached_pid(read_file(log));
    if (!pid)
      throw ProbeSetupError(
          fmt::format("mosh-server did not report its detached pid: {}", read_file(log)));
    auto pidfd = std::make_shared<sys::Fd>(static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0)));
    if (!*pidfd)
      throw ProbeSetupError(fmt::format("mosh-server (pid {}) is gone: {}", *pid, read_file(log)));
    // Checked after pidfd_open: the pidfd then names this very process, whatever happens to the
    // pid.
    if (!process_in_netns(*pid, netns_id(lab.netns_fd(lab.names().server)))) {
      throw ProbeSetupError(fmt::format("pid {} reported by mosh-server is not in namespace {}",
                                        *pid, lab.names().server));
    }
    // The shell and its command first: once the server is gone they are no longer its children.
    const NetnsId ns = netns_id(lab.netns_fd(lab.names().server));
    lab.ledger().undo(fmt::format("mosh-server-{}", *pid),
                      [pidfd, pid = *pid, ns, log, saw = server_saw_] {
                        stop_descendants(pid, ns, kStopGrace);
                        stop_by_pidfd(pidfd->get());
                        *saw = parse_mosh_attachments(read_file(log));
                      });
  }

  ProbeSpec spec_;
  MoshConnect connect_;
  // The client addresses the server attached to, read from its log once it has stopped.
  std::shared_ptr<std::vector<std::string>> server_saw_ =
      std::make_shared<std::vector<std::string>>();
};

}  // namespace

std::unique_ptr<Probe> make_mosh_probe(const ProbeSpec& spec) {
  return std::make_unique<MoshProbe>(spec);
}

}  // namespace ss::lab
