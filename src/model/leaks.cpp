#include "model/leaks.hpp"

namespace ss {

ClassifiedPacket classify_one(const ObservedPacket& p, const std::set<std::string>& own,
                              const TunnelEndpoint& endpoint) {
  ClassifiedPacket c{p.mono_ns, p.info, PacketClass::link_control, false};
  c.outgoing = own.count(p.info.src) > 0 || p.info.src.rfind("fe80", 0) == 0;
  c.cls = classify(p.info, endpoint);
  return c;
}

std::vector<ClassifiedPacket> classify_packets(const std::vector<ObservedPacket>& packets,
                                               const std::set<std::string>& own,
                                               const TunnelEndpoint& endpoint) {
  std::vector<ClassifiedPacket> out;
  out.reserve(packets.size());
  for (const auto& p : packets) out.push_back(classify_one(p, own, endpoint));
  return out;
}

namespace {

bool is_leak(const ClassifiedPacket& p) {
  return p.outgoing && (p.cls == PacketClass::bypass || p.cls == PacketClass::dns_plaintext);
}

LeakCount& kind_of(LeakDetail& d, const ClassifiedPacket& p) {
  if (p.cls == PacketClass::dns_plaintext) return d.dns;
  switch (p.info.proto) {
    case 6:
      return d.tcp;
    case 17:
      return d.udp;
    case 1:
    case 58:
      return d.icmp;
    default:
      return d.other;
  }
}

}  // namespace

LeakDetail leaks_per_packet(const std::vector<ClassifiedPacket>& packets,
                            const std::vector<Trigger>& triggers, int64_t t0_ns, int64_t end_ns) {
  LeakDetail d;
  std::vector<size_t> timeline;
  for (size_t i = 0; i < triggers.size(); ++i)
    if (triggers[i].from_timeline) timeline.push_back(i);
  for (size_t k = 0; k < timeline.size(); ++k) {
    ActionLeaks a;
    a.trigger = timeline[k];
    a.action = triggers[timeline[k]].action;
    d.per_action.push_back(a);
  }
  for (const auto& p : packets) {
    if (!is_leak(p) || p.mono_ns > end_ns) continue;
    const bool v6 = p.info.l3 == PacketInfo::L3::ipv6;
    if (p.mono_ns < t0_ns) {
      ++d.before_t0;
      d.before_t0_ipv6 += v6 ? 1 : 0;
      continue;
    }
    LeakCount& c = kind_of(d, p);
    ++(v6 ? c.ipv6 : c.ipv4);
    if (p.cls == PacketClass::dns_plaintext && p.info.dns && !p.info.dns->response)
      d.dns_queries.push_back({(p.mono_ns - t0_ns) / 1000, p.info.dns->qname, p.info.dst});
    // The window it falls in: the last timeline action at or before it.
    for (size_t k = timeline.size(); k-- > 0;) {
      const int64_t at_ns = t0_ns + triggers[timeline[k]].at_us * 1000;
      if (p.mono_ns < at_ns) continue;
      ActionLeaks& a = d.per_action[k];
      const double rel = static_cast<double>(p.mono_ns - at_ns) / 1e6;
      if (!a.first_ms) a.first_ms = rel;
      a.last_ms = rel;
      ++a.count;
      a.ipv6 += v6 ? 1 : 0;
      break;
    }
  }
  return d;
}

Leaks leak_totals(const std::vector<ClassifiedPacket>& packets, int64_t t0_ns, int64_t end_ns) {
  Leaks l;
  for (const auto& p : packets) {
    if (p.mono_ns < t0_ns || p.mono_ns > end_ns || !p.outgoing) continue;
    if (p.cls == PacketClass::dns_plaintext && p.info.dns && !p.info.dns->response)
      ++l.dns_plaintext;
    else if (p.cls == PacketClass::bypass)
      ++l.non_tunnel_packets;
  }
  return l;
}

}  // namespace ss
