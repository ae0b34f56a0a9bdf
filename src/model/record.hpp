#pragma once
// The record of one run: a timeline of events relative to the trigger (t=0) and what each
// probe lived through. Plain data; JSON in docs/schema.md ("splitsecond.run/1").
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/killswitch_run.hpp"
#include "model/server_sockets.hpp"
#include "model/user_command.hpp"

namespace ss {

enum class Layer { link, addr, route, dns, packet, probe };
const char* layer_name(Layer l);

struct Event {
  int64_t t_us = 0;  // relative to the trigger; negative before it
  Layer layer = Layer::link;
  std::string kind;  // e.g. "removed", "added", "resolver_changed", "dns_query", "error"
  nlohmann::json detail = nlohmann::json::object();
};

struct ProbeFate {
  std::string name;
  std::string proto;
  bool setup_ok = true;  // false: never reached its server before t=0
  bool survived = false;
  std::optional<std::string> error;   // errno name or the library's error text
  std::optional<double> detected_ms;  // t=0 to the error, when one came
  nlohmann::json extra = nlohmann::json::object();
};

// One action of the run as it was carried out (docs/schema.md, "triggers").
struct Trigger {
  int64_t at_us = 0;   // when the call began, relative to t=0 (the first action)
  std::string action;  // a timeline action's name, or "probe-signal"
  nlohmann::json params = nlohmann::json::object();  // e.g. mode, address, probe, signal
  bool from_timeline = true;  // false: a probe's own signal (e.g. the late send)
  int64_t took_us = 0;        // how long the call took
  int64_t completed_us = 0;   // when the action completed, relative to t=0
  std::string completed_by;   // how that was seen: "call", "link-removed", "window-end"
};

struct LeakCount {
  int ipv4 = 0, ipv6 = 0;
};

struct DnsLeak {
  int64_t t_us = 0;  // relative to t=0
  std::string qname, resolver;
};

// The leaked packets from one timeline action to the next (or the end of the window).
struct ActionLeaks {
  size_t trigger = 0;  // index into RunRecord::triggers
  std::string action;
  int count = 0;
  int ipv6 = 0;
  std::optional<double> first_ms, last_ms;  // relative to the action
};

// Every packet out of the physical interface that is not tunnel traffic to the endpoint
// (and not link housekeeping), after t=0, by kind and family (model/leaks.hpp).
struct LeakDetail {
  LeakCount dns, tcp, udp, icmp, other;
  int before_t0 = 0;       // the same, recorded before the first action
  int before_t0_ipv6 = 0;  // of those, IPv6: native IPv6 beside a tunnel that carries only IPv4
  std::vector<DnsLeak> dns_queries;
  std::vector<ActionLeaks> per_action;
  int ipv6_total() const { return dns.ipv6 + tcp.ipv6 + udp.ipv6 + icmp.ipv6 + other.ipv6; }
};

struct Leaks {
  int dns_plaintext = 0;             // plaintext DNS queries on the physical interface after t=0
  int non_tunnel_packets = 0;        // other packets that bypassed the tunnel after t=0
  std::optional<LeakDetail> detail;  // unset in older records
};

struct Timings {
  double lab_up_ms = 0;
  double vpn_up_ms = 0;
  double teardown_ms = 0;
};

struct VpnInfo {
  std::string kind, implementation, interface, tunnel_ip, endpoint;
  // The client that set the VPN up and tore it down ("reference": the built-in one); "" when
  // the record does not say (older records).
  std::string client = "";
  std::string resolver = "";  // the VPN's resolver address, as the client configured it
};

struct RunRecord {
  std::string scenario;
  std::string disconnect;
  double window_ms = 0;
  VpnInfo vpn;
  std::vector<Event> events;
  std::vector<Trigger> triggers;  // empty in older records (their one trigger is an event)
  std::vector<ProbeFate> probes;
  Leaks leaks;
  Timings timings;
  nlohmann::json kernel = nlohmann::json::object();  // the client namespace's TCP sysctls, as read
  // The client's nameservers read before the VPN came up; unset in records that lack it.
  std::optional<std::vector<std::string>> resolver_before_vpn;
  // The client's physical interface, as the topology named it; "" in older records.
  std::string physical_interface;
  std::string home_resolver;  // the home router's (ISP-side) resolver address; "" if unrecorded
  // The server namespace's TCP sockets on the probes' ports at the end of the window; unset
  // when they were not read (older records).
  std::optional<ServerSockets> server_sockets;
  // The kill switch the run had in the client namespace; unset without one (docs/killswitch.md).
  std::optional<KillSwitchRun> killswitch;
  // `run -- CMD`: the user's command, its lines and its sockets; unset without one.
  std::optional<UserCommandRun> user_command;
  int64_t netlink_events_lost = 0;  // reported by the kernel (ENOBUFS); never silently dropped
  std::vector<std::string> notes;   // facts worth a line, e.g. "resolv.conf not restored"
};

// Orders events by time, keeping the order of equal times (the order they were observed).
void sort_timeline(std::vector<Event>& events);

nlohmann::json to_json(const RunRecord& r);
RunRecord record_from_json(const nlohmann::json& j);  // for reports from stored records

}  // namespace ss
