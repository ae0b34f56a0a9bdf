#include "model/claims_server_doh.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>

namespace ss {
namespace {

const ProbeFate* clean_probe(const ClaimRuns& runs, const std::string& name) {
  auto it = runs.find("clean");
  if (it == runs.end()) return nullptr;
  for (const auto& p : it->second.probes)
    if (p.name == name && p.setup_ok) return &p;
  return nullptr;
}

std::optional<int64_t> int_field(const nlohmann::json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number_integer()) return j[key].get<int64_t>();
  return std::nullopt;
}

std::string join(const nlohmann::json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& v : list) out += (out.empty() ? "" : ", ") + v.get<std::string>();
  return out;
}

ClaimResult not_measured(ClaimResult c, const std::string& why) {
  c.measured = why;
  c.verdict = "not measured";
  return c;
}

std::string fate_words(const ProbeFate& p) {
  if (p.survived) return "kept working";
  if (p.error) return fmt::format("failed at {:.0f} ms ({})", p.detected_ms.value_or(0), *p.error);
  return "no error and no answer to the end of the window";
}

// "; doh.splitsecond.test resolved 0 times after t=0 (libcurl's DNS cache: 60 s)"
std::string bootstrap_text(const nlohmann::json& extra) {
  if (!extra.contains("bootstrap") || !extra["bootstrap"]["name"].is_string())
    return "; the client named its resolver by address (no bootstrap lookup)";
  const auto& b = extra["bootstrap"];
  std::string s = fmt::format("; {} resolved {} times after t=0", b["name"].get<std::string>(),
                              int_field(b, "resolutions_after_t0").value_or(0));
  if (auto cache = int_field(b, "dns_cache_s"))
    s += fmt::format(" (the client's DNS cache keeps it {} s)", *cache);
  return s;
}

// Why no new connection came, from what the record shows of the old one.
std::string no_new_connection_condition(const nlohmann::json& extra) {
  std::string s = "no new connection was opened within the window";
  if (!extra.contains("old_connection")) return s;
  const auto& o = extra["old_connection"];
  if (o.value("pending_at_end", false)) {
    s += ": the old one was still being waited on";
    if (o["waiting_since_ms"].is_number())
      s += fmt::format(" (a lookup sent on it at {:.0f} ms had no answer at the end)",
                       o["waiting_since_ms"].get<double>());
  } else if (auto failed = int_field(o, "failed_lookups_after_t0"); failed && *failed > 0) {
    s += fmt::format(": {} lookups failed on the old connection", *failed);
  }
  return s;
}

}  // namespace

ClaimResult doh_claim(const ClaimRuns& runs) {
  ClaimResult c{"doh-partial",
                "DNS over HTTPS needs a new connection after the disconnect but never falls back "
                "to plaintext.",
                "", "", ""};
  const ProbeFate* p = clean_probe(runs, "doh");
  if (!p) return not_measured(c, "no clean run with the doh probe");
  const auto fresh = int_field(p->extra, "new_connections_after");
  if (!fresh) return not_measured(c, "the doh probe's record has no new_connections_after");
  if (!p->extra.contains("plaintext_dns_after_t0"))
    return not_measured(c,
                        "the doh probe's record has no plaintext_dns_after_t0 (the DoH client's "
                        "plaintext DNS was not counted)");
  const auto& plain = p->extra["plaintext_dns_after_t0"];
  const auto count = int_field(plain, "count");
  if (!count) return not_measured(c, "plaintext_dns_after_t0 has no count");
  c.measured = fmt::format(
      "clean: {}; {} new HTTPS connections after t=0; {} plaintext DNS queries for "
      "its names after t=0",
      fate_words(*p), *fresh, *count);
  if (*count > 0) {
    // A missing time is left out, never printed as 0.
    const bool timed = plain.contains("first_ms") && plain["first_ms"].is_number();
    c.measured += fmt::format(
        " ({} to {}{})", join(plain["qnames"]), join(plain["resolvers"]),
        timed ? fmt::format(", the first at {:.0f} ms", plain["first_ms"].get<double>()) : "");
  }
  c.measured += bootstrap_text(p->extra);
  if (p->extra.contains("recovered_ms") && p->extra["recovered_ms"].is_number())
    c.measured +=
        fmt::format("; working again at {:.0f} ms", p->extra["recovered_ms"].get<double>());
  if (*count > 0) {
    c.verdict = "contradicted";
    c.condition = "the client resolved names again through the system resolver, in plaintext";
  } else if (*fresh > 0) {
    c.verdict = "confirmed";
  } else {
    c.verdict = "depends";
    c.condition = no_new_connection_condition(p->extra);
  }
  return c;
}

