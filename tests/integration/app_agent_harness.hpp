#pragma once
// For the application-probe integration tests: runs `splitsecond agent ...` (the built binary)
// or another program as a child tracked by pid, reads the agent's JSON lines with bounded waits,
// and stops it on every path.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sys/event_loop.hpp"
#include "sys/process.hpp"

namespace ss::apptest {

using json = nlohmann::json;
using namespace std::chrono_literals;

class Process {
 public:
  // argv[0] is a program name (looked up in PATH) or a path.
  explicit Process(std::vector<std::string> argv, bool capture = true) {
    sys::SpawnSpec spec;
    spec.argv = std::move(argv);
    spec.capture_stdout = capture;
    child_ = sys::spawn(spec);
  }
  // Any spawn: e.g. in a network namespace, with bind mounts (spec.capture_stdout as given).
  explicit Process(const sys::SpawnSpec& spec) : child_(sys::spawn(spec)) {}
  ~Process() { stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  static std::vector<std::string> agent(std::vector<std::string> args) {
    args.insert(args.begin(), {SPLITSECOND_BIN, "agent"});
    return args;
  }

  pid_t pid() const { return child_.pid(); }
  void signal(int sig) { child_.signal(sig); }
  int stop(std::chrono::milliseconds grace = 1000ms) { return child_.stop(grace); }

  // The next event of `kind` after the last one returned, waiting at most `limit`.
  std::optional<json> next(const std::string& kind, std::chrono::milliseconds limit = 3000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      for (; cursor_ < events_.size(); ++cursor_) {
        if (events_[cursor_].value("kind", "") == kind) return events_[cursor_++];
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) return std::nullopt;
    }
  }

  // Reads everything until the process ends (bounded by `limit`, then stopped); its exit code.
  int wait_exit(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) break;
    }
    int status = stop(200ms);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::vector<json> all(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& e : events_)
      if (e.value("kind", "") == kind) out.push_back(e);
    return out;
  }

 private:
  // Reads what is there (waiting up to `limit`); false at end of output or on timeout.
  bool read_some(std::chrono::milliseconds limit) {
    pollfd p{child_.stdout_fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
    char buf[8192];
    ssize_t n = ::read(child_.stdout_fd(), buf, sizeof buf);
    if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
    partial_.append(buf, static_cast<size_t>(n));
    for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
      events_.push_back(json::parse(partial_.substr(0, nl)));
      partial_.erase(0, nl + 1);
    }
    return true;
  }

  sys::Child child_;
  std::string partial_;
  std::vector<json> events_;
  size_t cursor_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Waits (bounded) until something accepts TCP connections on 127.0.0.1:port.
inline bool wait_listening(int port, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    ::poll(nullptr, 0, 20);
  }
  return false;
}

inline std::string loopback(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace ss::apptest
