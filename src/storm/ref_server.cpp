#include "storm/ref_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <stdexcept>
#include <vector>

#include "storm/token_bucket.hpp"
#include "storm/ws_ref_server.hpp"
#include "sys/event_loop.hpp"
#include "sys/syserror.hpp"

namespace ss::storm {
namespace {

constexpr uint64_t kListenTag = UINT64_MAX, kControlTag = UINT64_MAX - 1;
constexpr int kAcceptsPerPass = 4096;

void write_all(int fd, const void* data, size_t n) {
  sys::check(::write(fd, data, n) == static_cast<ssize_t>(n) ? 0 : -1, "write", "server pipe");
}

// Reads exactly n bytes from a pipe, waiting at most timeout_ms for them.
void read_exact(int fd, void* data, size_t n, int timeout_ms) {
  auto* p = static_cast<char*>(data);
  int64_t deadline = sys::mono_ns() + int64_t{timeout_ms} * 1'000'000;
  while (n > 0) {
    pollfd pfd{fd, POLLIN, 0};
    int wait = static_cast<int>(std::max<int64_t>(0, (deadline - sys::mono_ns()) / 1'000'000));
    if (::poll(&pfd, 1, wait) <= 0) throw std::runtime_error("reference server: no answer in time");
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) throw std::runtime_error("reference server: exited early");
    p += r;
    n -= static_cast<size_t>(r);
  }
}

void close_with_reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

enum class Conn : uint8_t { none, queued, dropped, established };

// The server's loop. Connection slots are indexed by fd; a generation number per slot tells
// a queued connection from a later one that reused its fd.
class Server {
 public:
  Server(const ServerParams& p, int control, int reply, int listen_backlog)
      : p_(p),
        listen_backlog_(listen_backlog),
        bucket_(p.rate_limit_per_s, p.burst > 0 ? p.burst : p.rate_limit_per_s),
        control_(control),
        reply_(reply),
        service_ns_(service_ns(p)) {}
  void run(int64_t lifetime_ns);

 private:
  static int64_t service_ns(const ServerParams& p) {
    return (p.capacity_per_s > 0 ? static_cast<int64_t>(1e9 / p.capacity_per_s) : 0) +
           p.handshake_cost_ns;
  }
  void listen_on_loopback();
  void watch(int fd, uint64_t tag, uint32_t events);
  void accept_some(int64_t now);
  void admit(int fd, int64_t now);
  void welcome(int fd);
  void close_conn(int fd);
  void serve(int64_t now);
  bool control(int64_t now);  // false: end

  ServerParams p_;
  int listen_backlog_;
  TokenBucket bucket_;
  int control_, reply_;
  int64_t service_ns_;
  sys::Fd epoll_, listen_;
  std::vector<Conn> conn_;
  std::vector<uint32_t> gen_;
  std::deque<uint64_t> backlog_;  // (generation << 32) | fd
  bool armed_ = false, busy_ = false;
  int64_t done_at_ = 0, busy_since_ = 0;
  ServerStats stats_;
};

void Server::watch(int fd, uint64_t tag, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  sys::check(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev), "epoll_ctl", "server");
}

void Server::listen_on_loopback() {
  listen_.reset(static_cast<int>(
      sys::check(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket")));
  int one = 1;
  ::setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sys::check(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), "bind",
             "127.0.0.1:0");
  sys::check(::listen(listen_.get(), listen_backlog_), "listen", "127.0.0.1");
  socklen_t len = sizeof a;
  sys::check(::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&a), &len), "getsockname");
  uint16_t port = ntohs(a.sin_port);
  write_all(reply_, &port, sizeof port);
}

void Server::close_conn(int fd) {
  if (conn_[fd] == Conn::none) return;
  conn_[fd] = Conn::none;
  ++gen_[fd];
  ::close(fd);  // also leaves the epoll set
}

void Server::welcome(int fd) {
  if (::send(fd, "W", 1, MSG_NOSIGNAL) != 1) {
    close_conn(fd);
    return;
  }
  conn_[fd] = Conn::established;
  ++stats_.served;
}

void Server::admit(int fd, int64_t now) {
  if (static_cast<size_t>(fd) >= conn_.size()) {
    conn_.resize(static_cast<size_t>(fd) + 1024, Conn::none);
    gen_.resize(conn_.size(), 0);
  }
  ++stats_.accepted;
  conn_[fd] = Conn::queued;  // a placeholder until decided below
  watch(fd, static_cast<uint64_t>(fd), EPOLLIN | EPOLLRDHUP);
  if (!armed_) return welcome(fd);
  if (!bucket_.try_take(now)) {
    if (p_.action == LimitAction::drop) {
      conn_[fd] = Conn::dropped;
      ++stats_.dropped;
      return;
    }
    ++stats_.rejected;
    conn_[fd] = Conn::none;
    ++gen_[fd];
    return close_with_reset(fd);
  }
  if (service_ns_ == 0) return welcome(fd);
  if (backlog_.size() >= p_.backlog) {
    ++stats_.overflowed;
    conn_[fd] = Conn::none;
    ++gen_[fd];
    return close_with_reset(fd);
  }
  backlog_.push_back((uint64_t{gen_[fd]} << 32) | static_cast<uint32_t>(fd));
  if (!busy_) {
    busy_ = true;
    busy_since_ = now;
    done_at_ = now + service_ns_;
  }
}

