#pragma once
// What `splitsecond watch` marks on its timeline, from the tunnel status after each event: a
// tunnel found, a disconnect, a reconnect; and the leak alarm's rule for a packet seen on a
// physical interface. Pure: statuses and packets in, marks and alarms out.
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/packet.hpp"
#include "model/watch_state.hpp"

namespace ss {

struct WatchMark {
  std::string kind;  // "tunnel-found", "connect", "disconnect", "reconnect"
  std::string dev;   // the tunnel interface concerned
  std::string how;   // the full-tunnel routing (method and detail), or what went away
  int ordinal = 0;   // the n-th disconnect or reconnect
};

// protected -> unprotected is a disconnect; unprotected -> protected a connect (the first) or
// a reconnect (after a disconnect). The first status seen, already protected, is "found".
class DisconnectMarker {
 public:
  std::vector<WatchMark> update(const TunnelStatus& now);
  int disconnects() const { return disconnects_; }
  int reconnects() const { return reconnects_; }
  // A full tunnel has been seen at some point of the watch.
  bool ever_protected() const { return ever_protected_; }

 private:
  bool first_ = true;
  TunnelStatus last_;
  bool ever_protected_ = false;
  int disconnects_ = 0, reconnects_ = 0;
};

// What went away between two statuses, in words ("wg0 gone", "0.0.0.0/1 + 128.0.0.0/1 removed").
std::string what_went(const TunnelStatus& before, const TunnelStatus& after);

struct AlarmPolicy {
  // Alarm also after a disconnect (the user means to be on the VPN all along), not only
  // while the full-tunnel routing is in place.
  bool expect_tunnel = false;
  std::set<std::string> endpoints;  // given by the user: the VPN's own traffic goes there
};

struct LeakAlarm {
  std::string kind;  // "dns" or "other"
  std::string why;   // "while wg0 carries everything" / "after the disconnect"
};

// A packet seen on a physical interface is a leak when it goes out (its source is one of the
// interface's addresses), is not link housekeeping (ARP, neighbour discovery, multicast), is
// not the VPN's own traffic to its endpoint (a host routed around the tunnel, or one given),
// and a tunnel is meant to be up: full-tunnel routing in place, or, with expect_tunnel, ever
// seen. DNS is a leak even to an excepted host.
std::optional<LeakAlarm> leak_alarm(const PacketInfo& p, const std::set<std::string>& own,
                                    const TunnelStatus& status, bool ever_protected,
                                    const AlarmPolicy& policy);

// Bounded de-duplication of alarm lines: one line per flow (kind, destination, port) per
// tunnel episode, every packet still counted. Reset at each mark.
class AlarmThrottle {
 public:
  explicit AlarmThrottle(size_t max_flows = 1024) : max_(max_flows) {}
  // True when this packet's flow gets a line.
  bool first_of_flow(const LeakAlarm& a, const PacketInfo& p);
  void reset() { flows_.clear(); }
  size_t suppressed() const { return suppressed_; }

 private:
  size_t max_;
  std::set<std::string> flows_;
  size_t suppressed_ = 0;
};

}  // namespace ss
