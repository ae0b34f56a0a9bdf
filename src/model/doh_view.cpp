#include "model/doh_view.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string>

namespace ss {
namespace {

// "Doh.Splitsecond.Test." and "doh.splitsecond.test" are the same name.
std::string normal_name(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

const nlohmann::json* ready_line(const AgentLines& client) {
  for (const auto& l : client)
    if (l.value("kind", "") == "ready") return &l;
  return nullptr;
}

nlohmann::json plaintext_after(const std::set<std::string>& names, const std::vector<Event>& events,
                               int64_t window_us) {
  int count = 0;
  std::set<std::string> qnames, resolvers;
  std::optional<double> first_ms;
  for (const auto& e : events) {
    if (e.layer != Layer::packet || e.kind != "dns_plaintext" || e.t_us < 0 || e.t_us > window_us)
      continue;
    if (e.detail.value("dir", "") != "out" || !e.detail.contains("dns")) continue;
    const auto& dns = e.detail["dns"];
    const std::string qname = normal_name(dns.value("qname", ""));
    if (dns.value("response", false) || !names.count(qname)) continue;
    ++count;
    qnames.insert(qname);
    resolvers.insert(e.detail.value("dst", ""));
    if (!first_ms) first_ms = static_cast<double>(e.t_us) / 1000.0;
  }
  return {{"count", count},
          {"qnames", qnames},
          {"resolvers", resolvers},
          {"first_ms", first_ms ? nlohmann::json(*first_ms) : nlohmann::json(nullptr)}};
}

// Lookups after t=0 that failed on the connection opened before it, and whether one was
// still waiting on it at the end of the window (its `waiting` line not followed by its
// `lookup` line before the end).
nlohmann::json old_connection(const AgentLines& client, int64_t t0_ns, int64_t end_ns) {
  int failed = 0;
  const nlohmann::json* waiting = nullptr;
  for (const auto& l : client) {
    const int64_t t = l.value("t_ns", int64_t{0});
    if (t < t0_ns || t > end_ns) continue;
    const std::string kind = l.value("kind", "");
    if (kind == "waiting") waiting = l.value("on", "") == "old connection" ? &l : nullptr;
    if (kind != "lookup") continue;
    waiting = nullptr;
    if (!l.value("ok", false) && !l.value("new_connection", true)) ++failed;
  }
  nlohmann::json since = nullptr;
  if (waiting) {
    const int64_t start =
        waiting->value("t_ns", int64_t{0}) - waiting->value("since_ms", int64_t{0}) * 1'000'000;
    since = static_cast<double>((start - t0_ns) / 1000) / 1000.0;
  }
  return {{"failed_lookups_after_t0", failed},
          {"pending_at_end", waiting != nullptr},
          {"waiting_since_ms", since}};
}

}  // namespace

nlohmann::json doh_plaintext_view(const AgentLines& client, const std::vector<Event>& events,
                                  int64_t t0_ns, int64_t end_ns) {
  const nlohmann::json* ready = ready_line(client);
  if (!ready) return nlohmann::json::object();
  std::set<std::string> names;
  if ((*ready).value("name", "") != "") names.insert(normal_name((*ready)["name"]));
  nlohmann::json bootstrap = nullptr;
  if (ready->contains("bootstrap_name") && (*ready)["bootstrap_name"].is_string()) {
    bootstrap = (*ready)["bootstrap_name"];
    names.insert(normal_name(bootstrap));
  }
  int resolutions = 0;
  for (const auto& l : client) {
    const int64_t t = l.value("t_ns", int64_t{0});
    if (l.value("kind", "") == "resolve" && t >= t0_ns && t <= end_ns) ++resolutions;
  }
  return {{"plaintext_dns_after_t0", plaintext_after(names, events, (end_ns - t0_ns) / 1000)},
          {"bootstrap",
           {{"name", bootstrap},
            {"dns_cache_s", ready->value("dns_cache_s", nlohmann::json(nullptr))},
            {"resolutions_after_t0", resolutions}}},
          {"old_connection", old_connection(client, t0_ns, end_ns)}};
}

}  // namespace ss
