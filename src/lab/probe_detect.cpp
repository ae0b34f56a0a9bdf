#include "lab/probe_detect.hpp"

#include <fmt/format.h>

#include "model/detect.hpp"
#include "model/duration.hpp"

namespace ss::lab {
namespace {

// A tcp-client set up as its method says (model/detect.hpp, detect_methods()): idle or data in
// flight, keepalive, the path library; TCP_USER_TIMEOUT from the probe's spec; reap is the
// scenario's [reap] in the client namespace.
class DetectProbe final : public Probe {
 public:
  DetectProbe(ProbeSpec spec, const DetectMethod& method)
      : spec_(std::move(spec)), method_(method) {}
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
    if (method_.keepalive) {
      args.insert(args.end(), {"--keepalive", method_.keepalive});
    }
    if (method_.watch_path) {
      args.emplace_back("--watch-path");
    }
    return args;
  }
  ProbeFate fate(const AgentLines& client, const AgentLines&, const Window& w) const override {
    return detect_fate(spec_.name, client, w);
  }

 private:
  bool idle() const { return method_.idle; }
  std::string server(ProbeEnv& env) const {
    return fmt::format("{}:{}", env.server_ip(), spec_.port);
  }
  ProbeSpec spec_;
  const DetectMethod& method_;
};

}  // namespace

std::unique_ptr<Probe> make_detect_probe(const ProbeSpec& spec) {
  const DetectMethod* method = detect_method(spec.name);
  return method ? std::make_unique<DetectProbe>(spec, *method) : nullptr;
}

}  // namespace ss::lab
