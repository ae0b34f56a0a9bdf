#pragma once
// What to build, as data: the namespaces, links, addresses, routes, sysctls, firewall
// rulesets and files of the reference network. Produced by a pure function of the scenario;
// applied by lab/builder.hpp, which records each object in a ledger for teardown.
#include <string>
#include <variant>
#include <vector>

#include "model/scenario.hpp"

namespace ss::lab {

// The five namespaces of the reference network, with the run's prefix.
struct Names {
  std::string prefix;  // "ss-1a2b3c": unique per run
  std::string client, home, internet, vpn, server;
  explicit Names(std::string run_prefix);
  std::vector<std::string> all() const { return {client, home, internet, vpn, server}; }
};

struct CreateNetns {
  std::string ns;
};
struct AddVeth {
  std::string ns, name, peer_ns, peer;
};
struct AddAddress {
  std::string ns, ifname, cidr;
};
struct LinkUp {
  std::string ns, ifname;
};
struct AddRoute {
  std::string ns, dst, gateway, dev;
};
struct Sysctl {
  std::string ns, key, value;
};
struct Nft {
  std::string ns, ruleset;
};
struct WriteFile {
  std::string path, content;
};  // under /etc/netns/<ns>/ only

using Step =
    std::variant<CreateNetns, AddVeth, AddAddress, LinkUp, AddRoute, Sysctl, Nft, WriteFile>;

// The reference topology for a scenario: everything but the VPN and the daemons.
std::vector<Step> plan_topology(const Scenario& s, const Names& n);

// The namespace a step acts in ("" for a file step).
std::string step_namespace(const Step& step);
// A one-line description, as an `ip`/`sysctl`/`nft` command would read.
std::string describe(const Step& step);

// nftables: masquerade what leaves `out_if` (home router) or comes from `from_cidr`.
std::string nat_ruleset(const std::string& out_if, const std::string& from_cidr = "");

}  // namespace ss::lab
