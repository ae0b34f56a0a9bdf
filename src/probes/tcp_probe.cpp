#include "probes/tcp_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <splitsecond/path.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "model/errors.hpp"
#include "probes/echo_lines.hpp"
#include "probes/emit.hpp"
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

// Connects with a deadline; returns the fd or -errno.
int connect_bounded(const Endpoint& to, Micros timeout) {
  int fd = ::socket(to.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) == 0) return fd;
  if (errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    return -err;
  }
  pollfd p{fd, POLLOUT, 0};
  int rc = ::poll(&p, 1, static_cast<int>(timeout.count() / 1000));
  int err = ETIMEDOUT;
  if (rc > 0) {
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  }
  if (err != 0) {
    ::close(fd);
    return -err;
  }
  return fd;
}

}  // namespace

Endpoint Endpoint::parse(const std::string& text, const std::string& what) {
  Endpoint e;
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    throw UsageError(fmt::format("{}: '{}' is not IP:PORT", what, text));
  std::string host = text.substr(0, colon), port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end || port < 1 || port > 65535)
    throw UsageError(fmt::format("{}: '{}' is not a port (1-65535)", what, port_text));
  auto* in4 = reinterpret_cast<sockaddr_in*>(&e.addr);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
  if (::inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    e.len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    e.len = sizeof(sockaddr_in6);
  } else {
    throw UsageError(fmt::format("{}: '{}' is not an IP address", what, host));
  }
  return e;
}

void parse_keepalive(const std::string& text, TcpClientOptions& o) {
  auto bad = [&] {
    return UsageError(fmt::format(
        "--keepalive: '{}' is not IDLE/INTVL/CNT (two durations from 1s and a count from 1 to "
        "127, e.g. 1s/1s/3)",
        text));
  };
  const auto a = text.find('/'), b = text.find('/', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos) throw bad();
  const auto idle = parse_duration(text.substr(0, a));
  const auto intvl = parse_duration(text.substr(a + 1, b - a - 1));
  const std::string cnt_text = text.substr(b + 1);
  char* end = nullptr;
  const long cnt = std::strtol(cnt_text.c_str(), &end, 10);
  // The kernel takes whole seconds (TCP_KEEPIDLE/INTVL) and at most 127 probes (TCP_KEEPCNT).
  auto whole_s = [](const std::optional<Micros>& d) {
    return d && d->count() >= 1'000'000 && d->count() % 1'000'000 == 0 &&
           d->count() <= 32767LL * 1'000'000;
  };
  if (!whole_s(idle) || !whole_s(intvl) || cnt_text.empty() || *end || cnt < 1 || cnt > 127)
    throw bad();
  o.keepalive_idle = *idle;
  o.keepalive_intvl = *intvl;
  o.keepalive_cnt = static_cast<int>(cnt);
}

TcpMode parse_tcp_mode(const std::string& text) {
  if (text == "stream") return TcpMode::stream;
  if (text == "send-on-signal") return TcpMode::send_on_signal;
  if (text == "idle") return TcpMode::idle;
  if (text == "burst") return TcpMode::burst;
  throw UsageError(
      fmt::format("--mode: '{}' is not one of stream, send-on-signal, idle, burst", text));
}

namespace {

volatile sig_atomic_t g_go = 0;
void on_usr1(int) {
  g_go = 1;
}
// SIGUSR2: the idle and burst clients send their one late message.
volatile sig_atomic_t g_late = 0;
void on_usr2(int) {
  g_late = 1;
}

class TcpClient {
 public:
  explicit TcpClient(const TcpClientOptions& o) : o_(o) {}

