#pragma once
// A roam's DHCP: the home router serves leases (dnsmasq, DHCP only, on its LAN side) and the
// client takes one with Debian's udhcpc and Debian's own default.script, the way a laptop
// running them would: `deconfig` flushes the physical link's addresses and routes, `bound`
// sets the new address, the default route and the resolver (written in place: the namespace's
// resolv.conf is a bind mount, so the host's /etc is never written).
#include <string>

#include "lab/lab.hpp"
#include "model/scenario.hpp"

namespace ss::lab {

// dnsmasq on the home router's LAN side (interface lan0), pool .150-.199 (model's dhcp_pool),
// 2-minute leases, the router and its resolver handed out. Throws UsageError if the topology
// has no such pool (the scenario check refuses that first).
void start_dhcp_server(Lab& lab, const Scenario& s);

struct Lease {
  std::string address;  // "a.b.c.d/len"
  std::string from;     // the server that gave it
  double took_ms = 0;
};

// Runs udhcpc once in the client namespace on its physical interface (foreground, quit once
// bound, at most 5 discovers a second apart) and returns the lease it reported; throws
// EnvironmentError naming udhcpc's log if none came.
Lease run_dhcp_client(Lab& lab, const Scenario& s);

}  // namespace ss::lab
