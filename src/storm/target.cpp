#include "storm/target.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>

#include <algorithm>
#include <charconv>

#include "model/errors.hpp"

namespace ss::storm {
namespace {

uint32_t parse_ipv4(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return 0;
  return ntohl(a.s_addr);
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
}

}  // namespace

WsUrl parse_ws_url(std::string_view url, std::string_view option) {
  auto bad = [&](std::string_view why) {
    return UsageError(fmt::format("{} {}: {}", option, url, why));
  };
  constexpr std::string_view scheme = "ws://";
  if (url.substr(0, 6) == "wss://") throw bad("wss (TLS) is not supported; give a ws:// URL");
  if (url.substr(0, scheme.size()) != scheme)
    throw bad("expected ws://HOST:PORT/PATH, e.g. ws://127.0.0.1:8080/");
  std::string_view rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  WsUrl u;
  if (slash != std::string_view::npos) u.path = std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  u.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    unsigned port = 0;
    if (!parse_number(authority.substr(colon + 1), port) || port == 0 || port > 65535)
      throw bad("the port must be 1 to 65535");
    u.port = static_cast<uint16_t>(port);
  }
  if (u.host.empty()) throw bad("no host");
  uint32_t a = parse_ipv4(u.host == "localhost" ? "127.0.0.1" : u.host);
  if (a == 0)
    throw bad(fmt::format("'{}' is not an IPv4 address (names are not resolved)", u.host));
  u.address.sin_family = AF_INET;
  u.address.sin_port = htons(u.port);
  u.address.sin_addr.s_addr = htonl(a);
  return u;
}

bool Network::contains(uint32_t a) const {
  if (prefix == 0) return true;
  uint32_t mask = prefix >= 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> prefix);
  return (a & mask) == (address & mask);
}

Network parse_network(std::string_view text, std::string_view option) {
  size_t slash = text.find('/');
  Network n;
  int prefix = -1;
  if (slash == std::string_view::npos || !parse_number(text.substr(slash + 1), prefix) ||
      prefix < 0 || prefix > 32)
    throw UsageError(
        fmt::format("{} {}: expected ADDRESS/PREFIX, e.g. 192.168.10.0/24", option, text));
  n.prefix = prefix;
  n.address = parse_ipv4(std::string(text.substr(0, slash)));
  if (n.address == 0 && text.substr(0, slash) != "0.0.0.0")
    throw UsageError(
        fmt::format("{} {}: '{}' is not an IPv4 address", option, text, text.substr(0, slash)));
  return n;
}

std::string target_refusal(uint32_t address, const std::vector<uint32_t>& local,
                           const std::vector<Network>& allowed) {
  if ((address >> 24) == 127) return "";
  if (std::find(local.begin(), local.end(), address) != local.end()) return "";
  for (const auto& n : allowed)
    if (n.contains(address)) return "";
  in_addr a{htonl(address)};
  return fmt::format(
      "{} is neither loopback nor an address of this machine; storms go elsewhere only with "
      "--allow-network naming its network",
      ::inet_ntoa(a));
}

std::vector<uint32_t> local_ipv4_addresses() {
  std::vector<uint32_t> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
      out.push_back(ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr));
  ::freeifaddrs(list);
  return out;
}

}  // namespace ss::storm
