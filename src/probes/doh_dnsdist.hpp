#pragma once
// A DoH resolver for the lab: Debian's dnsdist (1.7) terminating DNS over HTTPS in front of a
// plain DNS backend. The configuration is a string from a pure function: one DoH listener,
// one backend, security polling off; no console, no carbon, no web server, no other listener.
#include <string>
#include <vector>

namespace ss::probes {

struct DnsdistConfig {
  std::string listen;     // "IP:PORT" of the DoH listener
  std::string cert_file;  // PEM certificate and key files for it
  std::string key_file;
  std::string path = "/dns-query";
  std::string backend;  // "IP:PORT" of the plain DNS server queries go to
  std::string
      check_name;  // a name the backend answers, for dnsdist's health checks ("": dnsdist's)
  std::vector<std::string> acl = {"127.0.0.0/8", "::1/128"};  // who may query
};

// The Lua configuration for `dnsdist --supervised -C FILE`. Throws UsageError naming the
// field when an address, a path or a file name is not usable.
std::string dnsdist_config(const DnsdistConfig& c);

}  // namespace ss::probes
