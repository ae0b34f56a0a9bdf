#include "model/packet.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace ss {
namespace {

uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t be32(std::span<const uint8_t> b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}

std::string ip_text(int family, const uint8_t* bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes, buf, sizeof buf);
  return buf;
}

void decode_l4(PacketInfo& p, std::span<const uint8_t> l4) {
  if (p.proto == IPPROTO_TCP && l4.size() >= 20) {
    p.sport = be16(l4, 0);
    p.dport = be16(l4, 2);
    p.tcp_seq = be32(l4, 4);
    size_t hlen = size_t(l4[12] >> 4) * 4;
    p.tcp_flags = l4[13];
    p.l4_payload = hlen <= l4.size() ? l4.size() - hlen : 0;
    if ((p.sport == 53 || p.dport == 53) && hlen + 2 < l4.size())
      p.dns = parse_dns(l4.subspan(hlen + 2));  // DNS over TCP has a 2-byte length first
  } else if (p.proto == IPPROTO_UDP && l4.size() >= 8) {
    p.sport = be16(l4, 0);
    p.dport = be16(l4, 2);
    p.l4_payload = l4.size() - 8;
    if (p.sport == 53 || p.dport == 53) p.dns = parse_dns(l4.subspan(8));
  }
}

}  // namespace

std::optional<DnsQuestion> parse_dns(std::span<const uint8_t> msg) {
  if (msg.size() < 12) return std::nullopt;
  DnsQuestion q;
  q.id = be16(msg, 0);
  q.response = (msg[2] & 0x80) != 0;
  if (be16(msg, 4) == 0) return std::nullopt;  // no question
  size_t at = 12;
  for (int labels = 0; labels < 128; ++labels) {
    if (at >= msg.size()) return std::nullopt;
    uint8_t len = msg[at++];
    if (len == 0) {
      if (at + 2 > msg.size()) return std::nullopt;
      q.qtype = be16(msg, at);
      if (q.qname.empty()) q.qname.push_back('.');
      return q;
    }
    if (len > 63 || at + len > msg.size()) return std::nullopt;  // no compression in questions
    if (!q.qname.empty()) q.qname.push_back('.');
    for (size_t i = 0; i < len; ++i) {
      char c = static_cast<char>(msg[at + i]);
      q.qname.push_back((c >= 0x21 && c <= 0x7e) ? c : '?');
    }
    at += len;
  }
  return std::nullopt;
}

PacketInfo decode_ethernet(std::span<const uint8_t> f) {
  PacketInfo p;
  if (f.size() < 14) return p;
  size_t at = 12;
  uint16_t type = be16(f, at);
  at += 2;
  if (type == 0x8100 && f.size() >= 18) {  // one VLAN tag
    type = be16(f, 16);
    at = 18;
  }
  bool broadcast =
      f[0] == 0xff && f[1] == 0xff && f[2] == 0xff && f[3] == 0xff && f[4] == 0xff && f[5] == 0xff;
  auto l3 = f.subspan(at);
  if (type == 0x0806) {
    p.l3 = PacketInfo::L3::arp;
    p.link_local_or_multicast = true;
  } else if (type == 0x0800 && l3.size() >= 20 && (l3[0] >> 4) == 4) {
    p.l3 = PacketInfo::L3::ipv4;
    size_t ihl = size_t(l3[0] & 0x0f) * 4;
    size_t total = be16(l3, 2);
    if (ihl < 20 || ihl > l3.size()) return p;
    p.src = ip_text(AF_INET, &l3[12]);
    p.dst = ip_text(AF_INET, &l3[16]);
    p.proto = l3[9];
    p.link_local_or_multicast =
        broadcast || (l3[16] & 0xf0) == 0xe0 || (l3[16] == 169 && l3[17] == 254);
    size_t end = total >= ihl && total <= l3.size() ? total : l3.size();
    decode_l4(p, l3.subspan(ihl, end - ihl));
  } else if (type == 0x86dd && l3.size() >= 40) {
    p.l3 = PacketInfo::L3::ipv6;
    p.src = ip_text(AF_INET6, &l3[8]);
    p.dst = ip_text(AF_INET6, &l3[24]);
    p.proto = l3[6];  // extension headers are not followed: reported as their own protocol
    bool src_ll = l3[8] == 0xfe && (l3[9] & 0xc0) == 0x80;
    bool dst_ll = l3[24] == 0xfe && (l3[25] & 0xc0) == 0x80;
    p.link_local_or_multicast = src_ll || dst_ll || l3[24] == 0xff;
    size_t plen = be16(l3, 4);
    size_t end = 40 + plen <= l3.size() ? 40 + plen : l3.size();
    decode_l4(p, l3.subspan(40, end - 40));
  }
  return p;
}

const char* packet_class_name(PacketClass c) {
  switch (c) {
    case PacketClass::tunnel:
      return "tunnel";
    case PacketClass::dns_plaintext:
      return "dns_plaintext";
    case PacketClass::bypass:
      return "bypass";
    case PacketClass::link_control:
      return "link_control";
  }
  return "?";
}

PacketClass classify(const PacketInfo& p, const TunnelEndpoint& ep) {
  if (p.l3 == PacketInfo::L3::arp || p.l3 == PacketInfo::L3::other)
    return PacketClass::link_control;
  if (p.proto == IPPROTO_UDP &&
      ((p.dst == ep.ip && p.dport == ep.port) || (p.src == ep.ip && p.sport == ep.port)))
    return PacketClass::tunnel;
  // DHCP (client port 68, server port 67): the link's own housekeeping, as ARP is; a kill
  // switch lets it through.
  if (p.proto == IPPROTO_UDP &&
      ((p.sport == 68 && p.dport == 67) || (p.sport == 67 && p.dport == 68)))
    return PacketClass::link_control;
  if (p.dns) return PacketClass::dns_plaintext;
  if (p.link_local_or_multicast) return PacketClass::link_control;
  return PacketClass::bypass;
}

}  // namespace ss
