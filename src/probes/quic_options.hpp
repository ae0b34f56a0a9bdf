#pragma once
// Options of the quic-server and quic-client agents: the strings a user typed, and the checked
// values the agents run with. Every bad value is a UsageError naming the option.
#include <optional>
#include <string>

#include "model/duration.hpp"
#include "probes/quic_addr.hpp"

namespace ss::probes::quic {

inline constexpr const char* kAlpn = "splitsecond-echo";

struct ServerArgs {
  std::string listen;
  bool disable_migration = false;
  std::string idle_timeout = "30s";
  std::string cert_out;  // where to write the per-run certificate (PEM), for a client to pin
};

struct ServerOptions {
  SockAddr listen;
  bool disable_migration = false;
  Micros idle_timeout{};
  std::string cert_out;
};

struct ClientArgs {
  std::string server;
  std::string interval = "100ms";
  std::string duration = "30s";
  std::string connect_timeout = "5s";
  std::string idle_timeout = "30s";
  std::string pin_cert;      // PEM file: accept only this exact server certificate
  std::string rebind_after;  // test-only: move to a new socket after this long
  std::string rebind_to;     // test-only: the local IP of that new socket
};

struct ClientOptions {
  SockAddr server;
  Micros interval{};
  Micros duration{};
  Micros connect_timeout{};
  Micros idle_timeout{};
  std::string pin_cert;
  std::optional<Micros> rebind_after;
  std::optional<SockAddr> rebind_to;
};

ServerOptions parse_server_options(const ServerArgs& args);
ClientOptions parse_client_options(const ClientArgs& args);

}  // namespace ss::probes::quic
