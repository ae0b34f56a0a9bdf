#pragma once
// What each fuzz target checks, shared by the libFuzzer entry points (tests/fuzz/*_fuzz.cpp,
// clang only) and by the seeded corpus replay in the unit tests (any compiler, run under the
// sanitizer build in CI). Each check returns "" when the input was handled as documented, or
// what went wrong; an exception other than the documented ones escapes to the caller.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "model/errors.hpp"
#include "model/packet.hpp"
#include "model/record.hpp"
#include "model/scenario.hpp"

namespace ss::fuzz {

// Any text: a valid scenario within its documented ranges, or a UsageError naming the file.
inline std::string check_scenario(std::span<const uint8_t> data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  Scenario s;
  try {
    s = parse_scenario(text, "fuzz.toml");
  } catch (const UsageError& e) {
    return std::string_view(e.what()).starts_with("fuzz.toml:")
               ? ""
               : "message without the file: " + std::string(e.what());
  }
  if (s.name.empty()) return "accepted without a name";
  if (s.window < Micros(100'000) || s.window > Micros(60'000'000)) return "window out of range";
  if (s.before < Micros(0) || s.before > Micros(10'000'000)) return "before out of range";
  if (s.vpn.port < 1 || s.vpn.port > 65535) return "port out of range";
  for (const auto* ifname : {&s.topology.client_if, &s.vpn.client_if, &s.vpn.server_if})
    if (ifname->empty() || ifname->size() > 15) return "bad interface name accepted: " + *ifname;
  for (const auto& p : s.probes)
    if (p.interval < Micros(10'000) || p.interval > Micros(10'000'000))
      return "probe interval out of range";
  return "";
}

// Any bytes as an Ethernet frame, and as a DNS message: decoded within bounds, classified.
inline std::string check_packet(std::span<const uint8_t> data) {
  const PacketInfo p = decode_ethernet(data);
  if (p.l4_payload > data.size()) return "payload longer than the frame";
  if (p.dns && p.dns->qname.size() > data.size()) return "qname longer than the frame";
  if (p.l3 == PacketInfo::L3::other && (!p.src.empty() || p.sport))
    return "addresses without a network layer";
  const PacketClass c = classify(p, {"198.51.100.1", 51820});
  if (std::string_view(packet_class_name(c)) == "?") return "unnamed class";
  if (auto q = parse_dns(data)) {
    if (q->qname.empty() || q->qname.size() > data.size()) return "bad qname length";
  }
  return "";
}

// Any bytes as a stored record: rejected (not JSON, not splitsecond.run/1, wrong shape: the
// exceptions below), or read; what is read writes and reads back to the same JSON.
inline std::string check_record(std::span<const uint8_t> data, bool* was_read = nullptr) {
  const auto j = nlohmann::json::parse(data.begin(), data.end(), nullptr, false);
  if (j.is_discarded()) return "";
  RunRecord r;
  try {
    r = record_from_json(j);
  } catch (const std::invalid_argument&) {
    return "";
  } catch (const nlohmann::json::exception&) {
    return "";
  }
  if (was_read) *was_read = true;
  const nlohmann::json once = to_json(r);
  const nlohmann::json twice = to_json(record_from_json(once));
  if (once != twice) return "not stable through a second round trip";
  std::vector<Event> events = r.events;
  sort_timeline(events);
  for (size_t i = 1; i < events.size(); ++i)
    if (events[i - 1].t_us > events[i].t_us) return "timeline out of order after sorting";
  return "";
}

}  // namespace ss::fuzz
