// Decoding and classification of hand-built frames. The captures from the lab are checked in
// tests/unit/observe/classify_pcap_test.cpp (that executable links libpcap).
#include "model/packet.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

using ss::classify;
using ss::decode_ethernet;
using ss::PacketClass;
using ss::PacketInfo;
using ss::parse_dns;
using Bytes = std::vector<uint8_t>;

namespace {

void put16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, uint16_t(v >> 16));
  put16(b, uint16_t(v));
}
void append(Bytes& b, const Bytes& more) {
  b.insert(b.end(), more.begin(), more.end());
}

Bytes addr4(const char* text) {
  Bytes b(4);
  EXPECT_EQ(::inet_pton(AF_INET, text, b.data()), 1) << text;
  return b;
}
Bytes addr6(const char* text) {
  Bytes b(16);
  EXPECT_EQ(::inet_pton(AF_INET6, text, b.data()), 1) << text;
  return b;
}

Bytes ethernet(uint16_t type, bool broadcast = false) {
  Bytes b;
  for (int i = 0; i < 6; ++i) b.push_back(broadcast ? 0xff : uint8_t(0x02 + i));
  for (int i = 0; i < 6; ++i) b.push_back(uint8_t(0x12 + i));
  put16(b, type);
  return b;
}

Bytes ipv4(const char* src, const char* dst, uint8_t proto, const Bytes& l4) {
  Bytes b{0x45, 0};
  put16(b, uint16_t(20 + l4.size()));
  put32(b, 0);      // id, flags, fragment offset
  b.push_back(64);  // ttl
  b.push_back(proto);
  put16(b, 0);  // checksum (not checked)
  append(b, addr4(src));
  append(b, addr4(dst));
  append(b, l4);
  return b;
}

Bytes ipv6(const char* src, const char* dst, uint8_t next, const Bytes& l4) {
  Bytes b{0x60, 0, 0, 0};
  put16(b, uint16_t(l4.size()));
  b.push_back(next);
  b.push_back(64);
  append(b, addr6(src));
  append(b, addr6(dst));
  append(b, l4);
  return b;
}

Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, uint16_t(8 + payload.size()));
  put16(b, 0);
  append(b, payload);
  return b;
}

Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags, const Bytes& payload) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, seq);
  put32(b, 0);
  b.push_back(5 << 4);
  b.push_back(flags);
  put16(b, 65535);
  put32(b, 0);
  append(b, payload);
  return b;
}

// A DNS query (or response) with one question.
Bytes dns(uint16_t id, const std::vector<std::string>& labels, uint16_t qtype, bool response) {
  Bytes b;
  put16(b, id);
  put16(b, response ? 0x8180 : 0x0100);
  put16(b, 1);  // qdcount
  put16(b, response ? 1 : 0);
  put16(b, 0);
  put16(b, 0);
  for (const auto& l : labels) {
    b.push_back(uint8_t(l.size()));
    b.insert(b.end(), l.begin(), l.end());
  }
  b.push_back(0);
  put16(b, qtype);
  put16(b, 1);  // class IN
  return b;
}

const std::vector<std::string> kWhoami = {"whoami", "splitsecond", "test"};
const ss::TunnelEndpoint kEndpoint{"198.51.100.1", 51820};

Bytes frame(uint16_t type, const Bytes& l3, bool broadcast = false) {
  Bytes f = ethernet(type, broadcast);
  append(f, l3);
  return f;
}

Bytes dns_query_frame() {
  return frame(0x0800, ipv4("192.168.1.100", "192.168.1.1", IPPROTO_UDP,
                            udp(40000, 53, dns(0xa341, kWhoami, 16, false))));
}

}  // namespace

TEST(Packet, DecodesAnIpv4DnsQuery) {
  PacketInfo p = decode_ethernet(dns_query_frame());
  EXPECT_EQ(p.l3, PacketInfo::L3::ipv4);
  EXPECT_EQ(p.src, "192.168.1.100");
  EXPECT_EQ(p.dst, "192.168.1.1");
  EXPECT_EQ(p.proto, IPPROTO_UDP);
  EXPECT_EQ(p.sport, 40000);
  EXPECT_EQ(p.dport, 53);
  EXPECT_EQ(p.l4_payload, dns(0xa341, kWhoami, 16, false).size());
  ASSERT_TRUE(p.dns);
  EXPECT_EQ(p.dns->qname, "whoami.splitsecond.test");
  EXPECT_EQ(p.dns->qtype, 16);
  EXPECT_EQ(p.dns->id, 0xa341);
  EXPECT_FALSE(p.dns->response);
  EXPECT_FALSE(p.link_local_or_multicast);
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::dns_plaintext);
}

