#include "model/derive.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "model/doh_view.hpp"
#include "model/leaks.hpp"

namespace ss {
namespace {

Event packet_event(const ClassifiedPacket& p, int64_t t0_ns) {
  Event e;
  e.t_us = (p.mono_ns - t0_ns) / 1000;
  e.layer = Layer::packet;
  e.kind = packet_class_name(p.cls);
  e.detail = {{"dir", p.outgoing ? "out" : "in"},
              {"src", p.info.src},
              {"dst", p.info.dst},
              {"proto", p.info.proto},
              {"sport", p.info.sport},
              {"dport", p.info.dport}};
  if (p.info.proto == 6) e.detail["tcp_flags"] = p.info.tcp_flags;
  if (p.info.dns)
    e.detail["dns"] = {{"qname", p.info.dns->qname}, {"response", p.info.dns->response}};
  return e;
}

// A crash completes when the tunnel link goes (survival_rule.hpp), not when SIGKILL returns.
void complete_crashes(std::vector<Trigger>& triggers, const Observations& obs,
                      const RunFacts& facts) {
  for (auto& t : triggers) {
    if (t.action != "disconnect" || t.params.value("mode", "") != "crash") continue;
    const int64_t at = facts.t0_ns + t.at_us * 1000;
    const TriggerEnd e =
        trigger_end(true, obs.events, facts.tunnel_if, at, at + t.took_us * 1000, facts.end_ns);
    t.completed_us = (e.at_ns - facts.t0_ns) / 1000;
    t.completed_by = e.by;
  }
}

Event trigger_event(const Trigger& t) {
  Event e;
  e.t_us = t.at_us;
  e.layer = Layer::link;
  e.kind = "trigger";
  e.detail = {{"mode", t.action == "disconnect" ? t.params.value("mode", "") : t.action},
              {"action", t.action},
              {"took_us", t.took_us},
              {"completed_us", t.completed_us},
              {"completed_by", t.completed_by}};
  return e;
}

void add_agent_events(const AgentOutput& a, const RunFacts& f, RunRecord& r) {
  for (const auto& l : notable_lines(a.lines, f.t0_ns, f.end_ns)) {
    Event e;
    e.t_us = (l.value("t_ns", int64_t{0}) - f.t0_ns) / 1000;
    e.layer = a.name == "dns-client" ? Layer::dns : Layer::probe;
    e.kind = l.value("kind", "");
    e.detail = l;
    e.detail.erase("t_ns");
    e.detail.erase("kind");
    r.events.push_back(std::move(e));
  }
}

ProbeFate fate_of(const ProbeOutput& p, const Window& w,
                  const std::vector<ClassifiedPacket>& packets) {
  if (p.setup_error) {
    ProbeFate f;
    f.name = p.name;
    f.proto = p.proto;
    f.setup_ok = false;
    f.error = p.setup_error;
    return f;
  }
  ProbeFate f = p.fate(p.client, p.server, w);
  if (f.proto == "tcp") {
    auto v = wire_view(p.client, packets, w.t0_ns, w.end_ns);
    if (!v.is_null()) f.extra["wire_after_t0"] = std::move(v);
  }
  return f;
}

// Each fate against each action: which action was in force when the error came.
void fate_per_action(ProbeFate& f, const std::vector<Trigger>& triggers) {
  if (!f.detected_ms) return;
  const int64_t t_us = static_cast<int64_t>(*f.detected_ms * 1000.0);
  auto i = action_at(triggers, t_us);
  if (!i) return;
  f.extra["after_action"] = {{"trigger", *i},
                             {"action", triggers[*i].action},
                             {"ms", static_cast<double>(t_us - triggers[*i].at_us) / 1000.0}};
}

}  // namespace

std::optional<size_t> action_at(const std::vector<Trigger>& triggers, int64_t t_us) {
  std::optional<size_t> found;
  for (size_t i = 0; i < triggers.size(); ++i)
    if (triggers[i].from_timeline && triggers[i].at_us <= t_us &&
        (!found || triggers[i].at_us >= triggers[*found].at_us))
      found = i;
  return found;
}

nlohmann::json wire_view(const AgentLines& client, const std::vector<ClassifiedPacket>& packets,
                         int64_t t0_ns, int64_t end_ns) {
  std::string local;
  for (const auto& l : client)
    if (l.value("kind", "") == "ready") local = l.value("local", "");
  auto colon = local.rfind(':');
  if (colon == std::string::npos) return nullptr;
  const int port = std::atoi(local.c_str() + colon + 1);
  int out = 0, in = 0, rst_in = 0;
  std::set<std::string> sources;
  for (const auto& p : packets) {
    if (p.mono_ns < t0_ns || p.mono_ns > end_ns || p.info.proto != 6) continue;
    if (p.outgoing && p.info.sport == port) ++out, sources.insert(p.info.src);
    if (!p.outgoing && p.info.dport == port) ++in, rst_in += (p.info.tcp_flags & 4) ? 1 : 0;
  }
  return {{"segments_out", out}, {"segments_in", in}, {"rst_in", rst_in}, {"sources", sources}};
}

void derive_record(RunRecord& r, const Observations& obs, const std::vector<AgentOutput>& agents,
                   const std::vector<ProbeOutput>& probes, const RunFacts& facts) {
  r.triggers = facts.triggers;
  complete_crashes(r.triggers, obs, facts);
  const auto packets = classify_packets(obs.packets, facts.own_addresses, facts.endpoint);
  for (const auto& [t, e] : obs.events) {
    Event ev = e;
    ev.t_us = (t - facts.t0_ns) / 1000;
    r.events.push_back(std::move(ev));
  }
  for (const auto& p : packets) r.events.push_back(packet_event(p, facts.t0_ns));
  for (const auto& t : r.triggers)
    if (t.from_timeline) r.events.push_back(trigger_event(t));
  for (const auto& a : agents) add_agent_events(a, facts, r);
  sort_timeline(r.events);

  // The fates' "disconnect completed": the first action's completion.
  int64_t first_done = facts.t0_ns;
  for (const auto& t : r.triggers)
    if (t.from_timeline) {
      first_done = facts.t0_ns + t.completed_us * 1000;
      break;
    }
  const Window w{facts.t0_ns, first_done, facts.end_ns};
  for (const auto& p : probes) {
    r.probes.push_back(fate_of(p, w, packets));
    fate_per_action(r.probes.back(), r.triggers);
    if (p.proto == "doh" && !p.setup_error)
      r.probes.back().extra.update(
          doh_plaintext_view(p.client, r.events, facts.t0_ns, facts.end_ns));
  }
  const LeakDetail detail = leaks_per_packet(packets, r.triggers, facts.t0_ns, facts.end_ns);
  r.leaks = leak_totals(packets, facts.t0_ns, facts.end_ns);
  r.leaks.detail = detail;
  r.netlink_events_lost = obs.netlink_lost;
  if (obs.pcap_dropped)
    r.notes.push_back(
        fmt::format("the capture dropped {} packets (libpcap ps_drop)", obs.pcap_dropped));
}

}  // namespace ss
