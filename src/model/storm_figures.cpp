#include "model/storm_figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

namespace ss {
namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// The value of `field` in the "<prefix>:" header/value line pair of a /proc/net file.
int64_t field_of(std::string_view text, std::string_view prefix, std::string_view field,
                 const char* file) {
  std::vector<std::string_view> lines;
  for (size_t i = 0; i < text.size();) {
    size_t nl = text.find('\n', i);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(i, nl - i));
    i = nl + 1;
  }
  const std::string head = std::string(prefix) + ":";
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    auto names = words(lines[i]);
    if (names.empty() || names[0] != head) continue;
    auto values = words(lines[i + 1]);
    if (values.size() != names.size() || values[0] != head)
      throw std::invalid_argument(fmt::format("{}: the {} lines do not match", file, prefix));
    for (size_t k = 1; k < names.size(); ++k) {
      if (names[k] != field) continue;
      int64_t v = 0;
      auto [p, ec] = std::from_chars(values[k].data(), values[k].data() + values[k].size(), v);
      if (ec != std::errc{} || p != values[k].data() + values[k].size())
        throw std::invalid_argument(fmt::format("{}: {} {} is not a number", file, prefix, field));
      return v;
    }
    break;
  }
  throw std::invalid_argument(fmt::format("{}: no {} {}", file, prefix, field));
}

std::string host_of(const std::string& peer) {
  if (!peer.empty() && peer[0] == '[') return peer.substr(1, peer.find(']') - 1);
  return peer.substr(0, peer.rfind(':'));
}

double ms_since(int64_t t0_ns, int64_t t_ns) {
  return static_cast<double>(t_ns - t0_ns) / 1e6;
}

nlohmann::json opt_ms(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

int64_t t_of(const nlohmann::json& l) {
  return l.at("t_ns").get<int64_t>();
}

struct ClientState {
  bool up = false;
  bool lost_after_t0 = false;
  int64_t last_up_ns = 0;
};

// The kernel part: the last reading at or before t=0 and the last at or before the end.
nlohmann::json kernel_part(const AgentLines& server, int64_t t0_ns, int64_t end_ns,
                           std::optional<PortSockets>& sockets_at_end) {
  const nlohmann::json *before = nullptr, *after = nullptr;
  for (const auto& l : server) {
    if (!l.contains("counters") || !l.contains("t_ns")) continue;
    int64_t t = t_of(l);
    if (t <= t0_ns) before = &l;
    if (t <= end_ns) after = &l;
  }
  if (!before || !after || after == before) return nullptr;
  KernelCounters b = counters_from_json(before->at("counters"));
  KernelCounters a = counters_from_json(after->at("counters"));
  KernelCounters d = counter_delta(b, a);
  if (after->contains("sockets")) sockets_at_end = port_sockets_from_json(after->at("sockets"));
  return {{"before", to_json(b)},
          {"after", to_json(a)},
          {"delta", to_json(d)},
          {"before_ms", ms_since(t0_ns, t_of(*before))},
          {"after_ms", ms_since(t0_ns, t_of(*after))},
          {"accept_queue_overflowed", d.listen_overflows > 0}};
}

}  // namespace

KernelCounters parse_kernel_counters(std::string_view netstat, std::string_view snmp) {
  KernelCounters c;
  c.listen_overflows = field_of(netstat, "TcpExt", "ListenOverflows", "/proc/net/netstat");
  c.listen_drops = field_of(netstat, "TcpExt", "ListenDrops", "/proc/net/netstat");
  c.syncookies_sent = field_of(netstat, "TcpExt", "SyncookiesSent", "/proc/net/netstat");
  c.out_rsts = field_of(snmp, "Tcp", "OutRsts", "/proc/net/snmp");
  return c;
}

KernelCounters counter_delta(const KernelCounters& b, const KernelCounters& a) {
  return {a.listen_overflows - b.listen_overflows, a.listen_drops - b.listen_drops,
          a.syncookies_sent - b.syncookies_sent, a.out_rsts - b.out_rsts};
}

nlohmann::json to_json(const KernelCounters& c) {
  return {{"listen_overflows", c.listen_overflows},
          {"listen_drops", c.listen_drops},
          {"syncookies_sent", c.syncookies_sent},
          {"resets_sent", c.out_rsts}};
}

KernelCounters counters_from_json(const nlohmann::json& j) {
  return {j.at("listen_overflows").get<int64_t>(), j.at("listen_drops").get<int64_t>(),
          j.at("syncookies_sent").get<int64_t>(), j.at("resets_sent").get<int64_t>()};
}

nlohmann::json to_json(const PortSockets& s) {
  return {{"established", s.established},
          {"syn_recv", s.syn_recv},
          {"close_wait", s.close_wait},
          {"other", s.other}};
}

PortSockets port_sockets_from_json(const nlohmann::json& j) {
  return {j.value("established", int64_t{0}), j.value("syn_recv", int64_t{0}),
          j.value("close_wait", int64_t{0}), j.value("other", int64_t{0})};
}

uint64_t share_of(uint64_t n, double fraction) {
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(static_cast<double>(n) * fraction)));
}