TEST(Packet, DecodesAnIpv6TcpSegment) {
  Bytes f = frame(0x86dd, ipv6("2001:db8:1::100", "2001:db8:100::10", IPPROTO_TCP,
                               tcp(50444, 7001, 0x01020304, 0x02 | 0x10, Bytes(5, 'x'))));
  PacketInfo p = decode_ethernet(f);
  EXPECT_EQ(p.l3, PacketInfo::L3::ipv6);
  EXPECT_EQ(p.src, "2001:db8:1::100");
  EXPECT_EQ(p.dst, "2001:db8:100::10");
  EXPECT_EQ(p.proto, IPPROTO_TCP);
  EXPECT_EQ(p.sport, 50444);
  EXPECT_EQ(p.dport, 7001);
  EXPECT_EQ(p.tcp_seq, 0x01020304u);
  EXPECT_EQ(p.tcp_flags, 0x12);
  EXPECT_EQ(p.l4_payload, 5u);
  EXPECT_FALSE(p.dns);
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::bypass);
}

TEST(Packet, DnsOverTcpSkipsTheLengthPrefix) {
  Bytes msg = dns(7, kWhoami, 1, true);
  Bytes payload;
  put16(payload, uint16_t(msg.size()));
  append(payload, msg);
  PacketInfo p = decode_ethernet(frame(
      0x0800, ipv4("192.168.1.1", "192.168.1.100", IPPROTO_TCP, tcp(53, 41000, 1, 0x18, payload))));
  ASSERT_TRUE(p.dns);
  EXPECT_EQ(p.dns->qname, "whoami.splitsecond.test");
  EXPECT_TRUE(p.dns->response);
  EXPECT_EQ(p.dns->qtype, 1);
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::dns_plaintext);
}

TEST(Packet, FollowsOneVlanTag) {
  Bytes f = ethernet(0x8100);
  put16(f, 42);  // VLAN id
  put16(f, 0x0800);
  append(f, ipv4("192.168.1.100", "198.51.100.1", IPPROTO_UDP, udp(41754, 51820, Bytes(32, 1))));
  PacketInfo p = decode_ethernet(f);
  EXPECT_EQ(p.l3, PacketInfo::L3::ipv4);
  EXPECT_EQ(p.dport, 51820);
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::tunnel);
}

TEST(Packet, TunnelPacketsAreMatchedOnEndpointAddressPortAndUdp) {
  auto cls = [](const char* src, const char* dst, uint8_t proto, uint16_t sport, uint16_t dport) {
    Bytes l4 = proto == IPPROTO_UDP ? udp(sport, dport, Bytes(16, 0)) : tcp(sport, dport, 0, 2, {});
    return classify(decode_ethernet(frame(0x0800, ipv4(src, dst, proto, l4))), kEndpoint);
  };
  EXPECT_EQ(cls("192.168.1.100", "198.51.100.1", IPPROTO_UDP, 41754, 51820), PacketClass::tunnel);
  EXPECT_EQ(cls("198.51.100.1", "192.168.1.100", IPPROTO_UDP, 51820, 41754), PacketClass::tunnel);
  // Same host, other port; same port, other host; TCP to the endpoint's port.
  EXPECT_EQ(cls("192.168.1.100", "198.51.100.1", IPPROTO_UDP, 41754, 51821), PacketClass::bypass);
  EXPECT_EQ(cls("192.168.1.100", "198.51.100.2", IPPROTO_UDP, 41754, 51820), PacketClass::bypass);
  EXPECT_EQ(cls("192.168.1.100", "198.51.100.1", IPPROTO_TCP, 41754, 51820), PacketClass::bypass);
  // DNS to the endpoint host but on port 53 is plaintext DNS, not tunnel.
  PacketInfo p = decode_ethernet(frame(0x0800, ipv4("192.168.1.100", "198.51.100.1", IPPROTO_UDP,
                                                    udp(40000, 53, dns(1, kWhoami, 1, false)))));
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::dns_plaintext);
}

