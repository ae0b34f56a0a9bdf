#include "storm/real.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <queue>
#include <vector>

#include "model/errors.hpp"
#include "storm/event_queue.hpp"  // Event
#include "storm/kernel_view.hpp"
#include "sys/event_loop.hpp"
#include "sys/fd.hpp"
#include "sys/syserror.hpp"

namespace ss::storm {
namespace {

enum Kind : uint32_t { kAttempt, kTimeout };
enum State : uint8_t { kConnected, kWaiting, kInFlight };
constexpr int64_t kConnectPacingNs = 20'000;  // 50,000 first connections per second
constexpr size_t kTimersPerPass = 8192;
constexpr int64_t kMaxWaitNs = 50'000'000;

// Real timers: a plain binary heap. (The simulator's radix heap cannot be peeked without
// moving its base past the present, and a real loop must peek to know how long to sleep.)
struct Later {
  bool operator()(const Event& a, const Event& b) const { return a.time > b.time; }
};
using TimerQueue = std::priority_queue<Event, std::vector<Event>, Later>;

// K clients, each with at most one socket, driven by one epoll loop and a timer queue.
class ClientPool {
 public:
  ClientPool(const RealParams& p, sockaddr_in target, bool await_welcome);
  ~ClientPool();
  void establish();
  RunResult storm(const RealProgress& progress);

 private:
  int64_t now() const { return sys::mono_ns() - origin_; }
  void drive(const Policy& policy, int64_t deadline, uint64_t max_attempts,
             const RealProgress& progress);
  void attempt(uint32_t i);
  void on_ready(uint64_t tag, uint32_t events);
  void on_timeout(uint32_t i, uint32_t epoch);
  void connected(uint32_t i);
  enum class Why { rejected, failed, timeout };
  void retry(uint32_t i, Why why);
  void close_socket(uint32_t i);

  const RealParams& p_;
  sockaddr_in target_;
  bool await_welcome_;
  sys::Fd epoll_;
  int64_t origin_, now_ = 0, t0_ = 0;
  Rng rng_;
  TimerQueue timers_;
  Recorder* rec_ = nullptr;
  const Policy* policy_ = nullptr;
  std::vector<int> fd_;
  std::vector<uint8_t> state_;
  std::vector<uint32_t> attempt_, epoch_;
  std::vector<int64_t> sleep_;
  uint64_t back_ = 0, attempts_ = 0;
  int last_errno_ = 0;
};

ClientPool::ClientPool(const RealParams& p, sockaddr_in target, bool await_welcome)
    : p_(p),
      target_(target),
      await_welcome_(await_welcome),
      epoll_(static_cast<int>(sys::check(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1"))),
      origin_(sys::mono_ns()),
      rng_(p.seed),
      fd_(p.clients, -1),
      state_(p.clients, kWaiting),
      attempt_(p.clients, 0),
      epoch_(p.clients, 0),
      sleep_(p.clients, p.policy.base_ns) {}

ClientPool::~ClientPool() {
  for (uint32_t i = 0; i < p_.clients; ++i) close_socket(i);
}

void ClientPool::close_socket(uint32_t i) {
  if (fd_[i] < 0) return;
  ::close(fd_[i]);  // SO_LINGER 0: a reset, no TIME_WAIT
  fd_[i] = -1;
}

void ClientPool::attempt(uint32_t i) {
  uint32_t epoch = ++epoch_[i];
  state_[i] = kInFlight;
  ++attempts_;
  rec_->attempt(now_ - t0_);
  if (policy_->attempt_timeout_ns > 0) {
    timers_.push(Event{static_cast<uint64_t>(now_ + policy_->attempt_timeout_ns), i,
                       kTimeout | (epoch << 1)});
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE)
      throw EnvironmentError("out of file descriptors (RLIMIT_NOFILE)");
    last_errno_ = errno;
    return retry(i, Why::failed);
  }
  fd_[i] = fd;
  int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + i % p_.sources);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) < 0 ||
      (::connect(fd, reinterpret_cast<const sockaddr*>(&target_), sizeof target_) < 0 &&
       errno != EINPROGRESS)) {
    last_errno_ = errno;
    return retry(i, errno == ECONNREFUSED ? Why::rejected : Why::failed);
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (await_welcome_ ? 0u : uint32_t{EPOLLOUT});
  ev.data.u64 = (uint64_t{epoch} << 32) | i;
  sys::check(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev), "epoll_ctl", "client socket");
}

void ClientPool::retry(uint32_t i, Why why) {
  close_socket(i);
  int64_t t = now_ - t0_;
  if (why == Why::rejected) rec_->reject(t);
  if (why == Why::failed) rec_->fail(t);
  if (why == Why::timeout) rec_->timeout(t);
  state_[i] = kWaiting;
  int64_t delay = backoff_delay(*policy_, attempt_[i], sleep_[i], rng_);
  ++attempt_[i];
  timers_.push(Event{static_cast<uint64_t>(now_ + delay), i, kAttempt});
}

void ClientPool::connected(uint32_t i) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd_[i], nullptr);
  state_[i] = kConnected;
  ++back_;
  rec_->connect(now_ - t0_, true);
}

