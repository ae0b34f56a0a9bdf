#pragma once
// The TCP probe: a client that sends a numbered line every interval and reads the echoes,
// and the echo server it talks to. Plain sockets, one poll loop each; the kernel's TCP
// decides everything (retransmissions, resets, timeouts).
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "model/duration.hpp"

namespace ss::probes {

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  // "198.51.100.10:7001" or "[2001:db8::1]:7001"; throws UsageError naming `what`.
  static Endpoint parse(const std::string& text, const std::string& what);
};

struct TcpClientOptions {
  Endpoint server;
  Micros interval{100'000};
  Micros duration{30'000'000};
  Micros connect_timeout{3'000'000};
};

// Runs until the duration ends or a stop is requested; returns the exit status (4: set-up failed).
int run_tcp_client(const TcpClientOptions& o);
int run_tcp_server(const Endpoint& listen);

struct DnsClientOptions {
  std::string name = "whoami.splitsecond.test";  // a TXT record naming the resolver that answers
  Micros interval{50'000};
  Micros duration{30'000'000};
};
// Looks the name up through the system resolver (glibc's res_nquery, re-reading resolv.conf
// for every lookup, as a long-running program sees changes).
int run_dns_client(const DnsClientOptions& o);

}  // namespace ss::probes
