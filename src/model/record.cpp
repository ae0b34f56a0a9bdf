#include "model/record.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>

namespace ss {

const char* layer_name(Layer l) {
  switch (l) {
    case Layer::link:
      return "link";
    case Layer::addr:
      return "addr";
    case Layer::route:
      return "route";
    case Layer::dns:
      return "dns";
    case Layer::packet:
      return "packet";
    case Layer::probe:
      return "probe";
  }
  return "?";
}

namespace {
Layer layer_from(const std::string& s) {
  for (Layer l : {Layer::link, Layer::addr, Layer::route, Layer::dns, Layer::packet, Layer::probe})
    if (s == layer_name(l)) return l;
  throw std::invalid_argument("unknown layer: " + s);
}

// An integer field; a float (even a huge one) or another type is rejected, never converted.
int64_t integer(const nlohmann::json& j, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_number_integer()) throw std::invalid_argument(std::string("not an integer: ") + key);
  return v.get<int64_t>();
}

int count(const nlohmann::json& j, const char* key) {
  int64_t v = integer(j, key);
  if (v < 0 || v > INT32_MAX) throw std::invalid_argument(std::string("out of range: ") + key);
  return static_cast<int>(v);
}

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
}  // namespace

void sort_timeline(std::vector<Event>& events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.t_us < b.t_us; });
}

// Every key but the optional ones.
static nlohmann::json record_json(const RunRecord& r);

namespace {

nlohmann::json leak_count_json(const LeakCount& c) {
  return {{"ipv4", c.ipv4}, {"ipv6", c.ipv6}};
}

LeakCount leak_count_from(const nlohmann::json& j) {
  return {static_cast<int>(integer(j, "ipv4")), static_cast<int>(integer(j, "ipv6"))};
}

nlohmann::json leaks_json(const Leaks& l) {
  nlohmann::json j = {{"dns_plaintext", l.dns_plaintext},
                      {"non_tunnel_packets", l.non_tunnel_packets}};
  if (!l.detail) return j;
  const LeakDetail& d = *l.detail;
  j["by_kind"] = {{"dns", leak_count_json(d.dns)},
                  {"tcp", leak_count_json(d.tcp)},
                  {"udp", leak_count_json(d.udp)},
                  {"icmp", leak_count_json(d.icmp)},
                  {"other", leak_count_json(d.other)}};
  j["ipv6"] = d.ipv6_total();
  j["before_t0"] = d.before_t0;
  j["before_t0_ipv6"] = d.before_t0_ipv6;
  j["dns_queries"] = nlohmann::json::array();
  for (const auto& q : d.dns_queries)
    j["dns_queries"].push_back({{"t_us", q.t_us}, {"qname", q.qname}, {"resolver", q.resolver}});
  j["per_action"] = nlohmann::json::array();
  for (const auto& a : d.per_action)
    j["per_action"].push_back({{"trigger", a.trigger},
                               {"action", a.action},
                               {"count", a.count},
                               {"ipv6", a.ipv6},
                               {"first_ms", opt(a.first_ms)},
                               {"last_ms", opt(a.last_ms)}});
  return j;
}

Leaks leaks_from(const nlohmann::json& j) {
  Leaks l{static_cast<int>(count(j, "dns_plaintext")),
          static_cast<int>(count(j, "non_tunnel_packets")), std::nullopt};
  if (!j.contains("by_kind")) return l;
  LeakDetail d;
  const auto& k = j.at("by_kind");
  d.dns = leak_count_from(k.at("dns"));
  d.tcp = leak_count_from(k.at("tcp"));
  d.udp = leak_count_from(k.at("udp"));
  d.icmp = leak_count_from(k.at("icmp"));
  d.other = leak_count_from(k.at("other"));
  d.before_t0 = static_cast<int>(integer(j, "before_t0"));
  if (j.contains("before_t0_ipv6"))  // absent in older records
    d.before_t0_ipv6 = static_cast<int>(integer(j, "before_t0_ipv6"));
  for (const auto& q : j.at("dns_queries"))
    d.dns_queries.push_back({integer(q, "t_us"), q.at("qname"), q.at("resolver")});
  for (const auto& a : j.at("per_action")) {
    ActionLeaks al;
    al.trigger = static_cast<size_t>(integer(a, "trigger"));
    al.action = a.at("action");
    al.count = static_cast<int>(integer(a, "count"));
    al.ipv6 = static_cast<int>(integer(a, "ipv6"));
    if (!a.at("first_ms").is_null()) al.first_ms = a.at("first_ms").get<double>();
    if (!a.at("last_ms").is_null()) al.last_ms = a.at("last_ms").get<double>();
    d.per_action.push_back(std::move(al));
  }
  l.detail = std::move(d);
  return l;
}

nlohmann::json triggers_json(const std::vector<Trigger>& ts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : ts)
    out.push_back({{"at_us", t.at_us},
                   {"action", t.action},
                   {"params", t.params},
                   {"from_timeline", t.from_timeline},
                   {"took_us", t.took_us},
                   {"completed_us", t.completed_us},
                   {"completed_by", t.completed_by}});
  return out;
}

std::vector<Trigger> triggers_from(const nlohmann::json& j) {
  std::vector<Trigger> out;
  for (const auto& t : j)
    out.push_back({integer(t, "at_us"), t.at("action"), t.value("params", nlohmann::json::object()),
                   t.value("from_timeline", true), integer(t, "took_us"),
                   integer(t, "completed_us"), t.at("completed_by")});
  return out;
}

}  // namespace

