#pragma once
// What the DoH client did besides DoH: the plaintext DNS packets it sent after t=0 (found on
// the captured interface by the names only it asks: its lookup name and its resolver's name),
// the resolutions of its resolver's name it started, and whether a lookup was left waiting on
// the connection opened before the disconnect. Pure: the record's events and the client's
// lines in, JSON fields for the probe's fate out.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/fate.hpp"
#include "model/record.hpp"

namespace ss {

// {"plaintext_dns_after_t0": {"count", "qnames", "resolvers", "first_ms"},
//  "bootstrap": {"name", "dns_cache_s", "resolutions_after_t0"},
//  "old_connection": {"failed_lookups_after_t0", "pending_at_end", "waiting_since_ms"}}
// `events` are the record's (t_us relative to t0_ns); the window is [t0_ns, end_ns]. Empty
// when the client never said it was ready (it names its lookup and bootstrap names there).
nlohmann::json doh_plaintext_view(const AgentLines& client, const std::vector<Event>& events,
                                  int64_t t0_ns, int64_t end_ns);

}  // namespace ss
