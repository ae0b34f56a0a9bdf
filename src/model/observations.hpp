#pragma once
// What the recorder saw, raw and timed on CLOCK_MONOTONIC, before anything is judged: the
// rtnetlink and resolv.conf events, the decoded packets of one interface, what was lost.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/packet.hpp"
#include "model/record.hpp"

namespace ss {

struct ObservedPacket {
  int64_t mono_ns = 0;
  PacketInfo info;
};

struct Observations {
  std::vector<std::pair<int64_t, Event>> events;  // link, addr, route, dns (resolv.conf)
  std::vector<ObservedPacket> packets;            // every frame of the physical interface
  int64_t netlink_lost = 0;                       // ENOBUFS overruns
  unsigned pcap_dropped = 0;                      // libpcap ps_drop
};

// A packet with what it is to this run.
struct ClassifiedPacket {
  int64_t mono_ns = 0;
  PacketInfo info;
  PacketClass cls = PacketClass::link_control;
  bool outgoing = false;  // from one of the client's own addresses (or its link-local one)
};

// `own`: every address the client had on its physical link during the run.
std::vector<ClassifiedPacket> classify_packets(const std::vector<ObservedPacket>& packets,
                                               const std::set<std::string>& own,
                                               const TunnelEndpoint& endpoint);

}  // namespace ss
