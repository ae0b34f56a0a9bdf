#pragma once
// Decoding and classifying packets seen on the client's physical interface. Pure: bytes in,
// facts out; every length is checked (fuzzed in tests/fuzz).
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace ss {

struct DnsQuestion {
  std::string qname;
  uint16_t qtype = 0;
  bool response = false;
  uint16_t id = 0;
};

struct PacketInfo {
  enum class L3 { other, arp, ipv4, ipv6 } l3 = L3::other;
  std::string src, dst;  // IP addresses as text
  uint8_t proto = 0;     // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, ...
  uint16_t sport = 0, dport = 0;
  uint8_t tcp_flags = 0;  // FIN=1 SYN=2 RST=4 PSH=8 ACK=16
  uint32_t tcp_seq = 0;
  size_t l4_payload = 0;  // bytes after the transport header
  std::optional<DnsQuestion> dns;
  bool link_local_or_multicast = false;  // fe80::/10, ff00::/8, 224.0.0.0/4, broadcast
};

// Decodes an Ethernet frame. Truncated or unknown frames give l3 == other (or a partial
// decode); never reads out of bounds.
PacketInfo decode_ethernet(std::span<const uint8_t> frame);

// Parses the first question of a DNS message (UDP payload, no TCP length prefix).
std::optional<DnsQuestion> parse_dns(std::span<const uint8_t> msg);

enum class PacketClass {
  tunnel,         // the VPN's own packets to or from its endpoint
  dns_plaintext,  // DNS in the clear, outside the tunnel
  bypass,         // any other IP traffic that did not go through the tunnel
  link_control,   // ARP, neighbour discovery, link-local and multicast housekeeping
};
const char* packet_class_name(PacketClass c);

struct TunnelEndpoint {
  std::string ip;
  uint16_t port = 0;
};

PacketClass classify(const PacketInfo& p, const TunnelEndpoint& endpoint);

}  // namespace ss
