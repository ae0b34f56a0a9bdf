#include "lab/wireguard.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <nettle/curve25519.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "lab/vpn.hpp"
#include "model/errors.hpp"
#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

constexpr auto kMaxPause = std::chrono::milliseconds(20);

std::string hex(const uint8_t* b, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", b[i]);
  return s;
}

}  // namespace

WgKeys WgKeys::generate() {
  uint8_t priv[CURVE25519_SIZE], pub[CURVE25519_SIZE];
  if (::getrandom(priv, sizeof priv, 0) != sizeof priv)
    throw sys::SysError("getrandom", "wireguard key", errno);
  priv[0] &= 248;
  priv[31] = static_cast<uint8_t>((priv[31] & 127) | 64);
  curve25519_mul_g(pub, priv);
  return {hex(priv, sizeof priv), hex(pub, sizeof pub)};
}

bool udp_table_has_port(const std::string& table, uint16_t port) {
  // "  sl  local_address rem_address   st ...": local_address is ADDR:PORT in hex.
  std::istringstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local;
    if (!(fields >> slot >> local)) continue;
    auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port) return true;
  }
  return false;
}

WgDevice::WgDevice(Lab& lab, const std::string& ns, const std::string& ifname)
    : lab_(lab), ifname_(ifname), label_("wireguard-go-" + ifname) {
  // The mount point for the private tmpfs; created (and later removed) only if missing.
  lab.ledger().shared_dir("/run/wireguard");
  // Verbose: its log then says what it did with handshakes, for an error to quote.
  child_ = &lab.spawn(ns, label_, {"wireguard-go", "-f", ifname}, false, {"/run/wireguard"},
                      {"LOG_LEVEL=verbose"});
  socket_path_ = fmt::format("/proc/{}/root/run/wireguard/{}.sock", child_->pid(), ifname);
  // wireguard-go creates the TUN device, then the socket file, then listens on it: wait
  // until a connection is accepted, bounded (connect_uapi retries).
  ::close(connect_uapi());
}

void WgDevice::check_running(const char* when) {
  if (child_->running()) return;
  const int status = child_->poll_exit().value_or(-1);
  throw EnvironmentError(fmt::format(
      "wireguard-go for {} exited {} ({}); its log ends with:\n{}\n(log kept in {}); check "
      "that /dev/net/tun works in a network namespace (`ip tuntap add mode tun`) and that "
      "wireguard-go runs by hand",
      ifname_, when,
      WIFEXITED(status)     ? fmt::format("exit status {}", WEXITSTATUS(status))
      : WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                            : "status unknown",
      lab_.log_tail(label_), lab_.keep_log(label_)));
}

int WgDevice::connect_uapi() {
  // The /proc path can exceed sun_path: connect through a directory fd instead.
  const std::string dir = socket_path_.substr(0, socket_path_.rfind('/'));
  const std::string name = socket_path_.substr(socket_path_.rfind('/') + 1);
  constexpr auto kBound = std::chrono::seconds(5);
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  int attempts = 0;
  for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, kMaxPause)) {
    ++attempts;
    sys::Fd dfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    int err = errno;
    if (dfd) {
      sys::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (!fd) throw sys::SysError("socket", "AF_UNIX", errno);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      const std::string via = fmt::format("/proc/self/fd/{}/{}", dfd.get(), name);
      if (via.size() >= sizeof addr.sun_path)
        throw std::logic_error("UAPI socket path too long: " + via);
      std::memcpy(addr.sun_path, via.c_str(), via.size() + 1);
      if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
        return fd.release();
      err = errno;
    }
    // ENOENT: no socket file yet; ECONNREFUSED: the file is there, the listener not yet.
    if (err != ENOENT && err != ECONNREFUSED)
      throw LabError("connecting to wireguard-go's UAPI socket",
                     sys::SysError("connect", socket_path_, err), "");
    check_running("before its UAPI socket accepted a connection");
    if (std::chrono::steady_clock::now() + pause > deadline)
      throw LabError(fmt::format("wireguard-go's UAPI socket accepted no connection within {} s "
                                 "({} attempts)",
                                 kBound.count(), attempts),
                     sys::SysError("connect", socket_path_, err),
                     fmt::format("see its log (kept in {})", lab_.keep_log(label_)));
    std::this_thread::sleep_for(pause);
  }
}

std::string WgDevice::transact(const std::string& request) {
  sys::Fd fd(connect_uapi());
  for (size_t off = 0; off < request.size();) {
    ssize_t n = ::write(fd.get(), request.data() + off, request.size() - off);
    if (n < 0) throw sys::SysError("write", socket_path_, errno);
    off += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[4096];
  while (reply.size() < 2 || reply.compare(reply.size() - 2, 2, "\n\n") != 0) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) throw sys::SysError("read", socket_path_, errno);
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  return reply;
}

