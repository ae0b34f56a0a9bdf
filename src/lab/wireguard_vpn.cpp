#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "lab/supervisor.hpp"
#include "lab/vpn.hpp"
#include "lab/wireguard.hpp"
#include "model/errors.hpp"
#include "sys/event_loop.hpp"
#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

// Rewrites a file in place (same inode): it is bind-mounted over /etc/resolv.conf in the
// namespace's processes, and a rename would not reach them.
void rewrite_in_place(const std::string& path, const std::string& content) {
  sys::Fd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) throw sys::SysError("open", path, errno);
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    throw sys::SysError("write", path, errno);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class WireGuardVpn final : public VpnDriver {
 public:
  WireGuardVpn(Lab& lab, const Scenario& s)
      : lab_(lab), s_(s), v_(s.vpn), tunnel_ip_(s.vpn.client_tunnel_ip) {}

  void connect() override {
    std::lock_guard<std::mutex> lock(ops_);
    try {
      bring_up();
    } catch (const sys::SysError& e) {
      throw LabError("connecting the VPN", e,
                     "the kernel refused a step of a full-tunnel client's set-up (addresses, "
                     "routes) or of the server's");
    }
    if (v_.dead_after.count() > 0)
      supervisor_ = std::make_unique<Supervisor>(
          Supervisor::Config{lab_.netns_fd(lab_.names().client), v_.client_if,
                             ip_of(v_.server_tunnel_ip), v_.dead_after},
          [this](int64_t silence_ns) { declared_dead(silence_ns); });
  }

  void bring_up() {
    server_keys_ = WgKeys::generate();
    client_keys_ = WgKeys::generate();
    const auto &server_keys = server_keys_, &client_keys = client_keys_;

    server_ = start_wg_server(lab_, s_, server_keys.private_hex, client_keys.public_hex);
    resolv_path_ = "/etc/netns/" + lab_.names().client + "/resolv.conf";
    saved_resolv_ = read_file(resolv_path_);
    bring_up_client(true);
  }

  // The client, as a full-tunnel client sets itself up: its device (unless it kept it), the
  // address, the endpoint's host route, the split routes, the resolver; then the handshake.
  void bring_up_client(bool new_device) {
    const std::string endpoint_ip = ip_of(s_.topology.vpn_ip4);
    auto& cnl = lab_.netlink(lab_.names().client);
    if (new_device) {
      wait_link_gone();  // after a crash the kernel removes the old device asynchronously
      client_ = std::make_unique<WgDevice>(lab_, lab_.names().client, v_.client_if);
      client_->set(
          fmt::format("private_key={}\npublic_key={}\nendpoint={}:{}\nallowed_ip=0.0.0.0/0\n",
                      client_keys_.private_hex, server_keys_.public_hex, endpoint_ip, v_.port));
      cnl.add_address(v_.client_if, sys::Prefix::parse(tunnel_ip_));
      cnl.set_up(v_.client_if);
    }
    try {
      cnl.add_route(sys::Prefix::host(endpoint_ip), ip_of(s_.topology.home_lan_ip4),
                    s_.topology.client_if);
    } catch (const sys::SysError& e) {
      if (e.error() != EEXIST) throw;  // a crash leaves the host route: keep it
    }
    endpoint_route_at_ = std::chrono::steady_clock::now();
    cnl.add_route(sys::Prefix::parse("0.0.0.0/1"), "", v_.client_if);
    cnl.add_route(sys::Prefix::parse("128.0.0.0/1"), "", v_.client_if);
    rewrite_in_place(resolv_path_,
                     fmt::format("# splitsecond lab: the VPN's resolver\nnameserver {}\n", v_.dns));
    wait_for_handshake();
  }

  void reconnect() override {
    std::lock_guard<std::mutex> lock(ops_);
    if (!client_) throw std::logic_error("reconnect before connect");
    // keep-interface left the device, its address and its process: only the routes and the
    // resolver come back. Otherwise a new device, with the same keys (the server knows them).
    const bool kept = last_mode_ == DisconnectMode::keep_interface;
    try {
      if (!kept) take_next_address();
      bring_up_client(!kept);
    } catch (const sys::SysError& e) {
      throw LabError("reconnecting the VPN", e,
                     kept ? "the kernel refused the routes through the kept interface"
                          : "the kernel refused a step of the client's set-up (a leftover of "
                            "the disconnect?)");
    }
    if (supervisor_) supervisor_->resume();
  }

  void disconnect(DisconnectMode mode) override {
    std::lock_guard<std::mutex> lock(ops_);
    // The user disconnected, or the app died with its supervisor: nothing watches any more.
    if (supervisor_) supervisor_->pause();
    tear_down(mode);
  }

  void tear_down(DisconnectMode mode) {
    last_mode_ = mode;
    if (mode == DisconnectMode::crash) {
      client_->process().signal(SIGKILL);
      return;
    }
    auto& cnl = lab_.netlink(lab_.names().client);
    if (mode == DisconnectMode::keep_interface) {
      // The routes go, the interface and its address stay.
      cnl.delete_route(sys::Prefix::parse("0.0.0.0/1"), v_.client_if);
      cnl.delete_route(sys::Prefix::parse("128.0.0.0/1"), v_.client_if);
    } else {
      // wg-quick's order: the interface goes (and with it the routes through it), then the
      // client removes what it added outside it, then the resolver is restored.
      cnl.delete_link(v_.client_if);
    }
    cnl.delete_route(sys::Prefix::host(ip_of(s_.topology.vpn_ip4)), s_.topology.client_if);
    rewrite_in_place(resolv_path_, saved_resolv_);
  }

  std::vector<OwnAction> own_actions() const override {
    std::lock_guard<std::mutex> lock(own_mu_);
    return own_;
  }

  // A reconnection still waiting for its handshake gives up (the lab is about to go).
  void quiesce() override {
    quiesced_ = true;
    if (supervisor_) supervisor_->stop();
  }

  std::vector<std::string> notes() const override {
    if (endpoint_route_restored_ == 0) return {};
    return {fmt::format(
        "client: the endpoint's host route was gone while it waited for a handshake (it goes "
        "with the physical link's address); the client added it again {} time(s)",
        endpoint_route_restored_.load())};
  }

  VpnInfo info() const override {
    VpnInfo i{v_.kind, v_.implementation, v_.client_if, ip_of(v_.client_tunnel_ip),
              fmt::format("{}:{}", ip_of(s_.topology.vpn_ip4), v_.port)};
    i.client = "reference";  // this file's own client steps, not wg-quick or any real client
    i.resolver = v_.dns;
    return i;
  }

 private:
  // The supervisor's call (on its thread): the tunnel is dead; tear down as the clean
  // disconnect does, then connect again (to the next address, if the VPN hands one out).
  // Recorded when it starts (the window may end while it waits for a handshake).
  void declared_dead(int64_t silence_ns) {
    std::lock_guard<std::mutex> lock(ops_);
    size_t i = 0;
    {
      OwnAction a;
      a.start_ns = sys::mono_ns();
      a.action = "client-reconnect";
      a.params["silence_ms"] = static_cast<double>(silence_ns / 1000) / 1000.0;
      a.params["dead_after_ms"] = static_cast<double>(v_.dead_after.count()) / 1000.0;
      a.params["from_tunnel_ip"] = ip_of(tunnel_ip_);
      std::lock_guard<std::mutex> own(own_mu_);
      i = own_.size();
      own_.push_back(std::move(a));
    }
    std::string tunnel_ip, error;
    try {
      tear_down(DisconnectMode::clean);
      take_next_address();
      tunnel_ip = ip_of(tunnel_ip_);
      {
        std::lock_guard<std::mutex> own(own_mu_);
        own_[i].params["tunnel_ip"] = tunnel_ip;
      }
      bring_up_client(true);
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard<std::mutex> own(own_mu_);
    if (!error.empty()) own_[i].params["error"] = error;
    own_[i].done_ns = sys::mono_ns();
  }

  // On a reconnection the VPN may hand out another address (vpn.reconnect_tunnel_ip): the
  // server's peer then allows that one (as a provider's API would set it up).
  void take_next_address() {
    if (v_.reconnect_tunnel_ip.empty() || tunnel_ip_ == v_.reconnect_tunnel_ip) return;
    tunnel_ip_ = v_.reconnect_tunnel_ip;
    allow_peer_address(*server_, client_keys_.public_hex, tunnel_ip_);
  }

  // A packet into the tunnel starts the handshake. It is sent again every so often while
  // waiting: one read by wireguard-go before it has brought its peer up is dropped without
  // starting anything. The bound is several of WireGuard's 5 s handshake retries.
  void wait_for_handshake() {
    wait_for_wg_handshake(
        lab_, v_.dns, [&] { return client_->last_handshake_sec() != 0; },
        [&] {
          if (quiesced_) throw EnvironmentError("the run ended while waiting for the handshake");
          client_->check_running("while waiting for the handshake");
          server_->check_running("while waiting for the handshake");
          keep_endpoint_route();
        },
        kHandshakeBound,
        [&](const HandshakeTries& t) {
          throw EnvironmentError(fmt::format(
              "the WireGuard handshake did not complete within {} s: {} datagrams sent into {} "
              "(to {}:9){}; the server listened on UDP {}:{}. The client's wireguard-go log "
              "ends with:\n{}\nThe server's:\n{}\n(logs kept in {}); check that nothing in the "
              "lab's path drops UDP (nftables) and that the machine is not overloaded",
              kHandshakeBound.count(), t.sent, v_.client_if, v_.dns,
              t.send_errno
                  ? fmt::format(", the last send failed with {}", sys::errno_name(t.send_errno))
                  : "",
              ip_of(s_.topology.vpn_ip4), v_.port, lab_.log_tail("wireguard-go-" + v_.client_if),
              lab_.log_tail("wireguard-go-" + v_.server_if),
              (lab_.keep_log("wireguard-go-" + v_.server_if),
               lab_.keep_log("wireguard-go-" + v_.client_if), lab_.kept_dir())));
        });
  }

  // While it waits for a handshake: the endpoint's host route goes with the physical link's
  // address (a roam: udhcpc's deconfig flushes it), and without it the handshake would be sent
  // into the tunnel itself. Added again, every 200 ms at most, once the gateway is reachable
  // (until then the kernel refuses it), as a client that follows route changes does.
  void keep_endpoint_route() {
    const auto now = std::chrono::steady_clock::now();
    if (now - endpoint_route_at_ < std::chrono::milliseconds(200)) return;
    endpoint_route_at_ = now;
    try {
      lab_.netlink(lab_.names().client)
          .add_route(sys::Prefix::host(ip_of(s_.topology.vpn_ip4)), ip_of(s_.topology.home_lan_ip4),
                     s_.topology.client_if);
      ++endpoint_route_restored_;  // it was gone: the add went through
    } catch (const sys::SysError&) {
      // EEXIST: still there. Anything else (ENETUNREACH: no address on the link yet): later.
    }
  }

  void wait_link_gone() {
    auto& cnl = lab_.netlink(lab_.names().client);
    const auto deadline = std::chrono::steady_clock::now() + kServerListenBound;
    for (;;) {
      try {
        cnl.ifindex(v_.client_if);
      } catch (const std::exception&) {
        return;
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw EnvironmentError(fmt::format(
            "reconnecting the VPN: the client's old interface {} was still there {} s after "
            "the disconnect; a new one cannot take its name",
            v_.client_if, kServerListenBound.count()));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  static constexpr auto kServerListenBound = std::chrono::seconds(5);
  static constexpr auto kHandshakeBound = std::chrono::seconds(20);

  Lab& lab_;
  const Scenario& s_;
  const VpnSpec& v_;
  std::unique_ptr<WgDevice> server_, client_;
  WgKeys server_keys_, client_keys_;
  DisconnectMode last_mode_ = DisconnectMode::clean;
  std::string resolv_path_, saved_resolv_;
  std::string tunnel_ip_;  // the address it has now (vpn.reconnect_tunnel_ip after a reconnect)
  std::chrono::steady_clock::time_point endpoint_route_at_;  // keep_endpoint_route's last try
  std::atomic<int> endpoint_route_restored_{0};
  std::atomic<bool> quiesced_{false};
  std::mutex ops_;  // connect, disconnect, reconnect: from the action thread or the supervisor
  mutable std::mutex own_mu_;
  std::vector<OwnAction> own_;
  // Last: destroyed first (its thread calls into this object), after the lab's teardown.
  std::unique_ptr<Supervisor> supervisor_;
};

}  // namespace

std::unique_ptr<VpnDriver> make_wireguard_reference(Lab& lab, const Scenario& s) {
  return std::make_unique<WireGuardVpn>(lab, s);
}

void start_resolver(Lab& lab, const std::string& ns, const std::string& address,
                    const std::string& identity, const std::string& server_ip) {
  const std::string label = "dnsmasq-" + identity;
  lab.spawn(ns, label,
            {"dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
             "--conf-file=/dev/null", "--pid-file=", "--user=root", "--group=root",
             "--bind-interfaces", "--listen-address=" + address, "--log-queries",
             "--log-facility=" + lab.log_path(label + "-queries"),
             "--address=/server.splitsecond.test/" + server_ip,
             std::string("--address=/") + kDohName + "/" + server_ip,
             "--txt-record=whoami.splitsecond.test," + identity});
}

}  // namespace ss::lab
