// The ssh probe: Debian's sshd in the server namespace with per-run keys, and Debian's `ssh`
// in the client namespace streaming a timestamp every 100 ms, watched by exec-watch.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab/probe_remote.hpp"
#include "sys/netns.hpp"
#include "sys/process.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

using namespace std::chrono_literals;
constexpr auto kKeygenTimeout = 10s;
constexpr auto kListenTimeout = 5s;
constexpr auto kStopGrace = 1000ms;  // SIGTERM to SIGKILL for sessions left behind

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The last lines of a log, for a set-up error that says what the program said.
std::string log_tail(const std::string& path) {
  std::string text = read_file(path);
  if (text.size() > 400) text = "..." + text.substr(text.size() - 400);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.empty() ? "(no output)" : text;
}

void keygen(ProbeEnv& env, const std::string& path, const std::string& comment) {
  sys::SpawnSpec spec;
  spec.argv = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path};
  spec.stderr_path = env.lab().log_path("ssh-keygen");
  const auto [status, out] = sys::run_capture(spec, kKeygenTimeout);
  if (status != 0)
    throw ProbeSetupError(
        fmt::format("ssh-keygen {} failed: {}", path, log_tail(spec.stderr_path)));
}

// Whether something accepts TCP connections on ip:port, tried from inside the namespace.
bool accepts(int netns_fd, const std::string& ip, int port) {
  sys::NetnsGuard in(netns_fd);
  sys::Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw sys::SysError("socket", "sshd readiness check", errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return ::connect(s.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
}

class SshProbe final : public Probe {
 public:
  explicit SshProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return "ssh"; }
  std::string proto() const override { return "ssh"; }

  void start_server(ProbeEnv& env) override {
    Lab& lab = env.lab();
    const std::string dir = lab.ledger().run_dir();
    SshdSettings s{env.server_ip(), spec_.port, dir + "/ssh_host_ed25519_key",
                   dir + "/ssh_authorized_keys"};
    client_key_ = dir + "/ssh_client_key";
    keygen(env, s.host_key, "splitsecond-host");
    keygen(env, client_key_, "splitsecond-client");
    std::filesystem::copy_file(client_key_ + ".pub", s.authorized_keys);
    const std::string config = dir + "/sshd_config";
    std::ofstream(config) << sshd_config(s);
    lab.ledger().shared_dir("/run/sshd");  // sshd's privilege separation directory
    // sshd re-executes itself, which it only does when started by its full path.
    const std::string sshd = sys::find_program("sshd");
    if (sshd.empty())
      throw ProbeSetupError("sshd is not installed (Debian package openssh-server)");
    sys::Child& child = env.start_server_program("sshd", {sshd, "-D", "-e", "-f", config});
    // A session outlives the listening sshd (and after a disconnect hears nothing more): once
    // the lab has stopped the listener, end the sessions left in the namespace and their commands.
    const NetnsId ns = netns_id(lab.netns_fd(lab.names().server));
    lab.ledger().undo("sshd-sessions", [sshd, ns] { stop_program_in_netns(sshd, ns, kStopGrace); });
    wait_accepting(env, child);
  }

  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    return {"exec-watch",
            "--duration",
            run_for,
            "--ready-on-output",
            "--",
            "ssh",
            "-F",
            "none",
            "-i",
            client_key_,
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ServerAliveInterval=0",
            "-o",
            "LogLevel=ERROR",
            "-p",
            std::to_string(spec_.port),
            "root@" + env.server_ip(),
            kClockCommand};
  }

  ProbeFate fate(const AgentLines& client, const AgentLines&, const Window& w) const override {
    return ssh_fate(client, w, spec_.interval, silence_bound(spec_).count() * 1000);
  }

 private:
  void wait_accepting(ProbeEnv& env, sys::Child& sshd) {
    Lab& lab = env.lab();
    const int ns = lab.netns_fd(lab.names().server);
    const auto deadline = std::chrono::steady_clock::now() + kListenTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!sshd.running())
        throw ProbeSetupError(
            fmt::format("sshd exited during set-up: {}", log_tail(lab.log_path("sshd"))));
      if (accepts(ns, env.server_ip(), spec_.port)) return;
      ::poll(nullptr, 0, 20);
    }
    throw ProbeSetupError(fmt::format("sshd did not accept connections on {}:{} within {}s: {}",
                                      env.server_ip(), spec_.port, kListenTimeout.count(),
                                      log_tail(lab.log_path("sshd"))));
  }

  ProbeSpec spec_;
  std::string client_key_;
};

}  // namespace

std::unique_ptr<Probe> make_ssh_probe(const ProbeSpec& spec) {
  return std::make_unique<SshProbe>(spec);
}

}  // namespace ss::lab
