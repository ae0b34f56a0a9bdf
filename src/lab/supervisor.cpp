#include "lab/supervisor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "sys/event_loop.hpp"
#include "sys/fd.hpp"
#include "sys/netns.hpp"

namespace ss::lab {
namespace {

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

// A raw ICMP socket in the namespace, bound to the interface by name (a re-created tunnel
// has a new index: resume() opens a new socket). Invalid if the interface is not there.
sys::Fd open_pinger(int netns_fd, const std::string& ifname) {
  sys::NetnsGuard in(netns_fd);
  sys::Fd fd(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP));
  if (!fd) return fd;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                   static_cast<socklen_t>(ifname.size())) != 0)
    return sys::Fd();
  return fd;
}

void send_echo(int fd, const in_addr& to, uint16_t id, uint16_t seq) {
  std::array<uint8_t, 16> pkt{};
  icmphdr h{};
  h.type = ICMP_ECHO;
  h.un.echo.id = htons(id);
  h.un.echo.sequence = htons(seq);
  std::memcpy(pkt.data(), &h, sizeof h);
  const uint16_t sum = checksum(pkt.data(), pkt.size());
  std::memcpy(pkt.data() + offsetof(icmphdr, checksum), &sum, sizeof sum);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr = to;
  // A send that fails (the device went away, no route) is a ping that got no reply.
  [[maybe_unused]] ssize_t n = ::sendto(fd, pkt.data(), pkt.size(), MSG_DONTWAIT,
                                        reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
}

// Whether any datagram waiting on the raw socket is an echo reply from `peer` with `id`.
bool read_replies(int fd, const in_addr& peer, uint16_t id) {
  bool got = false;
  std::array<uint8_t, 1500> buf{};
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) return got;
    if (static_cast<size_t>(n) < sizeof(iphdr)) continue;
    iphdr ip{};
    std::memcpy(&ip, buf.data(), sizeof ip);
    const size_t hl = static_cast<size_t>(ip.ihl) * 4;
    if (static_cast<size_t>(n) < hl + sizeof(icmphdr) || ip.saddr != peer.s_addr) continue;
    icmphdr h{};
    std::memcpy(&h, buf.data() + hl, sizeof h);
    if (h.type == ICMP_ECHOREPLY && ntohs(h.un.echo.id) == id) got = true;
  }
}

}  // namespace

Micros Supervisor::period(Micros dead_after) {
  return std::clamp(dead_after / 5, Micros(20'000), Micros(1'000'000));
}

Supervisor::Supervisor(Config c, std::function<void(int64_t)> on_dead)
    : c_(std::move(c)), on_dead_(std::move(on_dead)) {
  restart_at_ns_ = sys::mono_ns();
  thread_ = std::thread([this] { main(); });
}

Supervisor::~Supervisor() {
  quit_ = true;
  thread_.join();
}

void Supervisor::pause() {
  active_ = false;
}

void Supervisor::resume() {
  restart_at_ns_ = sys::mono_ns();
  active_ = true;
}

void Supervisor::stop() {
  stopped_ = true;
}

void Supervisor::main() {
  in_addr peer{};
  ::inet_pton(AF_INET, c_.peer.c_str(), &peer);
  const uint16_t id = static_cast<uint16_t>(::getpid() ^ reinterpret_cast<uintptr_t>(this));
  const int64_t period_ns = period(c_.dead_after).count() * 1000;
  const int64_t dead_ns = c_.dead_after.count() * 1000;
  sys::Fd sock;
  int64_t opened_for = -1;  // the restart_at_ns_ the socket was opened for
  int64_t last_reply = 0, next_send = 0;
  uint16_t seq = 0;
  int declared = 0;
  while (!quit_) {
    const int64_t now = sys::mono_ns();
    if (!active_ || stopped_ || declared >= c_.max_declared) {
      sock.reset();
      ::usleep(10'000);  // idle until resumed or destroyed: nothing to wait on but flags
      continue;
    }
    const int64_t restart = restart_at_ns_;
    if (opened_for != restart) {  // resumed: a fresh socket, the silence counts from now
      sock = open_pinger(c_.netns_fd, c_.ifname);
      opened_for = restart;
      last_reply = std::max(last_reply, restart);
      next_send = now;
    }
    if (now >= next_send) {
      if (!sock) sock = open_pinger(c_.netns_fd, c_.ifname);
      if (sock) send_echo(sock.get(), peer, id, ++seq);
      next_send = now + period_ns;
    }
    const int wait_ms = static_cast<int>(std::max<int64_t>(1, (next_send - now) / 1'000'000));
    if (sock) {
      pollfd p{sock.get(), POLLIN, 0};
      if (::poll(&p, 1, std::min(wait_ms, 10)) > 0 && read_replies(sock.get(), peer, id))
        last_reply = sys::mono_ns();
    } else {
      ::usleep(static_cast<useconds_t>(std::min(wait_ms, 10)) * 1000);
    }
    const int64_t silence = sys::mono_ns() - last_reply;
    if (silence > dead_ns && active_ && !stopped_) {
      ++declared;
      sock.reset();
      on_dead_(silence);
      last_reply = sys::mono_ns();
      opened_for = -1;  // a new socket for the new tunnel
      restart_at_ns_ = last_reply;
    }
  }
}

}  // namespace ss::lab