  int run() {
    install_stop_handlers();
    ::signal(SIGUSR1, on_usr1);
    ::signal(SIGUSR2, on_usr2);
    const int64_t start = sys::mono_ns();
    int rc = connect_bounded(o_.server, o_.connect_timeout);
    if (rc < 0) {
      emit(agent_, "setup_failed", {{"error", sys::errno_name(-rc)}});
      return kSetupFailed;
    }
    sock_.reset(rc);
    int one = 1;
    ::setsockopt(sock_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o_.user_timeout.count() > 0) {
      unsigned ms = static_cast<unsigned>(o_.user_timeout.count() / 1000);
      ::setsockopt(sock_.get(), IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
    }
    if (!set_keepalive() || !start_path_watch()) return kSetupFailed;
    emit(agent_, "ready", ready_fields());
    end_ = start + o_.duration.count() * 1000;
    next_send_ = sys::mono_ns();
    while (!stop_requested() && fate_ == "running" && sys::mono_ns() < end_) pass();
    summary();
    return 0;
  }

 private:
  // SO_KEEPALIVE and its three settings, when asked; false (after `setup_failed`) on error.
  bool set_keepalive() {
    if (o_.keepalive_cnt <= 0) return true;
    const int on = 1, idle = static_cast<int>(o_.keepalive_idle.count() / 1'000'000),
              intvl = static_cast<int>(o_.keepalive_intvl.count() / 1'000'000),
              cnt = o_.keepalive_cnt;
    if (::setsockopt(sock_.get(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0 &&
        ::setsockopt(sock_.get(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) == 0 &&
        ::setsockopt(sock_.get(), IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) == 0 &&
        ::setsockopt(sock_.get(), IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) == 0)
      return true;
    emit(agent_, "setup_failed", {{"error", sys::errno_name(errno)}, {"op", "keepalive"}});
    return false;
  }

  // The path library's watcher on this connection (--watch-path); false after `setup_failed`.
  bool start_path_watch() {
    if (!o_.watch_path) return true;
    watcher_.reset(ss_path_watcher_new(nullptr, &TcpClient::on_path_event, this));
    if (!watcher_) {
      emit(agent_, "setup_failed", {{"error", sys::errno_name(errno)}, {"op", "path watcher"}});
      return false;
    }
    if (const int rc = ss_path_watch_socket(watcher_.get(), sock_.get()); rc < 0) {
      emit(agent_, "setup_failed", {{"error", sys::errno_name(-rc)}, {"op", "path watch"}});
      return false;
    }
    return true;
  }

  static void on_path_event(const ss_path_event* e, void* user) {
    auto* self = static_cast<TcpClient*>(user);
    if (e->kind != SS_PATH_SOURCE_LOST || e->fd != self->sock_.get()) return;
    emit(self->agent_, "path_lost",
         {{"how", "path callback"},
          {"event", "source lost"},
          {"address", e->address},
          {"ifname", e->ifname},
          {"library_read_ns", e->detected_ns}});
    self->fate_ = "path_lost";
  }

  // The `ready` line: the connection, the settings that decide how it learns of its death,
  // and this namespace's tcp_retries2 (per network namespace; the kernel's bound with data in
  // flight).
  nlohmann::json ready_fields() const {
    nlohmann::json j = {{"local", local_of(sock_.get())},
                        {"remote", sockaddr_text(&o_.server.addr)}};
    if (o_.user_timeout.count() > 0) j["user_timeout_ms"] = o_.user_timeout.count() / 1000;
    if (o_.keepalive_cnt > 0)
      j["keepalive"] = {{"idle_ms", o_.keepalive_idle.count() / 1000},
                        {"intvl_ms", o_.keepalive_intvl.count() / 1000},
                        {"cnt", o_.keepalive_cnt}};
    if (o_.watch_path) j["watch_path"] = true;
    std::ifstream f("/proc/sys/net/ipv4/tcp_retries2");
    int retries2 = 0;
    if (f >> retries2) j["tcp_retries2"] = retries2;
    return j;
  }

  bool sending() const {
    if (o_.mode == TcpMode::idle || o_.mode == TcpMode::burst) return false;
    return o_.mode != TcpMode::send_on_signal || g_go;
  }

  void pass() {
    const int64_t now = sys::mono_ns();
    if (o_.mode == TcpMode::send_on_signal && g_go && !announced_) {
      announced_ = true;
      emit(agent_, "sending", {});
      next_send_ = now;
    }
    if (o_.mode == TcpMode::burst && g_go && !announced_) {
      announced_ = true;
      send_burst();
    }
    if (g_late && (o_.mode == TcpMode::idle || o_.mode == TcpMode::burst)) {
      if (!late_sent_) start_late(now);
      flush_late();
    }
    if (sending() && now >= next_send_) send_line(now);
    pollfd p{sock_.get(), POLLIN, 0};
    int64_t until = end_;
    if (sending()) until = std::min(until, next_send_);
    int wait_ms =
        static_cast<int>(std::clamp<int64_t>((until - sys::mono_ns()) / 1'000'000, 0, 50));
    if (watcher_) {
      const int due = ss_path_watcher_timeout_ms(watcher_.get());
      if (due >= 0) wait_ms = std::min(wait_ms, due);
    }
    pollfd fds[2] = {p, {watcher_ ? ss_path_watcher_fd(watcher_.get()) : -1, POLLIN, 0}};
    if (::poll(fds, watcher_ ? 2 : 1, wait_ms) < 0) return;
    if (watcher_) ss_path_watcher_process(watcher_.get());  // never blocks; may end the connection
    if (fate_ == "running" && (fds[0].revents & (POLLIN | POLLERR | POLLHUP))) receive();
  }

  void send_line(int64_t now) {
    const std::string line = lines_.next(now);
    ssize_t n = ::send(sock_.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN) return fail("send");
    next_send_ += o_.interval.count() * 1000;
  }

  // One numbered line on a connection that has been quiet since t=0: its echo, an error, or
  // nothing by the end tells what became of the connection. In burst mode its echo comes
  // after the burst's bytes (the server echoes in order).
  void start_late(int64_t now) {
    late_sent_ = true;
    late_pending_ = lines_.next(now);
    late_echo_at_ = bytes_sent_ + late_pending_.size();
    late_sent_ns_ = now;
    emit(agent_, "late_send", {{"seq", lines_.sent()}, {"bytes", late_pending_.size()}});
  }

  // A full send buffer (the burst still unacknowledged) is no error: retried every pass.
  void flush_late() {
    if (late_pending_.empty() || fate_ != "running") return;
    ssize_t n = ::send(sock_.get(), late_pending_.data(), late_pending_.size(),
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) fail("send");
      return;
    }
    late_pending_.erase(0, static_cast<size_t>(n));
    bytes_sent_ += static_cast<uint64_t>(n);
  }

  // As much of 1 MiB as the socket takes at once: in flight, unacknowledged, at t=0.
  void send_burst() {
    static const std::string chunk(65536, 'x');
    for (int i = 0; i < 16; ++i) {
      ssize_t n = ::send(sock_.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno != EAGAIN) fail("send");
        break;
      }
      bytes_sent_ += static_cast<uint64_t>(n);
    }
    emit(agent_, "burst", {{"bytes", bytes_sent_}});
  }

  void receive() {
    char buf[65536];
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
    if (o_.mode == TcpMode::burst) {
      bytes_echoed_ += static_cast<uint64_t>(n);
      if (late_sent_ && !late_echoed_ && bytes_echoed_ >= late_echo_at_) {
        late_echoed_ = true;
        emit(agent_, "echo",
             {{"seq", lines_.sent()},
              {"rtt_us", (sys::mono_ns() - late_sent_ns_) / 1000},
              {"bytes", bytes_echoed_}});
        return;
      }
      // A bulk echo is progress: report it at most every 100 ms as an echo.
      const int64_t now = sys::mono_ns();
      if (now - last_bulk_echo_ >= 100'000'000) {
        last_bulk_echo_ = now;
        emit(agent_, "echo", {{"bytes", bytes_echoed_}});
      }
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
  }

  void summary() {
    tcp_info info{};
    socklen_t len = sizeof info;
    ::getsockopt(sock_.get(), IPPROTO_TCP, TCP_INFO, &info, &len);
    int soft = 0;
    len = sizeof soft;
    ::getsockopt(sock_.get(), SOL_SOCKET, SO_ERROR, &soft, &len);
    emit(agent_, "summary",
         {{"sent", lines_.sent()},
          {"echoed", echoed_},
          {"bytes_sent", bytes_sent_},
          {"fate", fate_},
          {"unacked", info.tcpi_unacked},
          {"retransmits", info.tcpi_retransmits},
          {"total_retrans", info.tcpi_total_retrans},
          {"state", info.tcpi_state},
          {"pending_error",
           soft ? nlohmann::json(sys::errno_name(soft)) : nlohmann::json(nullptr)}});
  }

  const std::string agent_ = "tcp-client";
  const TcpClientOptions& o_;
  sys::Fd sock_;
  struct WatcherFree {
    void operator()(ss_path_watcher* w) const { ss_path_watcher_free(w); }
  };
  std::unique_ptr<ss_path_watcher, WatcherFree> watcher_;  // --watch-path
  int64_t end_ = 0, next_send_ = 0, last_bulk_echo_ = 0;
  EchoLines lines_;
  uint64_t echoed_ = 0, bytes_sent_ = 0, bytes_echoed_ = 0;
  std::string fate_ = "running";
  bool announced_ = false;
  bool late_sent_ = false, late_echoed_ = false;
  std::string late_pending_;   // what the socket has not taken yet
  uint64_t late_echo_at_ = 0;  // burst mode: the echoed byte count that includes the late line
  int64_t late_sent_ns_ = 0;
};

}  // namespace

int run_tcp_client(const TcpClientOptions& o) {
  return TcpClient(o).run();
}

int run_tcp_server(const Endpoint& listen_on) {
  const std::string agent = "tcp-server";
  install_stop_handlers();
  sys::Fd lsock(::socket(listen_on.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(lsock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!lsock ||
      ::bind(lsock.get(), reinterpret_cast<const sockaddr*>(&listen_on.addr), listen_on.len) < 0 ||
      ::listen(lsock.get(), 128) < 0) {
    emit(agent, "setup_failed", {{"error", sys::errno_name(errno)}});
    return kSetupFailed;
  }
  emit(agent, "ready", {{"listen", sockaddr_text(&listen_on.addr)}});
  std::map<int, std::pair<sys::Fd, std::string>> conns;  // fd -> (socket, peer)
  while (!stop_requested()) {
    std::vector<pollfd> fds{{lsock.get(), POLLIN, 0}};
    for (auto& [fd, c] : conns) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 200) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      int fd = ::accept4(lsock.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (fd >= 0) {
        std::string p = sockaddr_text(&peer);
        emit(agent, "accept", {{"peer", p}});
        conns.emplace(fd, std::make_pair(sys::Fd(fd), p));
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      char buf[4096];
      ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
      if (n > 0 && ::send(fds[i].fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL) == n) continue;
      auto& peer = conns[fds[i].fd].second;
      emit(agent, "close",
           {{"peer", peer},
            {"error", n < 0 ? nlohmann::json(sys::errno_name(errno)) : nlohmann::json(nullptr)}});
      conns.erase(fds[i].fd);
    }
  }
  emit(agent, "summary", {{"open", conns.size()}});
  return 0;
}

}  // namespace ss::probes
