#include "probes/emit.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>

#include <cstdio>

#include "sys/event_loop.hpp"

namespace ss::probes {
namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}
}  // namespace

void emit(const std::string& agent, const std::string& kind, nlohmann::json fields) {
  fields["t_ns"] = sys::mono_ns();
  fields["agent"] = agent;
  fields["kind"] = kind;
  std::string line = fields.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() {
  return g_stop != 0;
}

std::string sockaddr_text(const void* sa) {
  const auto* generic = static_cast<const sockaddr*>(sa);
  char buf[INET6_ADDRSTRLEN] = {};
  if (generic->sa_family == AF_INET) {
    const auto* in = static_cast<const sockaddr_in*>(sa);
    ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return fmt::format("{}:{}", buf, ntohs(in->sin_port));
  }
  if (generic->sa_family == AF_INET6) {
    const auto* in6 = static_cast<const sockaddr_in6*>(sa);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return fmt::format("[{}]:{}", buf, ntohs(in6->sin6_port));
  }
  return "?";
}

}  // namespace ss::probes
