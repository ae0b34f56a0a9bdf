#pragma once
// A reconnect storm's figures, from what was recorded: the server namespace's kernel counters
// (/proc/net/netstat and /proc/net/snmp as text) and their change, and the recovery of a lab
// storm from its agents' timestamped lines (docs/storms.md, "A storm from a real VPN event").
// Pure: text and lines in, values out; nothing here is an expected outcome.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/fate.hpp"

namespace ss {

// The counters a storm can move on the server's side, as the kernel keeps them per network
// namespace (cumulative since the namespace was created).
struct KernelCounters {
  int64_t listen_overflows = 0;  // TcpExt ListenOverflows: accept queue full
  int64_t listen_drops = 0;      // TcpExt ListenDrops: SYNs dropped at a listener (any reason)
  int64_t syncookies_sent = 0;   // TcpExt SyncookiesSent: SYN queue full, answered with cookies
  int64_t out_rsts = 0;          // Tcp OutRsts: resets sent
  bool operator==(const KernelCounters&) const = default;
};

// Reads the counters from the two files' text ("TcpExt:" / "Tcp:" header and value lines).
// Throws std::invalid_argument naming the file and field when one is missing or malformed.
KernelCounters parse_kernel_counters(std::string_view netstat, std::string_view snmp);
// after - before, field by field.
KernelCounters counter_delta(const KernelCounters& before, const KernelCounters& after);
nlohmann::json to_json(const KernelCounters& c);
// The inverse of to_json; throws nlohmann::json exceptions on a missing field.
KernelCounters counters_from_json(const nlohmann::json& j);

// The server's TCP sockets on its port at one moment (sock_diag), by state.
struct PortSockets {
  int64_t established = 0, syn_recv = 0, close_wait = 0, other = 0;
};
nlohmann::json to_json(const PortSockets& s);
PortSockets port_sockets_from_json(const nlohmann::json& j);

// The smallest count that is at least `fraction` of n (at least 1): 50% of 3 is 2.
uint64_t share_of(uint64_t n, double fraction);

// The storm agents print what happened in batches (one line every few hundred ms, so that a
// storm of thousands is a handful of timeline events): a `batch` line carries `up`, `lost`,
// `fail` ([client, t_ns, error]) or `upgraded` ([peer, t_ns]) arrays. This returns one line
// per event (kind, `c` or `peer`, `error`, t_ns), in time order, other lines kept as they are.
AgentLines expand_storm_batches(const AgentLines& lines);

// The lab storm's figures, from the storm-client lines (`up`, `lost`, `fail`, each with the
// client's number `c`, batched or not) and the storm-server lines (`upgraded` with `peer`,
// `counters` with `counters` and `sockets`), around t=0 and up to the end of the window. Returns
// the record's "storm" object (docs/schema.md).
nlohmann::json storm_figures(const AgentLines& client, const AgentLines& server, int64_t t0_ns,
                             int64_t end_ns, int64_t bucket_ns = 10'000'000);

}  // namespace ss
