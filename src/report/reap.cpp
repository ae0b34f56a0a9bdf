#include "report/reap.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/reap_run.hpp"

namespace ss::report {

std::string render_reap(const RunRecord& r) {
  const auto o = reap_outcome(r);
  if (!o) return "";
  std::string out = fmt::format(
      "  reap{}: destroyed {} TCP and {} UDP sockets{}\n",
      o->peer_ports.empty() ? "" : fmt::format(" (peer ports {})", fmt::join(o->peer_ports, ", ")),
      o->tcp, o->udp,
      o->first_ms ? fmt::format(", the first at {:+.3f} ms", *o->first_ms)
                  : " (no address it watched went away, or none had sockets)");
  out += fmt::format(
      "  RSTs out of the physical interface from the tunnel's address {} after t=0: {}{}\n",
      r.vpn.tunnel_ip, o->resets_from_tunnel,
      o->first_reset_ms ? fmt::format(", the first at {:+.3f} ms", *o->first_reset_ms) : "");
  return out;
}

}  // namespace ss::report
