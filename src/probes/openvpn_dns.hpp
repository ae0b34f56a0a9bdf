#pragma once
// The up/down script OpenVPN runs on the client (`splitsecond agent openvpn-dns`): it applies
// the resolvers the server pushed ("dhcp-option DNS ...", handed over in the environment as
// foreign_option_N) to resolv.conf, and puts the old file back on down.
#include <string>
#include <vector>

namespace ss::probes {

// The DNS servers in the foreign_option_N entries of `env` (KEY=VALUE strings), in N order.
std::vector<std::string> pushed_dns(const std::vector<std::string>& env);

// The resolv.conf text naming `servers`.
std::string resolv_conf_for(const std::vector<std::string>& servers);

struct DnsScriptResult {
  std::string action;  // "applied", "restored", "nothing-to-restore", "no-dns-pushed"
  std::vector<std::string> nameservers;  // what resolv.conf names afterwards
};

// script_type "up": saves resolv.conf to save_path (unless a save is already there: a restart
// keeps the first original) and writes the pushed servers into it, in place (it is a bind
// mount). "down": writes the saved text back in place and removes the save. Throws
// EnvironmentError if a file cannot be read or written, UsageError for another script_type.
DnsScriptResult run_dns_script(const std::string& script_type, const std::string& resolv_path,
                               const std::string& save_path, const std::vector<std::string>& env);

}  // namespace ss::probes
