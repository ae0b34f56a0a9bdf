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

enum class TcpMode {
  stream,          // a numbered line every interval, echoes read
  send_on_signal,  // silent until SIGUSR1 (sent by the lab right after t=0), then as stream
  idle,            // never sends; only watches the socket for an error or EOF
  burst,           // on SIGUSR1 (sent by the lab just before t=0) writes a burst, so that data
                   // is in flight when the disconnect comes
};
TcpMode parse_tcp_mode(const std::string& text);  // throws UsageError

struct TcpClientOptions {
  Endpoint server;
  TcpMode mode = TcpMode::stream;
  Micros interval{100'000};
  Micros duration{30'000'000};
  Micros connect_timeout{3'000'000};
  Micros user_timeout{0};  // TCP_USER_TIMEOUT, 0: the kernel's default behaviour
  // SO_KEEPALIVE with TCP_KEEPIDLE/INTVL/CNT (keepalive_cnt 0: keepalive off). The kernel
  // sends no keepalive probe while data is unacknowledged: only an idle connection uses it.
  Micros keepalive_idle{0}, keepalive_intvl{0};
  int keepalive_cnt = 0;
  // Watch the socket with the path library (include/splitsecond/path.h): when its source
  // address goes away the client prints `path_lost` and closes the connection.
  bool watch_path = false;
};
// "IDLE/INTVL/CNT", e.g. "1s/1s/3", into the options; throws UsageError.
void parse_keepalive(const std::string& text, TcpClientOptions& o);

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
