// openvpn-dns: the up/down script of the lab's OpenVPN client (probes/openvpn_dns.hpp).
// OpenVPN runs it with --script-security 2 and appends its own arguments (device, MTUs,
// addresses, init/restart), which are accepted and ignored: the environment says the rest.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "model/errors.hpp"
#include "probes/openvpn_dns.hpp"

extern char** environ;

namespace ss::cli {

void add_openvpn_agents(CLI::App& agent) {
  struct Opts {
    std::string resolv = "/etc/resolv.conf", save;
    std::vector<std::string> openvpn_args;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = agent.add_subcommand(
      "openvpn-dns",
      "OpenVPN's --up/--down script: applies the pushed DNS servers to resolv.conf "
      "in place, and restores the saved file on down");
  cmd->add_option("--resolv", o->resolv, "the resolv.conf to change in place");
  cmd->add_option("--save", o->save, "where the original is kept between up and down")->required();
  cmd->add_option("openvpn_args", o->openvpn_args, "what OpenVPN appends (ignored)");
  cmd->callback([o] {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
    const char* type = std::getenv("script_type");
    const auto r = probes::run_dns_script(type ? type : "", o->resolv, o->save, env);
    // One line into OpenVPN's log (its stdout): what the script did.
    fmt::print("{}\n", nlohmann::json{{"event", "openvpn-dns"},
                                      {"script_type", type ? type : ""},
                                      {"action", r.action},
                                      {"nameservers", r.nameservers}}
                           .dump());
    std::fflush(stdout);
    agent_exit(0);
  });
}

}  // namespace ss::cli