namespace {

bool is_reset(const Event& e) {
  if (e.layer != Layer::probe || e.t_us < 0 || (e.kind != "close" && e.kind != "error"))
    return false;
  const std::string agent = e.detail.value("agent", "");
  if (agent.size() < 7 || agent.compare(agent.size() - 7, 7, "-server") != 0) return false;
  const auto& err = e.detail.contains("error") ? e.detail["error"] : nlohmann::json(nullptr);
  return err.is_string() && err.get<std::string>().find("ECONNRESET") != std::string::npos;
}

struct RunView {
  int half_open = 0, resets = 0;
  std::string text;
};

// ":7001" for "198.51.100.10:7001".
std::string port_of(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  return colon == std::string::npos ? endpoint : endpoint.substr(colon);
}

// "at 5000 ms the server held 3 probe connections, 2 half-open (no data since the disconnect,
// for 4996-5000 ms): :7001 x2; not half-open: 203.0.113.2:48416 -> :7003 ESTABLISHED, last
// data at 4832 ms; no server agent saw a reset"
RunView view_of(const RunRecord& r) {
  const ServerSockets& v = *r.server_sockets;
  RunView out;
  std::map<std::string, int> half_open_ports;
  double shortest = 0, longest = 0;
  std::string others;
  for (const auto& s : v.sockets) {
    if (auto h = half_open_ms(s, v)) {
      shortest = out.half_open ? std::min(shortest, *h) : *h;
      longest = std::max(longest, *h);
      ++out.half_open;
      ++half_open_ports[port_of(s.local)];
      continue;
    }
    std::string one = fmt::format("{} -> {} {}", s.peer, port_of(s.local), s.state);
    if (auto last = last_data_at_ms(s, v)) one += fmt::format(", last data at {:.0f} ms", *last);
    others += (others.empty() ? "" : ", ") + one;
  }
  out.text = fmt::format("at {:.0f} ms the server held {} probe connections, {} half-open",
                         v.read_at_ms, v.sockets.size(), out.half_open);
  if (out.half_open) {
    std::string ports;
    for (const auto& [port, n] : half_open_ports)
      ports += (ports.empty() ? "" : ", ") + (n > 1 ? fmt::format("{} x{}", port, n) : port);
    out.text += fmt::format(" (no data since the disconnect, for {:.0f}-{:.0f} ms): {}", shortest,
                            longest, ports);
  }
  if (!others.empty()) out.text += "; not half-open: " + others;
  std::string resets;
  for (const auto& e : r.events)
    if (is_reset(e)) {
      ++out.resets;
      resets += fmt::format("{}{} at {:.0f} ms", resets.empty() ? "" : ", ",
                            e.detail.value("agent", ""), static_cast<double>(e.t_us) / 1000.0);
    }
  out.text +=
      out.resets ? "; server agents saw ECONNRESET: " + resets : "; no server agent saw a reset";
  return out;
}

}  // namespace

ClaimResult server_view_claim(const ClaimRuns& runs) {
  ClaimResult c{"server-view",
                "The server sees the disconnect as \"connection reset by peer\" or keeps a "
                "half-open connection.",
                "", "", ""};
  int measured = 0, seen = 0;
  std::string when;
  for (const char* name : {"clean", "crash", "keep-interface"}) {
    auto it = runs.find(name);
    if (it == runs.end() || !it->second.server_sockets) continue;
    const RunView v = view_of(it->second);
    ++measured;
    const bool saw = v.half_open > 0 || v.resets > 0;
    seen += saw;
    c.measured += fmt::format("{}{}: {}", c.measured.empty() ? "" : "; ", name, v.text);
    when += fmt::format("{}{}: {}", when.empty() ? "" : "; ", name,
                        v.resets      ? "reset"
                        : v.half_open ? "half-open"
                                      : "neither");
  }
  if (!measured)
    return not_measured(c, "no run read the server's sockets (server_sockets is missing)");
  c.verdict = seen == measured ? "confirmed" : seen == 0 ? "contradicted" : "depends";
  if (c.verdict == "depends") c.condition = when;
  return c;
}

}  // namespace ss
