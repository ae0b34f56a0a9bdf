#pragma once
// The lines `splitsecond watch` streams: one value per thing seen, rendered for the terminal
// and as one JSON object per line (--ndjson; docs/watch.md). Pure.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "model/packet.hpp"
#include "model/record.hpp"
#include "model/watch_destroyed.hpp"
#include "model/watch_marks.hpp"

namespace ss {

struct WatchLine {
  int64_t t_us = 0;  // since the watch started (CLOCK_MONOTONIC)
  // "event" (link, addr, route, rule, dns), "mark", "alarm", "destroyed", "notice", "summary"
  std::string type;
  nlohmann::json detail = nlohmann::json::object();
};

// What a watch counted, for the last line.
struct WatchSummary {
  double seconds = 0;
  int disconnects = 0, reconnects = 0;
  int64_t leaks_dns = 0, leaks_other = 0;
  int64_t alarm_lines_suppressed = 0;
  int64_t destroyed = 0;
  int64_t events = 0, packets = 0;
  int64_t netlink_lost = 0;  // ENOBUFS on the rtnetlink socket (each followed by a resync)
  int64_t destroy_lost = 0;  // ENOBUFS on the sock_diag socket
  int64_t pcap_dropped = 0;  // libpcap ps_drop, over every capture
  int resyncs = 0;
  bool capture = false;     // packets were watched on at least one physical interface
  bool destroy_ok = false;  // destroyed sockets were watched
};

WatchLine event_line(int64_t t_us, const Event& e);
WatchLine mark_line(int64_t t_us, const WatchMark& m);
WatchLine alarm_line(int64_t t_us, const LeakAlarm& a, const std::string& ifname,
                     const PacketInfo& p);
WatchLine destroyed_line(int64_t t_us, const DestroyedSocket& s);
// kind: e.g. "capture-unavailable", "netlink-overrun", "started", "stopping"
WatchLine notice_line(int64_t t_us, const std::string& kind, const std::string& text);
WatchLine summary_line(int64_t t_us, const WatchSummary& s);

// "   12.345 s  route   0.0.0.0/1 dev wg0 (table main) added"
std::string terminal_text(const WatchLine& l);
// {"t_us":..., "type":..., ...detail}; an event: {"t_us", "type":"event", "layer", "kind",
// "detail"}
nlohmann::json ndjson(const WatchLine& l);

}  // namespace ss