void ClientPool::on_ready(uint64_t tag, uint32_t events) {
  auto i = static_cast<uint32_t>(tag);
  if (state_[i] != kInFlight || epoch_[i] != tag >> 32) return;  // closed earlier in this pass
  if (await_welcome_) {
    char c = 0;
    ssize_t n = ::recv(fd_[i], &c, 1, MSG_DONTWAIT);
    if (n == 1) return connected(i);
    if (n < 0 && errno == EAGAIN && !(events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))) return;
    last_errno_ = n == 0 ? ECONNRESET : errno;
    return retry(i, Why::rejected);
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd_[i], SOL_SOCKET, SO_ERROR, &err, &len);
  if (err == 0 && (events & EPOLLOUT) && !(events & (EPOLLERR | EPOLLHUP))) return connected(i);
  last_errno_ = err ? err : ECONNRESET;
  retry(i, Why::rejected);
}

void ClientPool::on_timeout(uint32_t i, uint32_t epoch) {
  if (state_[i] != kInFlight || epoch_[i] != epoch) return;
  retry(i, Why::timeout);
}

void ClientPool::drive(const Policy& policy, int64_t deadline, uint64_t max_attempts,
                       const RealProgress& progress) {
  policy_ = &policy;
  std::vector<epoll_event> events(4096);
  int64_t next_progress = now_ + 1'000'000'000;
  while (back_ < p_.clients && now_ < deadline && attempts_ < max_attempts) {
    int64_t wait = kMaxWaitNs;
    if (!timers_.empty())
      wait = std::clamp(static_cast<int64_t>(timers_.top().time) - now_, int64_t{0}, kMaxWaitNs);
    timespec ts{0, wait};
    int n =
        ::epoll_pwait2(epoll_.get(), events.data(), static_cast<int>(events.size()), &ts, nullptr);
    if (n < 0 && errno != EINTR) sys::check(n, "epoll_pwait2", "clients");
    now_ = now();  // frozen for this pass
    for (int k = 0; k < n; ++k) on_ready(events[k].data.u64, events[k].events);
    for (size_t k = 0; k < kTimersPerPass && !timers_.empty() &&
                       timers_.top().time <= static_cast<uint64_t>(now_);
         ++k) {
      Event e = timers_.top();
      timers_.pop();
      if ((e.tag & 1) == kAttempt) {
        if (state_[e.who] == kWaiting) attempt(e.who);
      } else {
        on_timeout(e.who, e.tag >> 1);
      }
    }
    if (progress && now_ >= next_progress) {
      progress(now_ - t0_, back_, attempts_);
      next_progress = now_ + 1'000'000'000;
    }
  }
}

void ClientPool::establish() {
  Recorder scratch(p_.clients, p_.bucket_ns, p_.connect_time_ns + p_.bucket_ns);
  rec_ = &scratch;
  now_ = now();
  for (uint32_t i = 0; i < p_.clients; ++i) {
    timers_.push(Event{static_cast<uint64_t>(now_ + i * kConnectPacingNs), i, kAttempt});
  }
  Policy steady{PolicyKind::fixed, 20'000'000, 20'000'000, 0};
  drive(steady, now_ + p_.connect_time_ns, UINT64_MAX, {});
  rec_ = nullptr;
  if (back_ < p_.clients) {
    throw EnvironmentError(
        fmt::format("could only connect {} of {} clients to {}:{} in {}s (last error {})", back_,
                    p_.clients, inet_ntoa(target_.sin_addr), ntohs(target_.sin_port),
                    p_.connect_time_ns / 1'000'000'000, sys::errno_name(last_errno_)));
  }
}

RunResult ClientPool::storm(const RealProgress& progress) {
  Recorder rec(p_.clients, p_.bucket_ns, p_.max_time_ns);
  rec_ = &rec;
  timers_ = TimerQueue{};
  back_ = 0;
  attempts_ = 0;
  policy_ = &p_.policy;
  for (uint32_t i = 0; i < p_.clients; ++i) {  // every connection reset at once
    close_socket(i);
    rec.disconnect(0);
    state_[i] = kWaiting;
    attempt_[i] = 0;
    sleep_[i] = p_.policy.base_ns;
  }
  // The disconnect is the moment the last connection was reset (resetting them all takes
  // a few ms; a VPN drop breaks them at once).
  now_ = now();
  t0_ = now_;
  for (uint32_t i = 0; i < p_.clients; ++i) {
    int64_t delay = backoff_delay(p_.policy, attempt_[i]++, sleep_[i], rng_);
    timers_.push(Event{static_cast<uint64_t>(t0_ + delay), i, kAttempt});
  }
  uint64_t cap = p_.max_attempts ? p_.max_attempts : 1000ull * p_.clients;
  drive(p_.policy, t0_ + p_.max_time_ns, cap, progress);
  rec_ = nullptr;
  return rec.finish(std::string(policy_name(p_.policy.kind)), p_.seed, now_ - t0_, 0);
}

}  // namespace

sockaddr_in parse_loopback_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    throw UsageError(fmt::format("--server {}: expected ADDRESS:PORT, e.g. 127.0.0.1:8080", text));
  }
  std::string host(text.substr(0, colon));
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    throw UsageError(fmt::format("--server {}: the port must be 1 to 65535", text));
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (host == "localhost") host = "127.0.0.1";
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    throw UsageError(fmt::format("--server {}: '{}' is not an IPv4 address", text, host));
  }
  if ((ntohl(a.sin_addr.s_addr) >> 24) != 127) {
    throw UsageError(fmt::format("--server {}: storms only go to loopback (127.0.0.0/8); {} is not",
                                 text, host));
  }
  return a;
}

