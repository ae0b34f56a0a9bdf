#include "lab/wireguard.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <nettle/curve25519.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

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

WgDevice::WgDevice(Lab& lab, const std::string& ns, const std::string& ifname) : ifname_(ifname) {
  namespace fs = std::filesystem;
  // The mount point for the private tmpfs; created (and later removed) only if missing.
  lab.ledger().shared_dir("/run/wireguard");
  child_ = &lab.spawn(ns, "wireguard-go-" + ifname, {"wireguard-go", "-f", ifname}, false,
                      {"/run/wireguard"});
  socket_path_ = fmt::format("/proc/{}/root/run/wireguard/{}.sock", child_->pid(), ifname);
  // wireguard-go creates the TUN device, then the socket: wait for it, bounded.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!fs::exists(socket_path_)) {
    if (!child_->running())
      throw std::runtime_error(fmt::format("wireguard-go exited at start; see {}",
                                           lab.log_path("wireguard-go-" + ifname)));
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(
          fmt::format("wireguard-go made no UAPI socket within 5 s ({})", socket_path_));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::string WgDevice::transact(const std::string& request) {
  sys::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw sys::SysError("socket", "AF_UNIX", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // The /proc path can exceed sun_path: connect through a directory fd instead.
  std::string dir = socket_path_.substr(0, socket_path_.rfind('/'));
  std::string name = socket_path_.substr(socket_path_.rfind('/') + 1);
  sys::Fd dfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) throw sys::SysError("open", dir, errno);
  std::string via = fmt::format("/proc/self/fd/{}/{}", dfd.get(), name);
  if (via.size() >= sizeof addr.sun_path)
    throw std::runtime_error("UAPI socket path too long: " + via);
  std::memcpy(addr.sun_path, via.c_str(), via.size() + 1);
  sys::check(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), "connect",
             socket_path_);
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
  if (reply.find("errno=0\n") == std::string::npos)
    throw std::runtime_error(
        fmt::format("wireguard-go refused the configuration of {}: {}", ifname_, reply));
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

long WgDevice::last_handshake_sec() {
  auto kv = get();
  auto it = kv.find("last_handshake_time_sec");
  return it == kv.end() ? 0 : std::stol(it->second);
}

}  // namespace ss::lab