TEST(Packet, ArpIsLinkControl) {
  Bytes arp = {0, 1, 8, 0, 6, 4, 0, 1};  // Ethernet/IPv4 request
  append(arp, Bytes(6, 0x02));
  append(arp, addr4("192.168.1.100"));
  append(arp, Bytes(6, 0));
  append(arp, addr4("192.168.1.1"));
  PacketInfo p = decode_ethernet(frame(0x0806, arp, true));
  EXPECT_EQ(p.l3, PacketInfo::L3::arp);
  EXPECT_TRUE(p.link_local_or_multicast);
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);
}

TEST(Packet, NeighbourDiscoveryAndMulticastAreLinkControl) {
  Bytes ns = {135, 0, 0, 0, 0, 0, 0, 0};
  append(ns, addr6("fe80::e877:bbff:fe31:7700"));
  PacketInfo p =
      decode_ethernet(frame(0x86dd, ipv6("::", "ff02::1:ff31:7700", IPPROTO_ICMPV6, ns)));
  EXPECT_EQ(p.proto, IPPROTO_ICMPV6);
  EXPECT_TRUE(p.link_local_or_multicast);
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);

  Bytes na = {136, 0, 0, 0, 0x60, 0, 0, 0};
  append(na, addr6("fe80::1"));
  p = decode_ethernet(frame(0x86dd, ipv6("fe80::1", "fe80::2", IPPROTO_ICMPV6, na)));
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);

  p = decode_ethernet(frame(
      0x0800, ipv4("192.168.1.100", "224.0.0.251", IPPROTO_UDP, udp(5353, 5353, Bytes(12, 0)))));
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);
  p = decode_ethernet(
      frame(0x0800, ipv4("192.168.1.100", "192.168.1.255", IPPROTO_UDP, udp(68, 67, {})), true));
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);
  p = decode_ethernet(
      frame(0x0800, ipv4("169.254.1.1", "169.254.1.2", IPPROTO_TCP, tcp(1, 2, 0, 2, {}))));
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);
}

TEST(Packet, UnicastDhcpIsLinkControlButOtherUdpFromTheSamePortsIsNot) {
  // A renewal: unicast from the lease to the server, and its answer.
  PacketInfo p = decode_ethernet(
      frame(0x0800, ipv4("192.168.1.150", "192.168.1.1", IPPROTO_UDP, udp(68, 67, Bytes(240, 0)))));
  EXPECT_FALSE(p.link_local_or_multicast);
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);
  p = decode_ethernet(
      frame(0x0800, ipv4("192.168.1.1", "192.168.1.150", IPPROTO_UDP, udp(67, 68, Bytes(240, 0)))));
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);
  // The same ports the wrong way round, or only one of them, is any other datagram.
  p = decode_ethernet(
      frame(0x0800, ipv4("192.168.1.150", "198.51.100.10", IPPROTO_UDP, udp(68, 9, Bytes(8, 0)))));
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::bypass);
  p = decode_ethernet(
      frame(0x0800, ipv4("192.168.1.150", "198.51.100.10", IPPROTO_UDP, udp(67, 67, Bytes(8, 0)))));
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::bypass);
}

TEST(Packet, UnknownEthertypeIsLinkControl) {
  PacketInfo p = decode_ethernet(frame(0x88cc, Bytes(40, 0)));  // LLDP
  EXPECT_EQ(p.l3, PacketInfo::L3::other);
  EXPECT_EQ(classify(p, kEndpoint), PacketClass::link_control);
}

TEST(Packet, ClassNamesAreTheRecordKinds) {
  EXPECT_STREQ(ss::packet_class_name(PacketClass::tunnel), "tunnel");
  EXPECT_STREQ(ss::packet_class_name(PacketClass::dns_plaintext), "dns_plaintext");
  EXPECT_STREQ(ss::packet_class_name(PacketClass::bypass), "bypass");
  EXPECT_STREQ(ss::packet_class_name(PacketClass::link_control), "link_control");
}

TEST(Packet, EveryTruncationOfRealFramesIsSafe) {
  const std::vector<Bytes> frames = {
      dns_query_frame(),
      frame(0x86dd, ipv6("2001:db8:1::100", "2001:db8:100::10", IPPROTO_TCP,
                         tcp(1, 53, 9, 2, dns(3, kWhoami, 28, false)))),
      frame(0x86dd, ipv6("2001:db8:1::100", "2001:db8:1::1", IPPROTO_UDP,
                         udp(1000, 53, dns(3, kWhoami, 28, false)))),
      frame(0x0800,
            ipv4("192.168.1.100", "198.51.100.1", IPPROTO_UDP, udp(41754, 51820, Bytes(80, 7)))),
  };
  for (const Bytes& full : frames) {
    for (size_t n = 0; n <= full.size(); ++n) {
      // An exact-size heap copy: any read past the end is caught by the sanitizer build.
      Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      PacketInfo p = decode_ethernet(cut);
      EXPECT_LE(p.l4_payload, n);
      if (n < 14) {
        EXPECT_EQ(p.l3, PacketInfo::L3::other) << n;
      }
      if (p.dns) {
        EXPECT_EQ(p.dns->qname, "whoami.splitsecond.test") << n;
      }
      (void)classify(p, kEndpoint);
    }
  }
}

