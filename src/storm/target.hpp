#pragma once
// Where a real storm may go: a WebSocket URL's parts, and the rule that a target is on this
// machine (loopback, or one of its own addresses, which includes the lab's when run inside a
// namespace) unless --allow-network names its network. Pure: addresses in, a verdict out.
#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ss::storm {

struct WsUrl {
  std::string host;  // as written (an IPv4 address or "localhost")
  uint16_t port = 80;
  std::string path = "/";
  sockaddr_in address{};
};

// ws://HOST[:PORT][/PATH], HOST an IPv4 address or localhost. A UsageError naming `option`
// and what is wrong (wss, a name to resolve, a bad port).
WsUrl parse_ws_url(std::string_view url, std::string_view option = "--ws");

struct Network {
  uint32_t address = 0;  // host order
  int prefix = 32;
  bool contains(uint32_t a) const;
};
// "A.B.C.D/N"; a UsageError naming `option` otherwise.
Network parse_network(std::string_view text, std::string_view option = "--allow-network");

// Empty when the storm may go to `address` (host order): loopback, one of `local` (this
// machine's addresses), or inside one of `allowed`; otherwise the reason it may not.
std::string target_refusal(uint32_t address, const std::vector<uint32_t>& local,
                           const std::vector<Network>& allowed);

// This machine's IPv4 addresses in the caller's network namespace (getifaddrs).
std::vector<uint32_t> local_ipv4_addresses();

}  // namespace ss::storm