nlohmann::json to_json(const RunRecord& r) {
  nlohmann::json j = record_json(r);
  if (!r.kernel.empty()) j["kernel"] = r.kernel;  // the TCP sysctls, when they were read
  if (r.server_sockets) j["server_sockets"] = server_sockets_json(*r.server_sockets);
  if (r.resolver_before_vpn) j["resolver_before_vpn"] = *r.resolver_before_vpn;
  if (!r.home_resolver.empty()) j["home_resolver"] = r.home_resolver;
  if (!r.physical_interface.empty()) j["physical_interface"] = r.physical_interface;
  if (!r.vpn.client.empty()) j["vpn"]["client"] = r.vpn.client;
  if (!r.vpn.resolver.empty()) j["vpn"]["resolver"] = r.vpn.resolver;
  if (r.killswitch) j["killswitch"] = killswitch_run_json(*r.killswitch);
  if (r.user_command) j["user_command"] = user_command_json(*r.user_command);
  return j;
}

static nlohmann::json record_json(const RunRecord& r) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : r.events) {
    nlohmann::json j = e.detail;
    j["t_us"] = e.t_us;
    j["layer"] = layer_name(e.layer);
    j["kind"] = e.kind;
    events.push_back(std::move(j));
  }
  nlohmann::json probes = nlohmann::json::array();
  for (const auto& p : r.probes) {
    nlohmann::json j = p.extra;
    j["name"] = p.name;
    j["proto"] = p.proto;
    j["setup_ok"] = p.setup_ok;
    j["survived"] = p.survived;
    j["error"] = opt(p.error);
    j["detected_ms"] = opt(p.detected_ms);
    probes.push_back(std::move(j));
  }
  nlohmann::json out = {
      {"schema", "splitsecond.run/1"},
      {"scenario", r.scenario},
      {"disconnect", r.disconnect},
      {"window_ms", r.window_ms},
      {"vpn",
       {{"kind", r.vpn.kind},
        {"implementation", r.vpn.implementation},
        {"interface", r.vpn.interface},
        {"tunnel_ip", r.vpn.tunnel_ip},
        {"endpoint", r.vpn.endpoint}}},
      {"events", std::move(events)},
      {"probes", std::move(probes)},
      {"leaks", leaks_json(r.leaks)},
      {"timings",
       {{"lab_up_ms", r.timings.lab_up_ms},
        {"vpn_up_ms", r.timings.vpn_up_ms},
        {"teardown_ms", r.timings.teardown_ms}}},
      {"netlink_events_lost", r.netlink_events_lost},
      {"notes", r.notes},
  };
  if (!r.triggers.empty()) out["triggers"] = triggers_json(r.triggers);  // absent in older records
  return out;
}

RunRecord record_from_json(const nlohmann::json& j) {
  if (j.value("schema", "") != "splitsecond.run/1")
    throw std::invalid_argument("not a splitsecond.run/1 record");
  RunRecord r;
  r.scenario = j.at("scenario");
  r.disconnect = j.value("disconnect", "");
  r.window_ms = j.value("window_ms", 0.0);
  const auto& v = j.at("vpn");
  r.vpn = {v.at("kind"), v.at("implementation"), v.at("interface"), v.at("tunnel_ip"),
           v.at("endpoint")};
  r.vpn.client = v.value("client", "");
  r.vpn.resolver = v.value("resolver", "");
  for (const auto& e : j.at("events")) {
    Event ev;
    ev.t_us = integer(e, "t_us");
    ev.layer = layer_from(e.at("layer"));
    ev.kind = e.at("kind");
    ev.detail = e;
    for (const char* k : {"t_us", "layer", "kind"}) ev.detail.erase(k);
    r.events.push_back(std::move(ev));
  }
  for (const auto& p : j.at("probes")) {
    ProbeFate f;
    f.name = p.at("name");
    f.proto = p.at("proto");
    f.setup_ok = p.value("setup_ok", true);
    f.survived = p.at("survived");
    if (!p.at("error").is_null()) f.error = p.at("error").get<std::string>();
    if (!p.at("detected_ms").is_null()) f.detected_ms = p.at("detected_ms").get<double>();
    f.extra = p;
    for (const char* k : {"name", "proto", "setup_ok", "survived", "error", "detected_ms"})
      f.extra.erase(k);
    r.probes.push_back(std::move(f));
  }
  r.leaks = leaks_from(j.at("leaks"));
  if (j.contains("triggers")) r.triggers = triggers_from(j.at("triggers"));
  const auto& t = j.at("timings");
  r.timings = {t.at("lab_up_ms"), t.at("vpn_up_ms"), t.at("teardown_ms")};
  r.netlink_events_lost = j.contains("netlink_events_lost") ? integer(j, "netlink_events_lost") : 0;
  r.notes = j.value("notes", std::vector<std::string>{});
  if (j.contains("kernel") && j["kernel"].is_object()) r.kernel = j["kernel"];
  if (j.contains("server_sockets"))
    r.server_sockets = server_sockets_from_json(j["server_sockets"]);
  if (j.contains("resolver_before_vpn"))
    r.resolver_before_vpn = j["resolver_before_vpn"].get<std::vector<std::string>>();
  r.home_resolver = j.value("home_resolver", "");
  r.physical_interface = j.value("physical_interface", "");
  if (j.contains("killswitch")) r.killswitch = killswitch_run_from_json(j["killswitch"]);
  if (j.contains("user_command")) r.user_command = user_command_from_json(j["user_command"]);
  return r;
}

}  // namespace ss
