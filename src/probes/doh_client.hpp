#pragma once
// The DoH probe: DNS over HTTPS as a DoH stub does it, with libcurl. One easy handle for the
// whole run, so libcurl keeps (and reuses) its connection to the resolver, as a browser or
// system stub does; each lookup POSTs a wire-format query (RFC 8484) and reports whether it
// needed a new connection (CURLINFO_NUM_CONNECTS). The resolver is named in the URL, as a
// DoH client is configured: libcurl resolves that name through the system resolver (plain
// DNS) whenever it opens a connection and its DNS cache has no entry; each such resolution
// is reported (a `resolve` line), and so is a lookup still waiting after 500 ms, with the
// connection it waits on (a `waiting` line).
#include <string>

#include "model/duration.hpp"

namespace ss::probes {

struct DohClientOptions {
  std::string url;   // https://NAME:PORT/dns-query (or https://IP:PORT/...)
  std::string name;  // looked up (type A) once per interval
  Micros interval{200'000};
  Micros duration{30'000'000};
  Micros timeout{2'000'000};     // per lookup, connection included
  std::string cacert;            // PEM file to verify the resolver with ("": the system's CAs)
  Micros dns_cache{60'000'000};  // how long libcurl keeps the resolver's address (its default)
  bool insecure = false;         // no verification at all
};

// Throws UsageError for a URL that is not https://.
void check_doh_url(const std::string& url);

// The host named in the URL ("" when it cannot be parsed).
std::string doh_url_host(const std::string& url);

// Returns the exit status (4: the first lookup failed, a failed set-up).
int run_doh_client(const DohClientOptions& o);

}  // namespace ss::probes
