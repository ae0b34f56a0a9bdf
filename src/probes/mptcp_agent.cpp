#include "probes/mptcp_agent.hpp"

#include <fmt/format.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <vector>

#include "probes/echo_lines.hpp"
#include "probes/emit.hpp"
#include "probes/mptcp_subflows.hpp"
#include "sys/event_loop.hpp"
#include "sys/fd.hpp"
#include "sys/syserror.hpp"

namespace ss::probes {
namespace {

constexpr int kSetupFailed = 4;

std::string local_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return sockaddr_text(&ss);
}

int ms_until(int64_t deadline_ns, int64_t cap_ms) {
  return static_cast<int>(
      std::clamp<int64_t>((deadline_ns - sys::mono_ns()) / 1'000'000, 0, cap_ms));
}

// An MPTCP socket, or -errno.
int mptcp_socket(int family, bool nonblock) {
  int fd =
      ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), IPPROTO_MPTCP);
  return fd < 0 ? -errno : fd;
}

// Connects with a deadline; the error (0: connected).
int connect_bounded(int fd, const Endpoint& to, Micros timeout) {
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  pollfd p{fd, POLLOUT, 0};
  int rc = ::poll(&p, 1, static_cast<int>(timeout.count() / 1000));
  int err = ETIMEDOUT;
  if (rc > 0) {
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  }
  return err;
}

// Prints a `subflows` event when what the kernel reports changed since the last one.
class SubflowWatch {
 public:
  void check(const std::string& agent, int fd, nlohmann::json extra = nlohmann::json::object()) {
    last_ = read_subflows(fd);
    std::string key = view_key(last_);
    if (key == key_) return;
    key_ = key;
    extra.update(view_fields(last_));
    emit(agent, "subflows", extra);
  }
  const SubflowView& last() const { return last_; }

 private:
  std::string key_;
  SubflowView last_;
};

class MptcpClient {
 public:
  explicit MptcpClient(const MptcpClientOptions& o) : o_(o) {}

  int run() {
    install_stop_handlers();
    const int64_t start = sys::mono_ns();
    int rc = mptcp_socket(o_.server.addr.ss_family, true);
    if (rc < 0) {
      emit(agent_, "setup_failed", mptcp_setup_failure("socket(IPPROTO_MPTCP)", -rc));
      return kSetupFailed;
    }
    sock_.reset(rc);
    if (int err = connect_bounded(sock_.get(), o_.server, o_.connect_timeout)) {
      emit(agent_, "setup_failed", mptcp_setup_failure("connect", err));
      return kSetupFailed;
    }
    int one = 1;
    ::setsockopt(sock_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    emit(agent_, "ready",
         {{"local", local_of(sock_.get())}, {"remote", sockaddr_text(&o_.server.addr)}});
    watch_.check(agent_, sock_.get());
    end_ = start + o_.duration.count() * 1000;
    next_tick_ = sys::mono_ns();
    while (!stop_requested() && fate_ == "running" && sys::mono_ns() < end_) pass();
    summary();
    return 0;
  }

 private:
  void pass() {
    if (sys::mono_ns() >= next_tick_) {
      send_line();
      watch_.check(agent_, sock_.get());
      next_tick_ += o_.interval.count() * 1000;
    }
    pollfd p{sock_.get(), POLLIN, 0};
    if (::poll(&p, 1, ms_until(std::min(end_, next_tick_), 50)) <= 0) return;
    if (p.revents & (POLLIN | POLLERR | POLLHUP)) receive();
  }

  void send_line() {
    const std::string line = lines_.next(sys::mono_ns());
    ssize_t n = ::send(sock_.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN) return fail("send");
  }

  void receive() {
    char buf[4096];
    ssize_t n = ::recv(sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) fail("recv");
      return;
    }
    if (n == 0) {
      emit(agent_, "closed", {{"by", "peer"}});
      fate_ = "closed";
      return;
    }
    for (const auto& echo : lines_.receive({buf, static_cast<size_t>(n)}, sys::mono_ns())) {
      ++echoed_;
      emit(agent_, "echo", {{"seq", echo.seq}, {"rtt_us", echo.rtt_us}});
    }
  }

