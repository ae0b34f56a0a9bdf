#pragma once
// Socket addresses for the QUIC agents: parsing "IP:PORT" as users write it, and printing
// addresses as agent events carry them ("127.0.0.1:4433", "[::1]:4433").
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace ss::probes::quic {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  unsigned port() const;
  void set_port(unsigned port);
};

// "127.0.0.1:4433" or "[::1]:4433" (a numeric address and a port 0..65535); nullopt otherwise.
std::optional<SockAddr> parse_endpoint(std::string_view text);
// "127.0.0.2" or "::1" (a numeric address, port 0); nullopt otherwise.
std::optional<SockAddr> parse_ip(std::string_view text);

SockAddr from_sockaddr(const sockaddr* sa, socklen_t len);
// The wildcard address (0.0.0.0 / ::) of a family, port 0.
SockAddr wildcard(int family);

std::string format_endpoint(const sockaddr* sa);
inline std::string format_endpoint(const SockAddr& a) {
  return format_endpoint(a.get());
}
// The address without its port.
std::string format_ip(const sockaddr* sa);

// Same family, address and port.
bool same_endpoint(const sockaddr* a, const sockaddr* b);

}  // namespace ss::probes::quic