void Server::accept_some(int64_t now) {
  for (int i = 0; i < kAcceptsPerPass; ++i) {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or EMFILE until connections close
    admit(fd, now);
  }
}

// Serves every connection whose service time has ended by `now`, as the simulator does:
// back to back while the backlog is not empty, skipping connections their client left.
void Server::serve(int64_t now) {
  while (busy_ && done_at_ <= now) {
    while (!backlog_.empty()) {
      uint64_t head = backlog_.front();
      int fd = static_cast<int>(head & 0xFFFFFFFF);
      if (gen_[fd] == head >> 32 && conn_[fd] == Conn::queued) break;
      backlog_.pop_front();
      ++stats_.abandoned;
    }
    if (backlog_.empty()) {
      busy_ = false;
      break;
    }
    int fd = static_cast<int>(backlog_.front() & 0xFFFFFFFF);
    backlog_.pop_front();
    welcome(fd);
    stats_.busy_ns += done_at_ - busy_since_;
    busy_since_ = done_at_;
    if (backlog_.empty()) {
      busy_ = false;
    } else {
      done_at_ += service_ns_;
    }
  }
}

bool Server::control(int64_t now) {
  char c = 0;
  if (::read(control_, &c, 1) != 1) return false;
  if (c == 'E') {
    write_all(reply_, &stats_, sizeof stats_);
    return false;
  }
  if (c == 'S') {
    armed_ = true;
    bucket_.reset(now);
    stats_ = ServerStats{};
    write_all(reply_, "A", 1);
  }
  return true;
}

void Server::run(int64_t lifetime_ns) {
  epoll_.reset(static_cast<int>(sys::check(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")));
  listen_on_loopback();
  watch(listen_.get(), kListenTag, EPOLLIN);
  watch(control_, kControlTag, EPOLLIN);
  std::vector<epoll_event> events(4096);
  const int64_t end = sys::mono_ns() + lifetime_ns;
  for (int64_t now = sys::mono_ns(); now < end; now = sys::mono_ns()) {
    serve(now);
    int64_t wait_ns = busy_ ? std::max<int64_t>(0, done_at_ - now) : 100'000'000;
    timespec ts{0, std::min<int64_t>(wait_ns, 100'000'000)};
    int n =
        ::epoll_pwait2(epoll_.get(), events.data(), static_cast<int>(events.size()), &ts, nullptr);
    now = sys::mono_ns();
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        accept_some(now);
      } else if (tag == kControlTag) {
        if (!control(now)) return;
      } else {
        char buf[64];
        int fd = static_cast<int>(tag);
        if (::recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0 ||
            (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
          close_conn(fd);  // the client left (or reset)
        }
      }
    }
  }
}

[[noreturn]] void server_main(const ServerParams& p, int control, int reply, int64_t lifetime_ns,
                              bool websocket, int listen_backlog) {
  ::signal(SIGPIPE, SIG_IGN);
  int rc = 0;
  try {
    if (websocket) {
      run_ws_reference_server(p, listen_backlog, control, reply, lifetime_ns);
      ::_exit(0);
    }
    Server s(p, control, reply, listen_backlog);
    s.run(lifetime_ns);
    rc = 0;
  } catch (const std::exception& e) {
    ::dprintf(2, "splitsecond: reference server: %s\n", e.what());
    rc = 1;
  }
  ::_exit(rc);
}

}  // namespace

ReferenceServer::ReferenceServer(const ServerParams& params, int64_t lifetime_ns, bool websocket,
                                 int listen_backlog) {
  int down[2], up[2];
  sys::check(::pipe2(down, O_CLOEXEC), "pipe2", "server control");
  sys::check(::pipe2(up, O_CLOEXEC), "pipe2", "server reply");
  pid_ = static_cast<pid_t>(sys::check(::fork(), "fork", "reference server"));
  if (pid_ == 0) {
    ::close(down[1]);
    ::close(up[0]);
    server_main(params, down[0], up[1], lifetime_ns, websocket, listen_backlog);
  }
  ::close(down[0]);
  ::close(up[1]);
  control_.reset(down[1]);
  reply_.reset(up[0]);
  read_exact(reply_.get(), &port_, sizeof port_, 5000);
}

void ReferenceServer::arm() {
  write_all(control_.get(), "S", 1);
  char ack = 0;
  read_exact(reply_.get(), &ack, 1, 5000);
}

ServerStats ReferenceServer::stop() {
  ServerStats s;
  if (pid_ <= 0) return s;
  write_all(control_.get(), "E", 1);
  read_exact(reply_.get(), &s, sizeof s, 5000);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return s;
}

ReferenceServer::~ReferenceServer() {
  if (pid_ > 0) {
    control_.reset();  // EOF ends the server's loop
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

}  // namespace ss::storm