  void fail(const char* op) {
    emit(agent_, "error", {{"error", sys::errno_name(errno)}, {"op", op}});
    fate_ = "error";
    watch_.check(agent_, sock_.get());  // what the kernel had left when the error came
  }

  void summary() {
    emit(agent_, "summary",
         {{"sent", lines_.sent()},
          {"echoed", echoed_},
          {"fate", fate_},
          {"subflows", watch_.last().count},
          {"fallback", watch_.last().fallback}});
  }

  const std::string agent_ = "mptcp-client";
  const MptcpClientOptions& o_;
  sys::Fd sock_;
  SubflowWatch watch_;
  int64_t end_ = 0, next_tick_ = 0;
  EchoLines lines_;
  uint64_t echoed_ = 0;
  std::string fate_ = "running";
};

struct ServerConn {
  sys::Fd sock;
  std::string peer;
  SubflowWatch watch;
};

class MptcpServer {
 public:
  explicit MptcpServer(const MptcpServerOptions& o) : o_(o) {}

  int run() {
    install_stop_handlers();
    int rc = mptcp_socket(o_.listen.addr.ss_family, false);
    if (rc < 0) {
      emit(agent_, "setup_failed", mptcp_setup_failure("socket(IPPROTO_MPTCP)", -rc));
      return kSetupFailed;
    }
    lsock_.reset(rc);
    int one = 1;
    ::setsockopt(lsock_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(lsock_.get(), reinterpret_cast<const sockaddr*>(&o_.listen.addr), o_.listen.len) <
            0 ||
        ::listen(lsock_.get(), 128) < 0) {
      emit(agent_, "setup_failed", mptcp_setup_failure("bind/listen", errno));
      return kSetupFailed;
    }
    emit(agent_, "ready", {{"listen", sockaddr_text(&o_.listen.addr)}});
    int64_t next_check = sys::mono_ns();
    while (!stop_requested()) {
      poll_once(ms_until(next_check, 200));
      if (sys::mono_ns() >= next_check) {
        for (auto& [fd, c] : conns_) c.watch.check(agent_, fd, {{"peer", c.peer}});
        next_check = sys::mono_ns() + o_.interval.count() * 1000;
      }
    }
    emit(agent_, "summary", {{"open", conns_.size()}, {"accepted", accepted_}});
    return 0;
  }

 private:
  void poll_once(int wait_ms) {
    std::vector<pollfd> fds{{lsock_.get(), POLLIN, 0}};
    for (auto& [fd, c] : conns_) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), wait_ms) <= 0) return;
    if (fds[0].revents & POLLIN) accept_one();
    for (size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents) echo(fds[i].fd);
  }

  void accept_one() {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = ::accept4(lsock_.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) return;
    ++accepted_;
    ServerConn& c = conns_[fd];
    c.sock.reset(fd);
    c.peer = sockaddr_text(&peer);
    emit(agent_, "accept", {{"peer", c.peer}});
    c.watch.check(agent_, fd, {{"peer", c.peer}});
  }

  void echo(int fd) {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0 && ::send(fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL) == n) return;
    auto& c = conns_[fd];
    emit(agent_, "close",
         {{"peer", c.peer},
          {"error", n < 0 ? nlohmann::json(sys::errno_name(errno)) : nlohmann::json(nullptr)}});
    conns_.erase(fd);
  }

  const std::string agent_ = "mptcp-server";
  const MptcpServerOptions& o_;
  sys::Fd lsock_;
  std::map<int, ServerConn> conns_;
  uint64_t accepted_ = 0;
};

}  // namespace

nlohmann::json mptcp_setup_failure(const std::string& call, int err) {
  nlohmann::json f = {{"error", sys::errno_name(err)}, {"op", call}};
  const bool refused =
      err == EPROTONOSUPPORT || err == ENOPROTOOPT || err == EAFNOSUPPORT || err == EINVAL;
  if (call.rfind("socket", 0) == 0 && refused)
    f["reason"] =
        "the kernel refuses IPPROTO_MPTCP sockets (net.mptcp.enabled=0 in this namespace, or no "
        "MPTCP support)";
  return f;
}

int run_mptcp_client(const MptcpClientOptions& o) {
  return MptcpClient(o).run();
}
int run_mptcp_server(const MptcpServerOptions& o) {
  return MptcpServer(o).run();
}

}  // namespace ss::probes
