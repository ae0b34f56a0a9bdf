#include "probes/quic_options.hpp"

#include <fmt/format.h>

#include "model/errors.hpp"

namespace ss::probes::quic {

namespace {

using namespace std::chrono_literals;

SockAddr endpoint_option(const char* name, const std::string& text) {
  auto addr = parse_endpoint(text);
  if (!addr) {
    throw UsageError(
        fmt::format("{} '{}': expected IP:PORT, e.g. 10.0.0.1:4433 or [::1]:4433", name, text));
  }
  return *addr;
}

Micros duration_option(const char* name, const std::string& text, Micros min, Micros max) {
  auto d = parse_duration(text);
  if (!d) {
    throw UsageError(
        fmt::format("{} '{}': expected a duration with a unit, e.g. 100ms or 30s", name, text));
  }
  if (*d < min || *d > max) {
    throw UsageError(fmt::format("{} '{}': must be between {} and {}", name, text,
                                 format_duration(min), format_duration(max)));
  }
  return *d;
}

}  // namespace

ServerOptions parse_server_options(const ServerArgs& args) {
  ServerOptions o;
  o.listen = endpoint_option("--listen", args.listen);
  o.disable_migration = args.disable_migration;
  o.idle_timeout = duration_option("--idle-timeout", args.idle_timeout, 1s, 600s);
  o.cert_out = args.cert_out;
  return o;
}

ClientOptions parse_client_options(const ClientArgs& args) {
  ClientOptions o;
  o.server = endpoint_option("--server", args.server);
  if (o.server.port() == 0) throw UsageError("--server: port 0 cannot be connected to");
  o.interval = duration_option("--interval", args.interval, 1ms, 60s);
  o.duration = duration_option("--duration", args.duration, 1ms, 3600s);
  o.connect_timeout = duration_option("--connect-timeout", args.connect_timeout, 1ms, 60s);
  o.idle_timeout = duration_option("--idle-timeout", args.idle_timeout, 1s, 600s);
  o.pin_cert = args.pin_cert;
  if (args.rebind_after.empty() != args.rebind_to.empty()) {
    throw UsageError("--rebind-after and --rebind-to go together: give both or neither");
  }
  if (!args.rebind_after.empty()) {
    o.rebind_after = duration_option("--rebind-after", args.rebind_after, 0ms, o.duration);
    o.rebind_to = parse_ip(args.rebind_to);
    if (!o.rebind_to) {
      throw UsageError(fmt::format("--rebind-to '{}': expected an IP address", args.rebind_to));
    }
    if (o.rebind_to->family() != o.server.family()) {
      throw UsageError(fmt::format("--rebind-to '{}': not the address family of --server '{}'",
                                   args.rebind_to, args.server));
    }
  }
  return o;
}

}  // namespace ss::probes::quic