AgentLines expand_storm_batches(const AgentLines& lines) {
  AgentLines out;
  for (const auto& l : lines) {
    if (l.value("kind", "") != "batch") {
      out.push_back(l);
      continue;
    }
    for (const char* kind : {"up", "lost", "fail", "upgraded", "closed"}) {
      if (!l.contains(kind)) continue;
      for (const auto& e : l.at(kind)) {
        nlohmann::json one = {{"t_ns", e.at(1)}, {"agent", l.value("agent", "")}, {"kind", kind}};
        if (e.at(0).is_string())
          one["peer"] = e.at(0);
        else
          one["c"] = e.at(0);
        if (e.size() > 2) one["error"] = e.at(2);
        out.push_back(std::move(one));
      }
    }
    if (l.contains("counters")) {
      nlohmann::json reading = {{"t_ns", l.at("t_ns")},
                                {"agent", l.value("agent", "")},
                                {"kind", "counters"},
                                {"counters", l.at("counters")}};
      if (l.contains("sockets")) reading["sockets"] = l.at("sockets");
      out.push_back(std::move(reading));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.value("t_ns", int64_t{0}) < b.value("t_ns", int64_t{0});
  });
  return out;
}

nlohmann::json storm_figures(const AgentLines& client_lines, const AgentLines& server_lines,
                             int64_t t0_ns, int64_t end_ns, int64_t bucket_ns) {
  const AgentLines client = expand_storm_batches(client_lines);
  const AgentLines server = expand_storm_batches(server_lines);
  uint64_t clients = 0;
  std::map<uint64_t, ClientState> state;
  uint64_t up_at_t0 = 0, losses = 0, attempts = 0, fails = 0;
  std::optional<double> first_lost_ms;
  std::map<std::string, uint64_t> errors;
  bool counted_t0 = false;
  auto count_t0 = [&] {
    if (counted_t0) return;
    counted_t0 = true;
    for (const auto& [c, s] : state) up_at_t0 += s.up ? 1 : 0;
  };
  for (const auto& l : client) {
    const std::string kind = l.value("kind", "");
    if (kind == "ready") clients = l.value("clients", uint64_t{0});
    if (!l.contains("c") || !l.contains("t_ns")) continue;
    const int64_t t = t_of(l);
    if (t > end_ns) break;
    if (t >= t0_ns) count_t0();
    ClientState& s = state[l.at("c").get<uint64_t>()];
    const bool after = t >= t0_ns;
    if (kind == "up") {
      s.up = true;
      s.last_up_ns = t;
      if (after) ++attempts;
    } else if (kind == "lost") {
      s.up = false;
      if (!after) continue;
      s.lost_after_t0 = true;
      ++losses;
      if (!first_lost_ms) first_lost_ms = ms_since(t0_ns, t);
      ++errors[l.value("error", "?")];
    } else if (kind == "fail" && after) {
      ++attempts;
      ++fails;
    }
  }
  count_t0();
  clients = std::max<uint64_t>(clients, state.size());
  std::vector<int64_t> back_ns;
  uint64_t lost = 0, up_at_end = 0;
  for (const auto& [c, s] : state) {
    up_at_end += s.up ? 1 : 0;
    if (!s.lost_after_t0) continue;
    ++lost;
    if (s.up) back_ns.push_back(s.last_up_ns - t0_ns);
  }
  std::sort(back_ns.begin(), back_ns.end());
  auto time_to = [&](double fraction) -> std::optional<double> {
    if (lost == 0) return std::nullopt;
    uint64_t k = share_of(lost, fraction);
    if (back_ns.size() < k) return std::nullopt;
    return static_cast<double>(back_ns[k - 1]) / 1e6;
  };

  std::vector<uint64_t> per_bucket;
  std::set<std::string> before, after;
  for (const auto& l : server) {
    if (l.value("kind", "") != "upgraded" || !l.contains("t_ns")) continue;
    const int64_t t = t_of(l);
    if (t > end_ns) continue;
    const std::string host = host_of(l.value("peer", ""));
    if (t < t0_ns) {
      before.insert(host);
      continue;
    }
    after.insert(host);
    auto i = static_cast<size_t>((t - t0_ns) / bucket_ns);
    if (per_bucket.size() <= i) per_bucket.resize(i + 1, 0);
    ++per_bucket[i];
  }
  bool changed = false;
  for (const auto& a : after) changed = changed || !before.contains(a);

  std::optional<PortSockets> sockets;
  nlohmann::json kernel = kernel_part(server, t0_ns, end_ns, sockets);
  nlohmann::json end_sockets = nullptr;
  if (sockets) {
    end_sockets = to_json(*sockets);
    end_sockets["half_open"] =
        std::max<int64_t>(0, sockets->established - static_cast<int64_t>(up_at_end));
  }
  nlohmann::json error_counts = nlohmann::json::object();
  for (const auto& [e, n] : errors) error_counts[e] = n;
  return {{"clients", clients},
          {"connected_at_t0", up_at_t0},
          {"lost", lost},
          {"losses", losses},
          {"first_lost_ms", opt_ms(first_lost_ms)},
          {"lost_errors", error_counts},
          {"back", back_ns.size()},
          {"connected_at_end", up_at_end},
          {"time_to_50_ms", opt_ms(time_to(0.5))},
          {"time_to_99_ms", opt_ms(time_to(0.99))},
          {"time_to_all_ms", opt_ms(time_to(1.0))},
          {"attempts", attempts},
          {"wasted", fails},
          {"bucket_ms", static_cast<double>(bucket_ns) / 1e6},
          {"reconnects_per_bucket", per_bucket},
          {"peak_reconnects_per_bucket",
           per_bucket.empty() ? 0 : *std::max_element(per_bucket.begin(), per_bucket.end())},
          {"server_saw_before", std::vector<std::string>(before.begin(), before.end())},
          {"server_saw_after", std::vector<std::string>(after.begin(), after.end())},
          {"address_changed", changed},
          {"kernel", kernel},
          {"server_sockets_at_end", end_sockets}};
}

}  // namespace ss
