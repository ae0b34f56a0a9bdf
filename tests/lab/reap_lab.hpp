#pragma once
// A client/server namespace pair for the reap and library lab tests, built with `ip`
// (never touching the root namespace) and torn down on every path by the destructor:
//   client ns: c0 192.0.2.2/24 (veth to the server), d0 198.51.100.2/32 (the "tunnel"
//   address, on a veth whose both ends stay in the client: this kernel has no dummy driver)
//   server ns: s0 192.0.2.1/24, route 198.51.100.0/24 via 192.0.2.2
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>

#include "lab_util.hpp"
#include "sys/fd.hpp"
#include "sys/netns.hpp"
#include "sys/process.hpp"

namespace reaplab {

inline constexpr const char* kTunnelAddr = "198.51.100.2";
inline constexpr const char* kClientAddr = "192.0.2.2";
inline constexpr const char* kServerAddr = "192.0.2.1";

inline int64_t mono_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

class NsPair {
 public:
  NsPair() {
    static int n = 0;
    // Not the lab's ss-xxxxxx prefix: `splitsecond cleanup` run by someone else must not
    // take these for a dead run's.
    const std::string base = "ssrp" + std::to_string(::getpid()) + "n" + std::to_string(++n);
    client = base + "c";
    server = base + "s";
    created_ = true;
    const std::string c = "ip -n " + client + " ", s = "ip -n " + server + " ";
    auto r =
        labtest::sh("set -e; ip netns add " + client + "; ip netns add " + server + "; " + c +
                    "link add c0 type veth peer name s0 netns " + server + "; " + c +
                    "link add d0 type veth peer name d0p; " + c + "addr add 192.0.2.2/24 dev c0; " +
                    c + "addr add 198.51.100.2/32 dev d0; " + s + "addr add 192.0.2.1/24 dev s0; " +
                    c + "link set lo up; " + s + "link set lo up; " + c + "link set c0 up; " + c +
                    "link set d0 up; " + s + "link set s0 up; " + s +
                    "route add 198.51.100.0/24 via 192.0.2.2");
    ok = r.status == 0;
    error = r.err;
    if (ok) {
      client_fd = ss::sys::netns_open(client);
      server_fd = ss::sys::netns_open(server);
    }
  }
  ~NsPair() {
    if (created_)
      labtest::sh("ip netns del " + client + " 2>/dev/null; ip netns del " + server +
                  " 2>/dev/null; true");
  }
  NsPair(const NsPair&) = delete;
  NsPair& operator=(const NsPair&) = delete;

  std::string client, server;
  ss::sys::Fd client_fd, server_fd;
  bool ok = false;
  std::string error;

 private:
  bool created_ = false;
};

inline sockaddr_in v4(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// A listening socket in the namespace (port 0: any); its port in *port.
inline ss::sys::Fd listen_in(int netns_fd, const std::string& ip, uint16_t* port) {
  ss::sys::NetnsGuard in(netns_fd);
  ss::sys::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = v4(ip, 0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd.get(), 8) < 0)
    return {};
  socklen_t len = sizeof a;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// A connection from `src` in the namespace (blocking connect; the lab is local).
inline ss::sys::Fd connect_in(int netns_fd, const std::string& src, const std::string& dst,
                              uint16_t port) {
  ss::sys::NetnsGuard in(netns_fd);
  ss::sys::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in from = v4(src, 0), to = v4(dst, port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) < 0 ||
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return {};
  return fd;
}

// accept() bounded by timeout_ms; the peer's address in *peer.
inline ss::sys::Fd accept_within(int listener, int timeout_ms, std::string* peer = nullptr) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return {};
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ss::sys::Fd fd(::accept4(listener, reinterpret_cast<sockaddr*>(&a), &len, SOCK_CLOEXEC));
  if (peer) {
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
    *peer = buf;
  }
  return fd;
}

// Lines of a child's stdout, read with bounded waits.
class Output {
 public:
  explicit Output(int fd) : fd_(fd) {}
  // Waits (at most timeout_ms) until the text read so far contains `needle`.
  bool wait_for(const std::string& needle, int timeout_ms) {
    const int64_t until = mono_ns() + int64_t{timeout_ms} * 1'000'000;
    while (text.find(needle) == std::string::npos) {
      const int64_t left_ms = (until - mono_ns()) / 1'000'000;
      if (left_ms <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left_ms)) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return text.find(needle) != std::string::npos;
      text.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  std::string text;

 private:
  int fd_;
};

// The state of the client namespace's TCP socket from `local` ("" if none), by `ss`.
inline std::string tcp_state_of(const std::string& ns, const std::string& local) {
  return labtest::sh("ip netns exec " + ns + " ss -Htan src " + local + " | awk '{print $1}'").out;
}

}  // namespace reaplab
