#include "storm/output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace ss::storm {
namespace {

std::string ms(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}", *v) : "never";
}

nlohmann::json opt(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

constexpr std::array<const char*, 8> kColours{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                              "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least v.
double nice_ceiling(double v) {
  if (v <= 0) return 1;
  double p = std::pow(10, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}

std::string svg_axes(double w, double h, double pad, double tmax_s, double rmax) {
  std::string s = fmt::format(
      "<line x1='{0}' y1='{1}' x2='{2}' y2='{1}' stroke='black'/>"
      "<line x1='{0}' y1='{3}' x2='{0}' y2='{1}' stroke='black'/>\n",
      pad, h - pad, w - pad, pad);
  for (int k = 0; k <= 5; ++k) {
    double x = pad + (w - 2 * pad) * k / 5, y = h - pad - (h - 2 * pad) * k / 5;
    s += fmt::format("<text x='{}' y='{}' font-size='11' text-anchor='middle'>{:.3g}</text>\n", x,
                     h - pad + 15, tmax_s * k / 5);
    s += fmt::format("<text x='{}' y='{}' font-size='11' text-anchor='end'>{:.3g}</text>\n",
                     pad - 4, y + 4, rmax * k / 5);
  }
  s += fmt::format(
      "<text x='{}' y='{}' font-size='12' text-anchor='middle'>time since disconnect (s)</text>\n",
      w / 2, h - 8);
  s += fmt::format(
      "<text x='14' y='{}' font-size='12' transform='rotate(-90 14 {})' text-anchor='middle'>"
      "reconnects per second</text>\n",
      h / 2, h / 2);
  return s;
}

}  // namespace

std::string render_table(const std::vector<Summary>& runs) {
  std::string out = fmt::format("{:<13} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12}\n",
                                "policy", "clients", "50% ms", "99% ms", "all ms", "attempts",
                                "wasted", "rejected", "peak/s");
  for (const Summary& s : runs) {
    out +=
        fmt::format("{:<13} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12.0f}\n", s.policy,
                    s.clients, ms(s.time_to_50_ms), ms(s.time_to_99_ms), ms(s.time_to_all_ms),
                    s.attempts, s.wasted, s.rejected + s.dropped, s.peak_rate_per_s);
  }
  return out;
}

std::string render_csv(const std::vector<RunResult>& runs) {
  std::string out =
      "run,policy,t_ms,attempts,connects,rejected,dropped,timeouts,failed,connected,"
      "connect_rate_per_s,utilisation\n";
  for (size_t r = 0; r < runs.size(); ++r) {
    const RunResult& run = runs[r];
    double width = static_cast<double>(run.bucket_ns);
    for (size_t i = 0; i < run.buckets.size(); ++i) {
      const Bucket& b = run.buckets[i];
      out += fmt::format("{},{},{:.3f},{},{},{},{},{},{},{},{:.1f},{:.4f}\n", r, run.summary.policy,
                         static_cast<double>(i) * width / 1e6, b.attempts, b.connects, b.rejected,
                         b.dropped, b.timeouts, b.failed, b.connected,
                         static_cast<double>(b.connects) * 1e9 / width,
                         static_cast<double>(b.busy_ns) / width);
    }
  }
  return out;
}

nlohmann::json to_json(const Summary& s) {
  return {{"clients", s.clients},
          {"policy", s.policy},
          {"seed", s.seed},
          {"time_to_50_ms", opt(s.time_to_50_ms)},
          {"time_to_99_ms", opt(s.time_to_99_ms)},
          {"time_to_all_ms", opt(s.time_to_all_ms)},
          {"attempts", s.attempts},
          {"wasted", s.wasted},
          {"rejected", s.rejected},
          {"dropped", s.dropped},
          {"timeouts", s.timeouts},
          {"failed", s.failed},
          {"back", s.back},
          {"complete", s.complete},
          {"peak_rate_per_s", s.peak_rate_per_s},
          {"rate_p50_per_s", s.rate_p50_per_s},
          {"rate_p90_per_s", s.rate_p90_per_s},
          {"rate_p99_per_s", s.rate_p99_per_s},
          {"mean_utilisation", s.mean_utilisation},
          {"duration_ms", s.duration_ms},
          {"events", s.events}};
}

std::string render_comparison(const Summary& real, const Summary& sim) {
  auto row = [](const char* key, std::optional<double> r, std::optional<double> s) {
    std::string diff = "-";
    if (r && s && *s != 0) diff = fmt::format("{:+.1f}%", (*r - *s) / *s * 100);
    return fmt::format("{:<16} {:>12} {:>12} {:>9}\n", key, r ? fmt::format("{:.1f}", *r) : "never",
                       s ? fmt::format("{:.1f}", *s) : "never", diff);
  };
  auto d = [](uint64_t v) { return std::optional<double>(static_cast<double>(v)); };
  std::string out = fmt::format("{:<16} {:>12} {:>12} {:>9}\n", "", "real", "sim", "real-sim");
  out += row("time_to_50_ms", real.time_to_50_ms, sim.time_to_50_ms);
  out += row("time_to_99_ms", real.time_to_99_ms, sim.time_to_99_ms);
  out += row("time_to_all_ms", real.time_to_all_ms, sim.time_to_all_ms);
  out += row("attempts", d(real.attempts), d(sim.attempts));
  out += row("rejected", d(real.rejected), d(sim.rejected));
  out += row("peak_rate_per_s", real.peak_rate_per_s, sim.peak_rate_per_s);
  return out;
}

std::string render_svg(const std::vector<RunResult>& runs, const std::vector<std::string>& labels,
                       const std::string& title) {
  const double w = 900, h = 500, pad = 60;
  double tmax = 0, rmax = 0;
  for (const RunResult& r : runs) {
    double width = static_cast<double>(r.bucket_ns);
    tmax = std::max(tmax, static_cast<double>(r.buckets.size()) * width / 1e9);
    for (const Bucket& b : r.buckets)
      rmax = std::max(rmax, static_cast<double>(b.connects) * 1e9 / width);
  }
  tmax = nice_ceiling(tmax);
  rmax = nice_ceiling(rmax);
  std::string s = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' font-family='sans-serif'>\n"
      "<rect width='100%' height='100%' fill='white'/>\n"
      "<text x='{}' y='24' font-size='15' text-anchor='middle'>{}</text>\n",
      w, h, w / 2, title);
  s += svg_axes(w, h, pad, tmax, rmax);
  for (size_t r = 0; r < runs.size(); ++r) {
    const RunResult& run = runs[r];
    double width = static_cast<double>(run.bucket_ns);
    std::string pts;
    for (size_t i = 0; i < run.buckets.size(); ++i) {
      double t = (static_cast<double>(i) + 0.5) * width / 1e9;
      double rate = static_cast<double>(run.buckets[i].connects) * 1e9 / width;
      pts += fmt::format("{:.1f},{:.1f} ", pad + (w - 2 * pad) * t / tmax,
                         h - pad - (h - 2 * pad) * rate / rmax);
    }
    const char* colour = kColours[r % kColours.size()];
    s += fmt::format("<polyline fill='none' stroke='{}' stroke-width='1.5' points='{}'/>\n", colour,
                     pts);
    s += fmt::format("<text x='{}' y='{}' font-size='12' fill='{}' text-anchor='end'>{}</text>\n",
                     w - pad, pad + 16 * static_cast<double>(r), colour,
                     r < labels.size() ? labels[r] : run.summary.policy);
  }
  return s + "</svg>\n";
}

std::string render_occ_table(const std::vector<OccResult>& results) {
  std::map<uint32_t, std::map<std::string, const OccResult*>> by_n;
  std::vector<std::string> names;
  for (const OccResult& r : results) {
    std::string name(policy_name(r.policy));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    by_n[r.clients][name] = &r;
  }
  std::string out = "write calls per trial (mean)\n" + fmt::format("{:>8}", "clients");
  for (const auto& n : names) out += fmt::format(" {:>13}", n);
  out += "\n";
  for (const auto& [n, row] : by_n) {
    out += fmt::format("{:>8}", n);
    for (const auto& name : names) out += fmt::format(" {:>13.1f}", row.at(name)->mean_calls);
    out += "\n";
  }
  out += "time until every client has written, ms (mean)\n" + fmt::format("{:>8}", "clients");
  for (const auto& n : names) out += fmt::format(" {:>13}", n);
  out += "\n";
  for (const auto& [n, row] : by_n) {
    out += fmt::format("{:>8}", n);
    for (const auto& name : names) out += fmt::format(" {:>13.1f}", row.at(name)->mean_time_ms);
    out += "\n";
  }
  return out;
}

nlohmann::json occ_to_json(const std::vector<OccResult>& results) {
  nlohmann::json runs = nlohmann::json::array();
  for (const OccResult& r : results) {
    runs.push_back({{"policy", policy_name(r.policy)},
                    {"clients", r.clients},
                    {"mean_calls", r.mean_calls},
                    {"mean_time_ms", r.mean_time_ms}});
  }
  return {{"experiment", "occ-backoff"}, {"runs", runs}};
}

namespace {

std::string ms_text(const nlohmann::json& v) {
  return v.is_null() ? std::string("-") : fmt::format("{:+.1f} ms", v.get<double>());
}

std::string joined(const nlohmann::json& list) {
  std::string out;
  for (const auto& x : list) out += (out.empty() ? "" : ", ") + x.get<std::string>();
  return out.empty() ? "(none)" : out;
}

std::string signed_int(int64_t v) {
  return fmt::format("{}{}", v > 0 ? "+" : "", v);
}

}  // namespace

std::string render_lab_storm(const nlohmann::json& s) {
  std::string out = fmt::format("Storm: {} WebSocket clients ({}), as the server saw it\n",
                                s.value("clients", 0), s.value("policy", "?"));
  std::string errors;
  for (const auto& [e, n] : s["lost_errors"].items())
    errors += fmt::format("{}{} {}", errors.empty() ? "" : ", ", e, n.get<int64_t>());
  out += fmt::format("  connected at t=0 {}; lost {}{}, first at {}\n",
                     s.value("connected_at_t0", 0), s.value("lost", 0),
                     errors.empty() ? "" : " (" + errors + ")", ms_text(s["first_lost_ms"]));
  out += fmt::format("  back {} of {}: 50% at {}, 99% at {}, all at {}; connected at the end {}\n",
                     s.value("back", 0), s.value("lost", 0), ms_text(s["time_to_50_ms"]),
                     ms_text(s["time_to_99_ms"]), ms_text(s["time_to_all_ms"]),
                     s.value("connected_at_end", 0));
  out += fmt::format("  attempts {}, wasted {}; peak {} reconnects per {:.0f} ms\n",
                     s.value("attempts", 0), s.value("wasted", 0),
                     s.value("peak_reconnects_per_bucket", 0), s.value("bucket_ms", 10.0));
  out += fmt::format("  the server saw {} before t=0, {} after{}\n", joined(s["server_saw_before"]),
                     joined(s["server_saw_after"]),
                     s.value("address_changed", false) ? " (a new address)" : "");
  const auto& k = s["kernel"];
  if (k.is_object()) {
    const auto& d = k["delta"];
    out += fmt::format(
        "  server's kernel ({} to {}): ListenOverflows {}, ListenDrops {}, SYN cookies sent {}, "
        "resets sent {}\n",
        ms_text(k["before_ms"]), ms_text(k["after_ms"]),
        signed_int(d.value("listen_overflows", int64_t{0})),
        signed_int(d.value("listen_drops", int64_t{0})),
        signed_int(d.value("syncookies_sent", int64_t{0})),
        signed_int(d.value("resets_sent", int64_t{0})));
  } else {
    out += "  server's kernel: not read\n";
  }
  const auto& e = s["server_sockets_at_end"];
  if (e.is_object())
    out += fmt::format(
        "  server's sockets on its port at the end: {} established ({} half-open: beyond the "
        "clients connected), {} SYN_RECV\n",
        e.value("established", 0), e.value("half_open", 0), e.value("syn_recv", 0));
  if (k.is_object() && k.value("accept_queue_overflowed", false))
    out += fmt::format(
        "  the accept queue overflowed: the kernel dropped {} connection(s) at the "
        "listener\n",
        k["delta"].value("listen_overflows", int64_t{0}));
  return out;
}

}  // namespace ss::storm
