#include "model/watch_marks.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ss {
namespace {

std::string how(const TunnelStatus& s) {
  std::string out;
  for (const auto& f : s.full) {
    out += fmt::format("{}{} {} via {} ({})", out.empty() ? "" : "; ", f.family, f.method, f.dev,
                       f.detail);
  }
  return out;
}

std::string main_dev(const TunnelStatus& s) {
  return s.full.empty() ? "" : s.full.front().dev;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

std::string what_went(const TunnelStatus& before, const TunnelStatus& after) {
  std::vector<std::string> parts;
  for (const auto& f : before.full) {
    if (!contains(after.tunnels, f.dev)) {
      parts.push_back(fmt::format("{} gone or down", f.dev));
      continue;
    }
    const bool kept = std::any_of(after.full.begin(), after.full.end(), [&](const FullTunnel& g) {
      return g.family == f.family && g.dev == f.dev;
    });
    if (!kept) {
      parts.push_back(fmt::format("{} {} removed ({})", f.family, f.method, f.detail));
    }
  }
  std::sort(parts.begin(), parts.end());
  parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : "; ") + p;
  }
  return out;
}

std::vector<WatchMark> DisconnectMarker::update(const TunnelStatus& now) {
  std::vector<WatchMark> marks;
  const bool was = !first_ && last_.protected_now(), is = now.protected_now();
  if (first_ && is) {
    marks.push_back({"tunnel-found", main_dev(now), how(now), 0});
  } else if (!was && is) {
    if (disconnects_ > 0) {
      marks.push_back({"reconnect", main_dev(now), how(now), ++reconnects_});
    } else {
      marks.push_back({"connect", main_dev(now), how(now), 0});
    }
  } else if (was && !is) {
    marks.push_back({"disconnect", main_dev(last_), what_went(last_, now), ++disconnects_});
  }
  ever_protected_ = ever_protected_ || is;
  first_ = false;
  last_ = now;
  return marks;
}

std::optional<LeakAlarm> leak_alarm(const PacketInfo& p, const std::set<std::string>& own,
                                    const TunnelStatus& status, bool ever_protected,
                                    const AlarmPolicy& policy) {
  if (p.l3 != PacketInfo::L3::ipv4 && p.l3 != PacketInfo::L3::ipv6) {
    return std::nullopt;
  }
  if (!own.count(p.src)) {
    return std::nullopt;  // not sent from this host
  }
  const bool dns = p.dns.has_value() && !p.dns->response;
  if (!dns && p.link_local_or_multicast) {
    return std::nullopt;
  }
  const bool to_endpoint = status.excepted_hosts.count(p.dst) || policy.endpoints.count(p.dst);
  if (!dns && to_endpoint) {
    return std::nullopt;
  }
  std::string why;
  if (status.protected_now()) {
    why = fmt::format("while {} carries everything", status.full.front().dev);
  } else if (policy.expect_tunnel && ever_protected) {
    why = "while the tunnel is expected up (it went away)";
  } else {
    return std::nullopt;
  }
  return LeakAlarm{dns ? "dns" : "other", why};
}

bool AlarmThrottle::first_of_flow(const LeakAlarm& a, const PacketInfo& p) {
  std::string key = fmt::format("{}|{}|{}|{}", a.kind, p.dst, p.proto, p.dport);
  if (flows_.count(key)) {
    return false;
  }
  if (flows_.size() >= max_) {
    ++suppressed_;
    return false;
  }
  flows_.insert(std::move(key));
  return true;
}

}  // namespace ss