void validate(const RealParams& p) {
  if (p.clients == 0 || p.clients > 100'000) {
    throw UsageError(fmt::format("--clients {}: expected 1 to 100000 real clients", p.clients));
  }
  if (p.sources == 0 || p.sources > 254) {
    throw UsageError(fmt::format("--sources {}: expected 1 to 254 loopback addresses", p.sources));
  }
  if (p.max_time_ns <= 0 || p.max_time_ns > 3600'000'000'000)
    throw UsageError("--max-time: expected up to 1h");
  const auto& d = p.disconnect;
  if (!p.websocket && (d.spread != Spread::all_at_once || d.flaps != 1 || d.outage_ns != 0))
    throw UsageError("--disconnect/--flaps/--outage: the real generator takes them with --ws");
  if (p.echo && !p.websocket) throw UsageError("--ws-echo: needs --ws");
  if (p.listen_backlog < 1 || p.listen_backlog > 65535)
    throw UsageError(fmt::format("--listen-backlog {}: expected 1 to 65535", p.listen_backlog));
  validate(sim_params_for(p, 0));
}

SimParams sim_params_for(const RealParams& p, int64_t rtt_ns) {
  SimParams s;
  s.clients = p.clients;
  s.policy = p.policy;
  s.server = p.server;
  s.seed = p.seed;
  s.bucket_ns = p.bucket_ns;
  s.max_time_ns = p.max_time_ns;
  s.rtt_ns = rtt_ns;
  s.disconnect = p.disconnect;
  return s;
}

void ensure_fd_limit(uint32_t clients) {
  rlimit lim{};
  sys::check(::getrlimit(RLIMIT_NOFILE, &lim), "getrlimit", "RLIMIT_NOFILE");
  rlim_t need = rlim_t{clients} + 1024;
  if (lim.rlim_cur >= need) return;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < need) {
    throw EnvironmentError(
        fmt::format("{} clients need {} open files, but the hard limit (ulimit -Hn) is {}", clients,
                    need, lim.rlim_max));
  }
  lim.rlim_cur = need;
  sys::check(::setrlimit(RLIMIT_NOFILE, &lim), "setrlimit", "RLIMIT_NOFILE");
}

RealResult run_real(const RealParams& p, const RealProgress& progress) {
  if (p.websocket) return run_real_ws(p, progress);
  validate(p);
  ensure_fd_limit(p.clients);
  RealResult out;
  std::optional<ReferenceServer> server;
  sockaddr_in target{};
  if (p.target) {
    target = *p.target;
  } else {
    server.emplace(p.server, p.connect_time_ns + p.max_time_ns + 30'000'000'000, false,
                   p.listen_backlog);
    target.sin_family = AF_INET;
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    target.sin_port = htons(server->port());
  }
  out.server_port = ntohs(target.sin_port);
  ClientPool pool(p, target, server.has_value());
  pool.establish();
  if (server) server->arm();
  out.kernel_before = read_kernel_counters();
  out.run = pool.storm(progress);
  out.kernel_after = read_kernel_counters();
  out.sockets_at_end = read_port_sockets(out.server_port);
  if (server) {
    out.server = server->stop();
    double span_ns = out.run.summary.time_to_all_ms.value_or(out.run.summary.duration_ms) * 1e6;
    if (span_ns > 0)
      out.run.summary.mean_utilisation = static_cast<double>(out.server->busy_ns) / span_ns;
  }
  return out;
}

}  // namespace ss::storm
