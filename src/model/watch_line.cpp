#include "model/watch_line.hpp"

#include <fmt/format.h>
#include <netinet/in.h>

namespace ss {
namespace {

std::string str(const nlohmann::json& d, const char* key) {
  if (!d.contains(key) || d[key].is_null()) {
    return "";
  }
  return d[key].is_string() ? d[key].get<std::string>() : d[key].dump();
}

std::string list(const nlohmann::json& j) {
  std::string out;
  if (!j.is_array()) {
    return "(none)";
  }
  for (const auto& x : j) {
    out += (out.empty() ? "" : ",") + x.get<std::string>();
  }
  return out.empty() ? "(none)" : out;
}

std::string link_text(const std::string& kind, const nlohmann::json& d) {
  std::string what = str(d, "link_kind");
  if (d.value("pointopoint", false)) {
    what += what.empty() ? "point-to-point" : ", point-to-point";
  }
  return fmt::format("{} {}{}", str(d, "ifname"), kind, what.empty() ? "" : " (" + what + ")");
}

std::string route_text(const std::string& kind, const nlohmann::json& d) {
  if (kind == "rule-added" || kind == "rule-removed") {
    std::string r = "rule";
    if (d.value("invert", false)) {
      r += " not";
    }
    if (d.contains("fwmark") && !d["fwmark"].is_null()) {
      r += " fwmark " + str(d, "fwmark");
    }
    r += " table " + str(d, "table");
    if (d.contains("suppress_prefixlength") && !d["suppress_prefixlength"].is_null()) {
      r += " suppress_prefixlength " + str(d, "suppress_prefixlength");
    }
    return fmt::format("{} ({}) {}", r, str(d, "family"),
                       kind == "rule-added" ? "added" : "removed");
  }
  return fmt::format("{} dev {}{} (table {}, {}) {}{}", str(d, "dst"), str(d, "dev"),
                     str(d, "gateway").empty() ? "" : " via " + str(d, "gateway"), str(d, "table"),
                     str(d, "type"), kind, d.value("notified", true) ? "" : " (not announced)");
}

std::string proto_text(int proto) {
  return proto == IPPROTO_TCP    ? "TCP"
         : proto == IPPROTO_UDP  ? "UDP"
         : proto == IPPROTO_ICMP ? "ICMP"
         : proto == 58           ? "ICMPv6"
                                 : fmt::format("proto {}", proto);
}

std::string event_text(const nlohmann::json& line) {
  const std::string layer = str(line, "layer");
  std::string kind = str(line, "kind");
  const nlohmann::json& d = line["detail"];
  if (layer == "link") {
    return link_text(kind, d);
  }
  if (layer == "addr") {
    return fmt::format("{} {} on {}", str(d, "address"), kind, str(d, "dev"));
  }
  if (layer == "route") {
    return route_text(kind, d);
  }
  if (layer == "dns" && kind == "resolver_changed") {
    return fmt::format("resolv.conf nameservers {} -> {}", list(d["from"]), list(d["to"]));
  }
  return kind;
}

}  // namespace

WatchLine event_line(int64_t t_us, const Event& e) {
  // The event's own fields stay apart: a route's "type" is not the line's.
  return {t_us, "event", {{"layer", layer_name(e.layer)}, {"kind", e.kind}, {"detail", e.detail}}};
}

WatchLine mark_line(int64_t t_us, const WatchMark& m) {
  WatchLine l{t_us, "mark", {{"kind", m.kind}, {"dev", m.dev}, {"how", m.how}}};
  if (m.ordinal > 0) {
    l.detail["n"] = m.ordinal;
  }
  return l;
}

WatchLine alarm_line(int64_t t_us, const LeakAlarm& a, const std::string& ifname,
                     const PacketInfo& p) {
  WatchLine l{t_us,
              "alarm",
              {{"kind", a.kind},
               {"why", a.why},
               {"interface", ifname},
               {"src", p.src},
               {"dst", p.dst},
               {"proto", p.proto},
               {"sport", p.sport},
               {"dport", p.dport}}};
  if (p.dns) {
    l.detail["qname"] = p.dns->qname;
  }
  return l;
}

WatchLine destroyed_line(int64_t t_us, const DestroyedSocket& s) {
  return {t_us, "destroyed", to_json(s)};
}

WatchLine notice_line(int64_t t_us, const std::string& kind, const std::string& text) {
  return {t_us, "notice", {{"kind", kind}, {"text", text}}};
}

WatchLine summary_line(int64_t t_us, const WatchSummary& s) {
  return {t_us,
          "summary",
          {{"seconds", s.seconds},
           {"disconnects", s.disconnects},
           {"reconnects", s.reconnects},
           {"leaks", {{"dns", s.leaks_dns}, {"other", s.leaks_other}}},
           {"alarm_lines_suppressed", s.alarm_lines_suppressed},
           {"destroyed_sockets", s.destroyed},
           {"events", s.events},
           {"packets", s.packets},
           {"netlink_lost", s.netlink_lost},
           {"resyncs", s.resyncs},
           {"destroy_lost", s.destroy_lost},
           {"pcap_dropped", s.pcap_dropped},
           {"capture", s.capture},
           {"destroyed_watched", s.destroy_ok}}};
}

std::string terminal_text(const WatchLine& l) {
  const auto& d = l.detail;
  std::string tag = l.type, what;
  if (l.type == "event") {
    tag = str(d, "layer");
    what = event_text(d);
  } else if (l.type == "mark") {
    tag = "MARK";
    std::string k = str(d, "kind");
    for (auto& c : k) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    what = fmt::format("{}{} {}: {}", k, d.contains("n") ? " #" + str(d, "n") : "", str(d, "dev"),
                       str(d, "how"));
  } else if (l.type == "alarm") {
    tag = "ALARM";
    what = fmt::format("{} leak on {}: {} {}:{} -> {}:{}{} {}", str(d, "kind"), str(d, "interface"),
                       proto_text(d.value("proto", 0)), str(d, "src"), str(d, "sport"),
                       str(d, "dst"), str(d, "dport"),
                       d.contains("qname") ? " query " + str(d, "qname") : "", str(d, "why"));
  } else if (l.type == "destroyed") {
    tag = "socket";
    what = fmt::format("destroyed {} {} {}:{} -> {}:{} in {}", str(d, "proto"), str(d, "family"),
                       str(d, "src"), str(d, "sport"), str(d, "dst"), str(d, "dport"),
                       str(d, "state"));
    if (str(d, "proto") == "tcp") {  // UDP's queue fields carry no such meaning here
      what += fmt::format(" (queued {} out, {} in)", str(d, "wqueue"), str(d, "rqueue"));
    }
  } else if (l.type == "notice") {
    what = str(d, "text");
  } else if (l.type == "summary") {
    what = fmt::format(
        "{:.1f} s: {} disconnects, {} reconnects, {} DNS and {} other leaked packets, {} "
        "destroyed sockets, {} rtnetlink overruns ({} resyncs), {} capture drops",
        d.value("seconds", 0.0), str(d, "disconnects"), str(d, "reconnects"),
        str(d["leaks"], "dns"), str(d["leaks"], "other"), str(d, "destroyed_sockets"),
        str(d, "netlink_lost"), str(d, "resyncs"), str(d, "pcap_dropped"));
  }
  return fmt::format("{:12.6f} s  {:<7} {}", static_cast<double>(l.t_us) / 1e6, tag, what);
}

nlohmann::json ndjson(const WatchLine& l) {
  nlohmann::json j = {{"t_us", l.t_us}, {"type", l.type}};
  for (const auto& [k, v] : l.detail.items()) {
    j[k] = v;
  }
  return j;
}

}  // namespace ss
