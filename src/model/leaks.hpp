#pragma once
// Leaks, per packet: every packet that left the client's physical interface and is not tunnel
// traffic to the VPN endpoint (nor link housekeeping: ARP, neighbour discovery, multicast).
#include <cstdint>
#include <vector>

#include "model/observations.hpp"
#include "model/record.hpp"

namespace ss {

// Counts by kind and family after t0_ns (up to end_ns), those before t0_ns, the plaintext DNS
// queries with their names and resolvers, and for each timeline trigger its window: from the
// action to the next timeline action (or end_ns), with its first and last leaked packet.
LeakDetail leaks_per_packet(const std::vector<ClassifiedPacket>& packets,
                            const std::vector<Trigger>& triggers, int64_t t0_ns, int64_t end_ns);

// The two totals older records have (queries, and other bypassing packets, after t=0).
Leaks leak_totals(const std::vector<ClassifiedPacket>& packets, int64_t t0_ns, int64_t end_ns);

}  // namespace ss
