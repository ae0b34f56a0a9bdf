#pragma once
// What `splitsecond reap` did in a lab run (the scenario's [reap], `run --reap`), read from the
// record's timeline: the sockets it destroyed, and whether the RST an aborted TCP socket may
// send left the client's physical interface carrying the tunnel's source address (a packet
// that would tell the local network which address the tunnel had). Pure: a record in, figures
// out.
#include <optional>
#include <vector>

#include "model/record.hpp"

namespace ss {

struct ReapOutcome {
  std::vector<int> peer_ports;     // what it was limited to; empty: every socket
  int removals = 0;                // address removals it acted on (dry runs not counted)
  int tcp = 0, udp = 0;            // sockets destroyed
  std::optional<double> first_ms;  // its first destroyed socket, relative to t=0
  // TCP segments with RST out of the physical interface, from the tunnel's address, after t=0.
  int resets_from_tunnel = 0;
  std::optional<double> first_reset_ms;
};

// nullopt when reap did not run (no `ready` line of the agent "reap" on the timeline).
std::optional<ReapOutcome> reap_outcome(const RunRecord& r);

}  // namespace ss
