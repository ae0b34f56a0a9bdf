#include "lab/probe_detect.hpp"

#include <fmt/format.h>

#include "model/detect.hpp"
#include "model/duration.hpp"

namespace ss::lab {
namespace {

// The keepalive settings of detect-keepalive and detect-keepalive-inflight: the first probe
// 1 s after the last segment received, then 3 more 1 s apart (the kernel takes whole seconds).
constexpr const char* kKeepalive = "1s/1s/3";

// default: the kernel's own settings, data in flight. keepalive: tuned keepalive on an idle
// connection (keepalive sends nothing while data is unacknowledged, so it must stay idle);
// keepalive-inflight: the same settings with data in flight, to show that. user-timeout:
// TCP_USER_TIMEOUT, data in flight. reap: the kernel's settings, data in flight, with
// `splitsecond reap` in the client namespace (the scenario's [reap]). library: the path
// library watches the socket, data in flight.
class DetectProbe final : public Probe {
 public:
  explicit DetectProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return spec_.name; }
  std::string proto() const override { return "tcp"; }
  // A request right after t=0 (after the disconnect's call), then one every interval.
  bool signal_at_t0() const override { return !idle(); }

  void start_server(ProbeEnv& env) override {
    env.start_server_agent("tcp-server-" + std::to_string(spec_.port),
                           {"tcp-server", "--listen", server(env)});
  }
  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    std::vector<std::string> args = {"tcp-client",
                                     "--server",
                                     server(env),
                                     "--mode",
                                     idle() ? "idle" : "send-on-signal",
                                     "--interval",
                                     format_duration(spec_.interval),
                                     "--duration",
                                     run_for};
    if (spec_.user_timeout.count() > 0) {
      args.insert(args.end(), {"--user-timeout", format_duration(spec_.user_timeout)});
    }
    if (spec_.name == "detect-keepalive" || spec_.name == "detect-keepalive-inflight") {
      args.insert(args.end(), {"--keepalive", kKeepalive});
    }
    if (spec_.name == "detect-library") {
      args.emplace_back("--watch-path");
    }
    return args;
  }
  ProbeFate fate(const AgentLines& client, const AgentLines&, const Window& w) const override {
    return detect_fate(spec_.name, client, w);
  }

 private:
  bool idle() const { return spec_.name == "detect-keepalive"; }
  std::string server(ProbeEnv& env) const {
    return fmt::format("{}:{}", env.server_ip(), spec_.port);
  }
  ProbeSpec spec_;
};

}  // namespace

std::unique_ptr<Probe> make_detect_probe(const ProbeSpec& spec) {
  return std::make_unique<DetectProbe>(spec);
}

}  // namespace ss::lab
