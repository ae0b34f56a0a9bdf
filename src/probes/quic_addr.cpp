#include "probes/quic_addr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <cstring>

namespace ss::probes::quic {

namespace {

std::optional<unsigned> parse_port(std::string_view text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || port > 65535) {
    return std::nullopt;
  }
  return port;
}

}  // namespace

unsigned SockAddr::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return 0;
}

void SockAddr::set_port(unsigned port) {
  auto p = htons(static_cast<uint16_t>(port));
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = p;
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = p;
}

std::optional<SockAddr> parse_ip(std::string_view text) {
  std::string s(text);
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, s.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    a.len = sizeof(sockaddr_in);
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    a.len = sizeof(sockaddr_in6);
    return a;
  }
  return std::nullopt;
}

std::optional<SockAddr> parse_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  auto port = parse_port(text.substr(colon + 1));
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  auto addr = parse_ip(host);
  if (!addr || !port) return std::nullopt;
  // An IPv6 address must be written in brackets, or its last group reads as the port.
  if (addr->family() == AF_INET6 && !bracketed) return std::nullopt;
  if (addr->family() == AF_INET && bracketed) return std::nullopt;
  addr->set_port(*port);
  return addr;
}

SockAddr from_sockaddr(const sockaddr* sa, socklen_t len) {
  SockAddr a;
  len = std::min<socklen_t>(len, sizeof(a.storage));
  std::memcpy(&a.storage, sa, len);
  a.len = len;
  return a;
}

SockAddr wildcard(int family) {
  SockAddr a;
  a.storage.ss_family = static_cast<sa_family_t>(family);
  a.len = family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  return a;  // zeroed storage: INADDR_ANY / in6addr_any, port 0
}

std::string format_ip(const sockaddr* sa) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf.data(), buf.size());
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf.data(),
              buf.size());
  } else {
    return "?";
  }
  return buf.data();
}

std::string format_endpoint(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    return format_ip(sa) + ":" +
           std::to_string(ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    return "[" + format_ip(sa) +
           "]:" + std::to_string(ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port));
  }
  return "?";
}

bool same_endpoint(const sockaddr* a, const sockaddr* b) {
  if (a->sa_family != b->sa_family) return false;
  if (a->sa_family == AF_INET) {
    auto* x = reinterpret_cast<const sockaddr_in*>(a);
    auto* y = reinterpret_cast<const sockaddr_in*>(b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    auto* x = reinterpret_cast<const sockaddr_in6*>(a);
    auto* y = reinterpret_cast<const sockaddr_in6*>(b);
    return x->sin6_port == y->sin6_port &&
           std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

}  // namespace ss::probes::quic
