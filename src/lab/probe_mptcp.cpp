#include "lab/probe_mptcp.hpp"

#include <fmt/format.h>
#include <linux/mptcp.h>

#include "model/fate_mptcp.hpp"
#include "sys/mptcp_pm.hpp"
#include "sys/netlink.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

// Room for a subflow per endpoint on both sides (the kernel's default allows 2 subflows and
// accepts no ADD_ADDR).
constexpr sys::MptcpLimits kLimits{8, 8};
// Policy routing for the physical endpoint: its subflow leaves through en0 while the VPN's
// split routes send everything else into the tunnel.
constexpr uint32_t kPhysicalTable = 100;
constexpr uint32_t kRulePriority = 100;

class MptcpProbe final : public Probe {
 public:
  explicit MptcpProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return "mptcp"; }
  std::string proto() const override { return "mptcp"; }

  void start_server(ProbeEnv& env) override {
    try {
      enable_mptcp(env);
      configure_client(env);
    } catch (const sys::SysError& e) {
      throw ProbeSetupError(fmt::format("mptcp: cannot set up the kernel's MPTCP: {}", e.what()));
    } catch (const std::invalid_argument& e) {
      throw ProbeSetupError(fmt::format("mptcp: {}", e.what()));
    }
    env.start_server_agent("mptcp-server", {"mptcp-server", "--listen", endpoint(env), "--interval",
                                            format_duration(spec_.interval)});
  }

  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    return {
        "mptcp-client", "--server", endpoint(env), "--interval", format_duration(spec_.interval),
        "--duration",   run_for};
  }

  ProbeFate fate(const AgentLines& client, const AgentLines& server,
                 const Window& w) const override {
    ProbeFate f = mptcp_fate(client, server, w, silence_bound(spec_).count() * 1000);
    f.extra["setup"] = setup_;
    return f;
  }

 private:
  std::string endpoint(ProbeEnv& env) const {
    return fmt::format("{}:{}", env.server_ip(), spec_.port);
  }

  // MPTCP on, and limits, in both namespaces (the server accepts the joins, the client makes them).
  void enable_mptcp(ProbeEnv& env) {
    auto& lab = env.lab();
    for (const auto& ns : {lab.names().server, lab.names().client}) {
      sys::write_sysctl(lab.netns_fd(ns), "net/mptcp/enabled", "1");
      sys::MptcpPm(lab.netns_fd(ns)).set_limits(kLimits);
    }
    setup_["limits"] = {{"subflows", kLimits.subflows},
                        {"add_addr_accepted", kLimits.add_addr_accepted}};
  }

  // Subflow endpoints on en0 (unless the scenario says not) and on the tunnel, and the policy
  // route for en0's address.
  void configure_client(ProbeEnv& env) {
    auto& lab = env.lab();
    const auto& topo = env.scenario().topology;
    const auto& vpn = env.scenario().vpn;
    const std::string ns = lab.names().client;
    auto& nl = lab.netlink(ns);
    sys::MptcpPm pm(lab.netns_fd(ns));
    const std::string physical_ip = ip_of(topo.client_ip4);
    setup_["subflow_on_physical"] = spec_.subflow_on_physical;
    setup_["endpoints"] = nlohmann::json::array();
    if (spec_.subflow_on_physical)
      add_endpoint(pm, physical_ip, topo.client_if, nl.ifindex(topo.client_if));
    try {
      add_endpoint(pm, ip_of(vpn.client_tunnel_ip), vpn.client_if, nl.ifindex(vpn.client_if));
    } catch (const sys::SysError& e) {
      if (e.error() != ENODEV) throw;
      setup_["notes"].push_back(fmt::format("no {} at set-up: no tunnel endpoint", vpn.client_if));
    }
    if (!spec_.subflow_on_physical) return;
    const std::string gateway = ip_of(topo.home_lan_ip4);
    nl.add_route_in_table(sys::Prefix::parse("0.0.0.0/0"), gateway, topo.client_if, kPhysicalTable);
    nl.add_rule(sys::Prefix::host(physical_ip), kPhysicalTable, kRulePriority);
    setup_["policy_routing"] = {
        fmt::format("from {} lookup {} pref {}", physical_ip, kPhysicalTable, kRulePriority),
        fmt::format("table {}: default via {} dev {}", kPhysicalTable, gateway, topo.client_if)};
  }

  void add_endpoint(sys::MptcpPm& pm, const std::string& ip, const std::string& dev, int ifindex) {
    pm.add_endpoint({ip, ifindex, MPTCP_PM_ADDR_FLAG_SUBFLOW, 0});
    setup_["endpoints"].push_back(fmt::format("{} dev {} subflow", ip, dev));
  }

  ProbeSpec spec_;
  nlohmann::json setup_ = nlohmann::json::object();
};

}  // namespace

std::unique_ptr<Probe> make_mptcp_probe(const ProbeSpec& spec) {
  return std::make_unique<MptcpProbe>(spec);
}

}  // namespace ss::lab
