#include "lab/probe_storm.hpp"

#include <fmt/format.h>

#include <map>

#include "model/duration.hpp"
#include "model/storm_figures.hpp"

namespace ss::lab {
namespace {

StormProbeOptions& options() {
  static StormProbeOptions o;
  return o;
}

class StormProbe final : public Probe {
 public:
  explicit StormProbe(ProbeSpec spec) : spec_(std::move(spec)), o_(options()) {}
  std::string name() const override { return "storm"; }
  std::string proto() const override { return "websocket"; }

  void start_server(ProbeEnv& env) override {
    env.start_server_agent("storm-server", {"storm-server", "--listen", endpoint(env), "--every",
                                            "200ms", "--backlog", "4096"});
  }
  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    return {"storm-client",
            "--server",
            endpoint(env),
            "--clients",
            std::to_string(o_.clients),
            "--policy",
            o_.policy,
            "--base",
            o_.base,
            "--cap",
            o_.cap,
            "--attempt-timeout",
            o_.attempt_timeout,
            "--keepalive",
            o_.keepalive,
            "--duration",
            run_for};
  }

  // Survived: no client lost its connection. The error is the most frequent reason a
  // connection was lost, detected_ms the first loss.
  ProbeFate fate(const AgentLines& client, const AgentLines& server,
                 const Window& w) const override {
    ProbeFate f;
    f.name = name();
    f.proto = proto();
    nlohmann::json s = storm_figures(client, server, w.t0_ns, w.end_ns);
    f.setup_ok = s.value("connected_at_t0", 0) > 0;
    f.survived = f.setup_ok && s.value("lost", 0) == 0;
    uint64_t most = 0;
    for (const auto& [error, n] : s["lost_errors"].items())
      if (n.get<uint64_t>() > most) most = n.get<uint64_t>(), f.error = error;
    if (!s["first_lost_ms"].is_null()) f.detected_ms = s["first_lost_ms"].get<double>();
    s["policy"] = o_.policy;
    f.extra["storm"] = std::move(s);
    return f;
  }

 private:
  static std::string endpoint(ProbeEnv& env) {
    return fmt::format("{}:{}", env.server_ip(), kStormPort);
  }
  ProbeSpec spec_;
  StormProbeOptions o_;
};

}  // namespace

void set_storm_probe_options(const StormProbeOptions& o) {
  options() = o;
}

const StormProbeOptions& storm_probe_options() {
  return options();
}

std::unique_ptr<Probe> make_storm_probe(const ProbeSpec& spec) {
  return std::make_unique<StormProbe>(spec);
}

}  // namespace ss::lab
