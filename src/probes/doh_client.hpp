#pragma once
// The DoH probe: DNS over HTTPS as a DoH stub does it, with libcurl. One easy handle for the
// whole run, so libcurl keeps (and reuses) its connection to the resolver, as a browser or
// system stub does; each lookup POSTs a wire-format query (RFC 8484) and reports whether it
// needed a new connection (CURLINFO_NUM_CONNECTS).
#include <string>

#include "model/duration.hpp"

namespace ss::probes {

struct DohClientOptions {
  std::string url;   // https://IP:PORT/dns-query
  std::string name;  // looked up (type A) once per interval
  Micros interval{200'000};
  Micros duration{30'000'000};
  Micros timeout{2'000'000};  // per lookup, connection included
  std::string cacert;         // PEM file to verify the resolver with ("": the system's CAs)
  bool insecure = false;      // no verification at all
};

// Throws UsageError for a URL that is not https://.
void check_doh_url(const std::string& url);

// Returns the exit status (4: the first lookup failed, a failed set-up).
int run_doh_client(const DohClientOptions& o);

}  // namespace ss::probes