void WgDevice::set(const std::string& body) {
  std::string reply = transact("set=1\n" + body + "\n");
  if (reply.find("errno=0\n") != std::string::npos) return;
  auto at = reply.find("errno=");
  const int err = at == std::string::npos ? 0 : std::atoi(reply.c_str() + at + 6);
  throw LabError(fmt::format("wireguard-go refused the configuration of {}", ifname_),
                 sys::SysError("uapi set", ifname_, err),
                 fmt::format("its log is kept in {}", lab_.keep_log(label_)));
}

std::map<std::string, std::string> WgDevice::get() {
  std::map<std::string, std::string> out;
  std::istringstream in(transact("get=1\n\n"));
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

bool WgDevice::udp_listening(uint16_t port) {
  for (const char* table : {"udp", "udp6"}) {
    std::ifstream f(fmt::format("/proc/{}/net/{}", child_->pid(), table));
    std::stringstream ss;
    ss << f.rdbuf();
    if (udp_table_has_port(ss.str(), port)) return true;
  }
  return false;
}

long WgDevice::last_handshake_sec() {
  auto kv = get();
  auto it = kv.find("last_handshake_time_sec");
  return it == kv.end() ? 0 : std::stol(it->second);
}

namespace {
constexpr auto kServerListenBound = std::chrono::seconds(5);
}

std::unique_ptr<WgDevice> start_wg_server(Lab& lab, const Scenario& s,
                                          const std::string& server_private_hex,
                                          const std::string& client_public_hex) {
  const auto& n = lab.names();
  const VpnSpec& v = s.vpn;
  auto server = std::make_unique<WgDevice>(lab, n.vpn, v.server_if);
  server->set(fmt::format("private_key={}\nlisten_port={}\npublic_key={}\nallowed_ip={}/32\n",
                          server_private_hex, v.port, client_public_hex,
                          ip_of(v.client_tunnel_ip)));
  auto& vnl = lab.netlink(n.vpn);
  vnl.add_address(v.server_if, sys::Prefix::parse(v.server_tunnel_ip));
  vnl.set_up(v.server_if);
  if (v.server_nat) {
    sys::Prefix tunnel = sys::Prefix::parse(v.server_tunnel_ip).network();
    char net[INET6_ADDRSTRLEN];
    ::inet_ntop(tunnel.family, tunnel.addr, net, sizeof net);
    apply_nft(lab.netns_fd(n.vpn), nat_ruleset("eth0", fmt::format("{}/{}", net, tunnel.len)));
  }
  start_resolver(lab, n.vpn, v.dns, "vpn-resolver", ip_of(s.topology.server_ip4));
  // wireguard-go opens its UDP socket once it has processed the link coming up, after
  // set_up returned: a client's first initiation sent before that is lost, and WireGuard
  // retries only after REKEY_TIMEOUT (5 s). The client starts once the server listens.
  const auto deadline = std::chrono::steady_clock::now() + kServerListenBound;
  for (auto pause = std::chrono::milliseconds(1); !server->udp_listening(v.port);
       pause = std::min(pause * 2, std::chrono::milliseconds(20))) {
    server->check_running("before it opened its UDP port");
    if (std::chrono::steady_clock::now() > deadline)
      throw EnvironmentError(fmt::format(
          "the VPN server's wireguard-go opened no UDP socket on port {} within {} s of its "
          "interface {} coming up (read from /proc/{}/net/udp); its log ends with:\n{}\n(log "
          "kept in {})",
          v.port, kServerListenBound.count(), v.server_if, server->process().pid(),
          lab.log_tail("wireguard-go-" + v.server_if),
          lab.keep_log("wireguard-go-" + v.server_if)));
    std::this_thread::sleep_for(pause);
  }
  return server;
}

void wait_for_wg_handshake(Lab& lab, const std::string& tunnel_peer,
                           const std::function<bool()>& done, const std::function<void()>& check,
                           std::chrono::seconds bound,
                           const std::function<void(const HandshakeTries&)>& give_up) {
  sys::Fd udp;
  {
    sys::NetnsGuard in(lab.netns_fd(lab.names().client));
    udp.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!udp)
      throw LabError("a trigger socket in the client namespace",
                     sys::SysError("socket", "AF_INET", errno), "");
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);  // discard
  ::inet_pton(AF_INET, tunnel_peer.c_str(), &to.sin_addr);
  const auto start = std::chrono::steady_clock::now();
  auto next = start;
  HandshakeTries tries;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next) {
      if (::sendto(udp.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
        tries.send_errno = errno;
      ++tries.sent;
      next = now + std::chrono::milliseconds(250);
    }
    check();
    if (now > start + bound) {
      give_up(tries);
      throw EnvironmentError("no WireGuard handshake");  // give_up is meant to throw first
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void allow_peer_address(WgDevice& server, const std::string& client_public_hex,
                        const std::string& tunnel_ip) {
  server.set(fmt::format("public_key={}\nreplace_allowed_ips=true\nallowed_ip={}/32\n",
                         client_public_hex, ip_of(tunnel_ip)));
}

}  // namespace ss::lab
