#include "model/detect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ss {
namespace {

constexpr double kRtoMaxMs = 120'000.0;  // TCP_RTO_MAX

const nlohmann::json* first_line(const AgentLines& lines, const std::string& kind) {
  for (const auto& l : lines) {
    if (l.value("kind", "") == kind) {
      return &l;
    }
  }
  return nullptr;
}

std::optional<int64_t> int_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) {
    return std::nullopt;
  }
  return j[key].get<int64_t>();
}

std::optional<double> number(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) {
    return std::nullopt;
  }
  return j[key].get<double>();
}

double ms_between(int64_t from_ns, int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e6;
}

// How the line says the connection ended, or "" if it does not.
std::string death_of(const nlohmann::json& l) {
  const std::string kind = l.value("kind", "");
  if (kind == "error") {
    return l.value("error", "error");
  }
  if (kind == "path_lost") {
    return l.value("how", "path callback");
  }
  if (kind == "closed") {
    return "EOF";
  }
  return "";
}

// The kernel's bound for the client's settings (see detect_fate).
void predict(nlohmann::json& d, const nlohmann::json& ready, bool in_flight) {
  const auto user_timeout = int_field(ready, "user_timeout_ms");
  const auto retries2 = int_field(ready, "tcp_retries2");
  const nlohmann::json ka = ready.value("keepalive", nlohmann::json());
  if (in_flight && user_timeout) {
    d["predicted_ms"] = static_cast<double>(*user_timeout);
    d["predicted_by"] = fmt::format("TCP_USER_TIMEOUT = {} ms", *user_timeout);
  } else if (in_flight && retries2) {
    // Keepalive sends no probe while data is unacknowledged: the retries bound it.
    d["predicted_ms"] = retries_timeout_ms(static_cast<int>(*retries2));
    d["predicted_by"] = fmt::format("tcp_retries2 = {}", *retries2);
  } else if (!in_flight && ka.is_object()) {
    const auto idle = int_field(ka, "idle_ms"), intvl = int_field(ka, "intvl_ms");
    const auto cnt = int_field(ka, "cnt");
    if (idle && intvl && cnt) {
      d["predicted_ms"] = static_cast<double>(*idle + *cnt * *intvl);
      d["predicted_by"] = fmt::format("keepalive {} ms idle + {} x {} ms", *idle, *cnt, *intvl);
    }
  } else if (!in_flight && ka.is_null() && ready.contains("tcp_retries2")) {
    // The agent said it had no keepalive and it sent nothing: no timer of the kernel runs.
    d["predicted_by"] = "idle without keepalive: no timer of the kernel ends it";
  }
}

}  // namespace

double retries_timeout_ms(int tcp_retries2, double rto_min_ms) {
  const int boundary = std::max(tcp_retries2, 0);
  const int thresh = static_cast<int>(std::floor(std::log2(std::floor(kRtoMaxMs / rto_min_ms))));
  if (boundary <= thresh) {
    return static_cast<double>((2LL << boundary) - 1) * rto_min_ms;
  }
  return static_cast<double>((2LL << thresh) - 1) * rto_min_ms + (boundary - thresh) * kRtoMaxMs;
}

const std::vector<DetectMethod>& detect_methods() {
  // Keepalive: the first probe 1 s after the last segment received, then 3 more 1 s apart
  // (the kernel takes whole seconds).
  static const std::vector<DetectMethod> methods = {
      {"detect-default", "default"},
      {"detect-keepalive", "keepalive, idle", true, "1s/1s/3"},
      {"detect-keepalive-inflight", "keepalive, data in flight", false, "1s/1s/3"},
      {"detect-user-timeout", "TCP_USER_TIMEOUT"},
      {"detect-reap", "reap"},
      {"detect-library", "library callback", false, nullptr, true},
  };
  return methods;
}

const DetectMethod* detect_method(const std::string& probe) {
  for (const auto& m : detect_methods()) {
    if (probe == m.probe) {
      return &m;
    }
  }
  return nullptr;
}

bool is_detect_probe(const std::string& name) {
  return detect_method(name) != nullptr;
}

ProbeFate detect_fate(const std::string& name, const AgentLines& client, const Window& w) {
  ProbeFate f;
  f.name = name;
  f.proto = "tcp";
  const nlohmann::json* ready = first_line(client, "ready");
  if (!ready) {
    f.setup_ok = false;
    const nlohmann::json* failed = first_line(client, "setup_failed");
    f.error = failed ? failed->value("error", "setup failed") : "no ready line from the agent";
    return f;
  }
  nlohmann::json d = {{"method", name}};
  for (const auto& m : detect_methods()) {
    if (name == m.probe) {
      d["method"] = m.method;
    }
  }
  bool in_flight = false, echoed_after = false;
  const nlohmann::json* death = nullptr;
  for (const auto& l : client) {
    const int64_t t = l.value("t_ns", int64_t{0});
    if (t < w.t0_ns || t > w.end_ns) {
      continue;
    }
    const std::string kind = l.value("kind", "");
    if (kind == "sending") {
      in_flight = true;
    }
    if (kind == "echo" && t >= w.trigger_end_ns) {
      echoed_after = true;
    }
    if (!death && !death_of(l).empty()) {
      death = &l;
    }
  }
  d["sent_after_t0"] = in_flight;
  if (death) {
    const int64_t t = death->value("t_ns", int64_t{0});
    d["how"] = death_of(*death);
    d["after_ms"] = ms_between(w.trigger_end_ns, t);
    d["after_t0_ms"] = ms_between(w.t0_ns, t);
    f.error = death_of(*death);
    f.detected_ms = ms_between(w.t0_ns, t);
  }
  predict(d, *ready, in_flight);
  f.survived = !death && echoed_after;
  f.extra["detect"] = std::move(d);
  return f;
}

DetectTable detect_table(const RunRecord& r) {
  DetectTable t;
  t.window_ms = r.window_ms;
  for (const auto& m : detect_methods()) {
    auto p = std::find_if(r.probes.begin(), r.probes.end(),
                          [&](const ProbeFate& f) { return f.name == m.probe; });
    if (p == r.probes.end()) {
      continue;
    }
    DetectRow row;
    row.probe = m.probe;
    row.method = m.method;
    row.setup_ok = p->setup_ok;
    if (!p->setup_ok) {
      row.setup_error = p->error.value_or("set-up failed");
    }
    const nlohmann::json d = p->extra.value("detect", nlohmann::json::object());
    row.after_ms = number(d, "after_ms");
    row.after_t0_ms = number(d, "after_t0_ms");
    row.how = d.value("how", "");
    row.sent_after_t0 = d.value("sent_after_t0", false);
    if (!row.after_ms) {
      row.predicted_ms = number(d, "predicted_ms");
      row.predicted_by = d.value("predicted_by", "");
    }
    t.rows.push_back(std::move(row));
  }
  for (const auto& row : t.rows) {
    if (row.probe == "detect-default" && row.setup_ok) {
      t.default_ms = row.after_ms ? row.after_ms : row.predicted_ms;
      t.default_predicted = !row.after_ms.has_value() && row.predicted_ms.has_value();
    }
  }
  if (!t.default_ms || *t.default_ms <= 0) {
    return t;
  }
  for (auto& row : t.rows) {
    if (row.after_ms && *row.after_ms > 0) {
      row.ratio = *t.default_ms / *row.after_ms;
    } else if (row.after_ms && row.after_t0_ms && *row.after_t0_ms > 0) {
      row.ratio = *t.default_ms / *row.after_t0_ms;
      row.ratio_from_t0 = true;
    }
  }
  return t;
}

}  // namespace ss
