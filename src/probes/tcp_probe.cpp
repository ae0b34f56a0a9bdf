#include "probes/tcp_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "model/errors.hpp"
#include "probes/emit.hpp"
#include "sys/event_loop.hpp"
#include "sys/fd.hpp"
#include "sys/syserror.hpp"

namespace ss::probes {
namespace {

constexpr int kSetupFailed = 4;

int64_t us_between(int64_t a_ns, int64_t b_ns) { return (b_ns - a_ns) / 1000; }

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
  if (colon == std::string::npos) throw UsageError(fmt::format("{}: '{}' is not IP:PORT", what, text));
  std::string host = text.substr(0, colon), port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
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

int run_tcp_client(const TcpClientOptions& o) {
  const std::string agent = "tcp-client";
  install_stop_handlers();
  const int64_t start = sys::mono_ns();
  int rc = connect_bounded(o.server, o.connect_timeout);
  if (rc < 0) {
    emit(agent, "setup_failed", {{"error", sys::errno_name(-rc)}});
    return kSetupFailed;
  }
  sys::Fd sock(rc);
  int one = 1;
  ::setsockopt(sock.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  emit(agent, "ready", {{"local", local_of(sock.get())}, {"remote", sockaddr_text(&o.server.addr)}});

  const int64_t end = start + o.duration.count() * 1000;
  const int64_t interval = o.interval.count() * 1000;
  int64_t next_send = sys::mono_ns();
  std::map<uint64_t, int64_t> sent_at;
  uint64_t seq = 0, echoed = 0;
  std::string inbox;
  std::string fate = "running";
  while (!stop_requested() && fate == "running") {
    int64_t now = sys::mono_ns();
    if (now >= end) break;
    if (now >= next_send) {
      std::string line = fmt::format("{}\n", ++seq);
      ssize_t n = ::send(sock.get(), line.data(), line.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) {
        emit(agent, "error", {{"error", sys::errno_name(errno)}, {"op", "send"}, {"seq", seq}});
        fate = "error";
        break;
      }
      sent_at[seq] = now;
      next_send += interval;
    }
    pollfd p{sock.get(), POLLIN, 0};
    int wait_ms = static_cast<int>(std::max<int64_t>(0, std::min(next_send, end) - sys::mono_ns()) / 1'000'000);
    if (::poll(&p, 1, wait_ms) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      emit(agent, "error", {{"error", sys::errno_name(errno)}, {"op", "recv"}});
      fate = "error";
    } else if (n == 0) {
      emit(agent, "closed", {{"by", "peer"}});
      fate = "closed";
    } else {
      inbox.append(buf, static_cast<size_t>(n));
      for (auto nl = inbox.find('\n'); nl != std::string::npos; nl = inbox.find('\n')) {
        uint64_t s = std::strtoull(inbox.substr(0, nl).c_str(), nullptr, 10);
        inbox.erase(0, nl + 1);
        auto it = sent_at.find(s);
        int64_t rtt = it == sent_at.end() ? -1 : us_between(it->second, sys::mono_ns());
        if (it != sent_at.end()) sent_at.erase(sent_at.begin(), std::next(it));
        ++echoed;
        emit(agent, "echo", {{"seq", s}, {"rtt_us", rtt}});
      }
    }
  }
  tcp_info info{};
  socklen_t len = sizeof info;
  ::getsockopt(sock.get(), IPPROTO_TCP, TCP_INFO, &info, &len);
  emit(agent, "summary", {{"sent", seq},
                          {"echoed", echoed},
                          {"fate", fate},
                          {"unacked", info.tcpi_unacked},
                          {"retransmits", info.tcpi_retransmits},
                          {"total_retrans", info.tcpi_total_retrans},
                          {"state", info.tcpi_state}});
  return 0;
}

int run_tcp_server(const Endpoint& listen_on) {
  const std::string agent = "tcp-server";
  install_stop_handlers();
  sys::Fd lsock(::socket(listen_on.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(lsock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!lsock || ::bind(lsock.get(), reinterpret_cast<const sockaddr*>(&listen_on.addr), listen_on.len) < 0 ||
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
      emit(agent, "close", {{"peer", peer}, {"error", n < 0 ? nlohmann::json(sys::errno_name(errno)) : nlohmann::json(nullptr)}});
      conns.erase(fds[i].fd);
    }
  }
  emit(agent, "summary", {{"open", conns.size()}});
  return 0;
}

}  // namespace ss::probes
