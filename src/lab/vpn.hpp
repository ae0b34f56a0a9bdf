#pragma once
// The VPN the lab runs, connected and disconnected the way a full-tunnel client does.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/lab.hpp"
#include "model/record.hpp"
#include "model/scenario.hpp"

namespace ss::lab {

class VpnDriver {
 public:
  virtual ~VpnDriver() = default;
  // Server side, client side, split routes, endpoint host route, resolver swap; returns when
  // the tunnel carries traffic (handshake done), bounded.
  virtual void connect() = 0;
  // The trigger, t=0: clean (the client's own teardown) or crash (the process killed).
  virtual void disconnect(DisconnectMode mode) = 0;
  // After a disconnect: the tunnel up again (the client's own way), bounded; returns when it
  // carries traffic, or throws EnvironmentError with what was tried.
  virtual void reconnect() = 0;
  virtual VpnInfo info() const = 0;
  // What the client did on its own during the run (a supervisor that declared the tunnel dead
  // and reconnected), timed on CLOCK_MONOTONIC; recorded as triggers with from_timeline false.
  struct OwnAction {
    int64_t start_ns = 0, done_ns = 0;  // done_ns 0: still under way
    std::string action;                 // e.g. "client-reconnect"
    nlohmann::json params = nlohmann::json::object();
  };
  virtual std::vector<OwnAction> own_actions() const { return {}; }
  // The end of the window: the client stops acting on its own (what it started stays up).
  virtual void quiesce() {}
  // Facts about what the disconnect left behind, in words, for the report.
  virtual std::vector<std::string> notes() const { return {}; }
};

// The registry (lab/vpn_registry.cpp): one line per (vpn.kind, vpn.client), the same pairs
// as model's known_vpn_variants(). Adding a VPN is one driver file and one line there.
using VpnFactory = std::unique_ptr<VpnDriver> (*)(Lab&, const Scenario&);
struct VpnEntry {
  const char* kind;
  const char* client;
  const char* description;  // one line, for `splitsecond scenarios` and the docs
  VpnFactory make;
};
const std::vector<VpnEntry>& vpn_registry();
// The driver for the scenario's (vpn.kind, vpn.client); UsageError if there is none.
std::unique_ptr<VpnDriver> make_vpn(Lab& lab, const Scenario& s);

// The drivers, each in its own file.
std::unique_ptr<VpnDriver> make_wireguard_reference(Lab& lab, const Scenario& s);  // wireguard_vpn
std::unique_ptr<VpnDriver> make_wireguard_wgquick(Lab& lab, const Scenario& s);    // wgquick_vpn

// The DoH resolver's name: the lab's resolvers answer it with the server's address, so a DoH
// client given https://doh.splitsecond.test/... can bootstrap through the system resolver.
inline constexpr const char* kDohName = "doh.splitsecond.test";

// Starts a dnsmasq that answers for the lab's names in `ns` (server.splitsecond.test and
// kDohName: the server's address), listening on `address`, and says who it is in the TXT
// record whoami.splitsecond.test.
void start_resolver(Lab& lab, const std::string& ns, const std::string& address,
                    const std::string& identity, const std::string& server_ip);

}  // namespace ss::lab