TEST(Packet, LengthFieldsLargerThanTheFrameAreClamped) {
  Bytes l3 =
      ipv4("192.168.1.100", "192.168.1.1", IPPROTO_UDP, udp(40000, 53, dns(1, kWhoami, 1, false)));
  l3[2] = 0xff;  // total length far beyond the capture
  l3[3] = 0xff;
  PacketInfo p = decode_ethernet(frame(0x0800, l3));
  EXPECT_EQ(p.dport, 53);
  ASSERT_TRUE(p.dns);

  l3 = ipv4("192.168.1.100", "192.168.1.1", IPPROTO_UDP, udp(1, 2, {}));
  l3[0] = 0x4f;  // IHL 60 bytes, longer than the packet
  p = decode_ethernet(frame(0x0800, l3));
  EXPECT_EQ(p.sport, 0);
  l3[0] = 0x44;  // IHL 16 bytes, shorter than any IPv4 header
  p = decode_ethernet(frame(0x0800, l3));
  EXPECT_EQ(p.sport, 0);

  Bytes t = tcp(1, 2, 0, 2, {});
  t[12] = 0xf0;  // data offset 60 bytes, beyond the segment
  p = decode_ethernet(frame(0x0800, ipv4("192.168.1.100", "192.168.1.1", IPPROTO_TCP, t)));
  EXPECT_EQ(p.l4_payload, 0u);

  Bytes v6 = ipv6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, udp(1, 53, dns(1, kWhoami, 1, false)));
  v6[4] = 0xff;  // payload length beyond the capture
  p = decode_ethernet(frame(0x86dd, v6));
  ASSERT_TRUE(p.dns);
  EXPECT_EQ(p.dns->qname, "whoami.splitsecond.test");
}

TEST(Dns, ParsesTheFirstQuestion) {
  auto q = parse_dns(dns(0xbeef, {"a", "b"}, 28, true));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->qname, "a.b");
  EXPECT_EQ(q->qtype, 28);
  EXPECT_EQ(q->id, 0xbeef);
  EXPECT_TRUE(q->response);
}

TEST(Dns, RootNameIsADot) {
  auto q = parse_dns(dns(1, {}, 2, false));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->qname, ".");
  EXPECT_EQ(q->qtype, 2);
}

TEST(Dns, NonPrintableBytesAreReplaced) {
  auto q = parse_dns(dns(1, {std::string("a\x01 b\x7f", 5)}, 1, false));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->qname, "a??b?");
}

TEST(Dns, RejectsWhatIsNotAQuestion) {
  EXPECT_FALSE(parse_dns(Bytes(11, 0)));  // shorter than the header
  Bytes none = dns(1, kWhoami, 1, false);
  none[5] = 0;  // qdcount 0
  EXPECT_FALSE(parse_dns(none));
  Bytes pointer = dns(1, {}, 1, false);
  pointer[12] = 0xc0;  // a compression pointer where a label length belongs
  EXPECT_FALSE(parse_dns(pointer));
  Bytes long_label = dns(1, {std::string(64, 'a')}, 1, false);
  EXPECT_FALSE(parse_dns(long_label));
  const Bytes query = dns(1, kWhoami, 1, false);
  const Bytes no_type(query.begin(), query.end() - 4);  // ends right after the name
  EXPECT_FALSE(parse_dns(no_type));
  EXPECT_TRUE(parse_dns(dns(1, {std::string(63, 'a')}, 1, false)));
}

TEST(Dns, NameLengthIsBounded) {
  // 200 one-byte labels: more labels than any valid name has.
  std::vector<std::string> labels(200, "a");
  EXPECT_FALSE(parse_dns(dns(1, labels, 1, false)));
  Bytes full = dns(9, kWhoami, 16, false);
  for (size_t n = 0; n + 2 < full.size(); ++n) {  // the class is not needed, the type is
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(parse_dns(cut)) << n;
  }
}
