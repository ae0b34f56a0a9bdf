#include "storm/kernel_view.hpp"

#include <fstream>
#include <sstream>

#include "sys/sock_diag.hpp"
#include "sys/syserror.hpp"

namespace ss::storm {
namespace {

std::string slurp(const char* path) {
  std::ifstream f(path);
  if (!f) throw sys::SysError("open", path, errno);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

KernelCounters read_kernel_counters() {
  return parse_kernel_counters(slurp("/proc/self/net/netstat"), slurp("/proc/self/net/snmp"));
}

PortSockets read_port_sockets(uint16_t port) {
  PortSockets s;
  for (const auto& d : sys::dump_tcp_sockets(-1)) {
    if (d.local_port != port || d.state == "LISTEN") continue;
    if (d.state == "ESTABLISHED")
      ++s.established;
    else if (d.state == "SYN_RECV" || d.state == "NEW_SYN_RECV")
      ++s.syn_recv;
    else if (d.state == "CLOSE_WAIT")
      ++s.close_wait;
    else
      ++s.other;
  }
  return s;
}

}  // namespace ss::storm
