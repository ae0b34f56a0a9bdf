#pragma once
// The storm probe: N real WebSocket clients in the client namespace, through the tunnel, to a
// WebSocket server in the server namespace; the run's disconnect or flicker breaks what it
// breaks, and the record's probe carries the reconnect storm as the server saw it ("storm",
// model/storm_figures.hpp).
#include <cstdint>
#include <memory>
#include <string>

#include "lab/probe.hpp"

namespace ss::lab {

// `run --storm N --storm-policy P`: set before the run (scenario files name only the probe).
struct StormProbeOptions {
  uint32_t clients = 200;
  std::string policy = "full-jitter", base = "100ms", cap = "5s", attempt_timeout = "2s";
  std::string keepalive = "2s";  // the clients' WebSocket idle timeout (pings at half of it)
};
void set_storm_probe_options(const StormProbeOptions& o);
const StormProbeOptions& storm_probe_options();

// The port of its server (not the scenario's: its thousands of sockets stay out of the
// record's server_sockets, and are counted in its own section instead).
constexpr int kStormPort = 7010;

std::unique_ptr<Probe> make_storm_probe(const ProbeSpec& spec);

}  // namespace ss::lab
