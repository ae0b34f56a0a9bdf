#include "lab/openvpn_vpn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "lab/tls_ca.hpp"
#include "model/errors.hpp"
#include "observe/rtnl.hpp"
#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {

OpenVpnFiles OpenVpnFiles::in(const std::string& dir, const std::string& self_exe) {
  OpenVpnFiles f;
  f.dir = dir;
  f.ca = dir + "/ca.crt";
  f.server_cert = dir + "/server.crt";
  f.server_key = dir + "/server.key";
  f.client_cert = dir + "/client.crt";
  f.client_key = dir + "/client.key";
  f.ccd = dir + "/ccd";
  f.resolv_save = dir + "/resolv.conf.before-vpn";
  f.self_exe = self_exe;
  return f;
}

std::string ipv4_netmask(const std::string& cidr) {
  const auto slash = cidr.find('/');
  int len = -1;
  try {
    if (slash != std::string::npos) len = std::stoi(cidr.substr(slash + 1));
  } catch (const std::exception&) {
  }
  if (len < 0 || len > 32)
    throw UsageError(fmt::format("'{}' has no IPv4 prefix length (0-32)", cidr));
  const uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  return fmt::format("{}.{}.{}.{}", mask >> 24, (mask >> 16) & 255, (mask >> 8) & 255, mask & 255);
}

std::vector<std::string> openvpn_server_args(const Scenario& s, const OpenVpnFiles& f) {
  const auto& v = s.vpn;
  const std::string server_ip = ip_of(v.server_tunnel_ip);
  return {"openvpn",
          "--mode",
          "server",
          "--tls-server",
          "--proto",
          "udp4",
          "--local",
          ip_of(s.topology.vpn_ip4),
          "--port",
          std::to_string(v.port),
          "--dev",
          v.server_if,
          "--dev-type",
          "tun",
          "--disable-dco",
          "--topology",
          "subnet",
          "--ifconfig",
          server_ip,
          ipv4_netmask(v.server_tunnel_ip),
          "--push",
          "topology subnet",
          "--push",
          "route-gateway " + server_ip,
          "--client-config-dir",
          f.ccd,
          "--ccd-exclusive",
          "--push",
          "redirect-gateway def1",
          "--push",
          "dhcp-option DNS " + v.dns,
          "--ping",
          std::to_string(v.ping_s),
          "--ping-restart",
          std::to_string(v.ping_restart_s),
          "--ca",
          f.ca,
          "--cert",
          f.server_cert,
          "--key",
          f.server_key,
          "--dh",
          "none",
          "--verb",
          "3"};
}

std::vector<std::string> openvpn_client_args(const Scenario& s, const OpenVpnFiles& f) {
  const auto& v = s.vpn;
  const std::string script = fmt::format("{} agent openvpn-dns --resolv /etc/resolv.conf --save {}",
                                         f.self_exe, f.resolv_save);
  std::vector<std::string> a = {"openvpn",
                                "--client",
                                "--proto",
                                "udp4",
                                "--remote",
                                ip_of(s.topology.vpn_ip4),
                                std::to_string(v.port),
                                "--nobind",
                                "--dev",
                                v.client_if,
                                "--dev-type",
                                "tun",
                                "--disable-dco",
                                "--ca",
                                f.ca,
                                "--cert",
                                f.client_cert,
                                "--key",
                                f.client_key,
                                "--remote-cert-tls",
                                "server",
                                "--verify-x509-name",
                                kOpenVpnServerCn,
                                "name",
                                "--script-security",
                                "2",
                                "--up",
                                script,
                                "--down",
                                script,
                                "--ping",
                                std::to_string(v.ping_s),
                                "--ping-restart",
                                std::to_string(v.ping_restart_s),
                                "--verb",
                                "3"};
  if (v.persist_tun) a.push_back("--persist-tun");
  return a;
}

namespace {
std::string ifconfig_push(const std::string& tunnel_ip) {
  return fmt::format("ifconfig-push {} {}\n", ip_of(tunnel_ip), ipv4_netmask(tunnel_ip));
}
}  // namespace

std::string openvpn_client_ccd(const Scenario& s) {
  return ifconfig_push(s.vpn.client_tunnel_ip);
}

std::string openvpn_client_ccd_after_connect(const Scenario& s) {
  return ifconfig_push(s.vpn.reconnect_tunnel_ip.empty() ? s.vpn.client_tunnel_ip
                                                         : s.vpn.reconnect_tunnel_ip);
}

std::vector<std::string> describe_changes(const std::vector<Event>& events) {
  std::vector<std::string> out;
  auto str = [](const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : ""; };
  for (const auto& e : events) {
    const auto& d = e.detail;
    if (e.layer == Layer::route) {
      if (str(d.value("table", nlohmann::json())) != "main") continue;
      std::string line = fmt::format("route {} {}", e.kind, str(d["dst"]));
      if (!str(d.value("gateway", nlohmann::json())).empty()) line += " via " + str(d["gateway"]);
      if (!str(d.value("dev", nlohmann::json())).empty()) line += " dev " + str(d["dev"]);
      out.push_back(line);
    } else if (e.layer == Layer::addr) {
      out.push_back(fmt::format("address {} {} dev {}", e.kind, str(d["address"]), str(d["dev"])));
    } else if (e.layer == Layer::link) {
      out.push_back(fmt::format("link {} {}", e.kind, str(d["ifname"])));
    }
  }
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

void write_private(const std::string& path, const std::string& text) {
  sys::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw sys::SysError("open", path, errno);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw sys::SysError("write", path, errno);
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return "status unknown";
}

// A DNS query (A server.splitsecond.test) in wire format, id 0x5353.
std::string dns_query() {
  std::string q("\x53\x53\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  for (const char* label : {"server", "splitsecond", "test"}) {
    q += static_cast<char>(std::strlen(label));
    q += label;
  }
  q += std::string("\x00\x00\x01\x00\x01", 5);
  return q;
}

class OpenVpn final : public VpnDriver {
 public:
  OpenVpn(Lab& lab, const Scenario& s) : lab_(lab), s_(s), v_(s.vpn) {}

  void connect() override {
    try {
      prepare_files();
      start_server();
      start_client();
      // The server reads the client's file at each connection: from now on (a ping-restart,
      // a vpn-restart) it hands out vpn.reconnect_tunnel_ip, if the scenario sets one.
      write_private(files_.ccd + "/" + kOpenVpnClientCn, openvpn_client_ccd_after_connect(s_));
    } catch (const sys::SysError& e) {
      throw LabError("connecting OpenVPN", e,
                     "the kernel refused a step of the OpenVPN server's set-up (files, NAT)");
    }
  }

  // The client again (after a disconnect), as at connect, bounded the same way.
  void reconnect() override { start_client(); }

  void disconnect(DisconnectMode mode) override {
    sys::Child& c = *client_;
    if (mode == DisconnectMode::crash) {
      c.signal(SIGKILL);
      notes_.push_back(fmt::format("crash: SIGKILL to the client openvpn (pid {})", c.pid()));
      return;
    }
    if (mode != DisconnectMode::clean)
      throw UsageError("disconnect.mode: OpenVPN's client disconnects clean or crashes");
    // OpenVPN's own clean exit: on SIGTERM it removes its routes, closes its TUN device and
    // runs its down script. The disconnect is done when it has exited.
    const auto start = Clock::now();
    c.signal(SIGTERM);
    pollfd p{c.pidfd(), POLLIN, 0};
    while (Clock::now() - start < kExitBound && ::poll(&p, 1, 50) == 0) {
    }
    const auto took =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    if (auto status = c.poll_exit())
      notes_.push_back(
          fmt::format("clean: SIGTERM to the client openvpn (pid {}); it exited ({}) {:.1f} ms "
                      "later",
                      c.pid(), exit_text(*status), took / 1000.0));
    else
      notes_.push_back(fmt::format(
          "clean: SIGTERM to the client openvpn (pid {}); it had not exited {} s "
          "later (ended at teardown)",
          c.pid(), std::chrono::duration_cast<std::chrono::seconds>(kExitBound).count()));
  }

  VpnInfo info() const override {
    VpnInfo i{v_.kind, v_.implementation, v_.client_if, ip_of(v_.client_tunnel_ip),
              fmt::format("{}:{}", ip_of(s_.topology.vpn_ip4), v_.port)};
    i.client = "openvpn";
    i.resolver = v_.dns;
    return i;
  }

  std::vector<std::string> notes() const override {
    std::vector<std::string> out = notes_;
    // What the up/down script said it did, in the order it ran, from every client log.
    for (const auto& label : client_labels_) {
      std::istringstream log(read_text(lab_.log_path(label)));
      for (std::string line; std::getline(log, line);)
        if (line.find("\"event\":\"openvpn-dns\"") != std::string::npos)
          out.push_back(fmt::format("{} up/down script: {}", label, line));
    }
    return out;
  }

 private:
  void prepare_files() {
    files_ = OpenVpnFiles::in(lab_.ledger().run_dir() + "/openvpn",
                              std::filesystem::read_symlink("/proc/self/exe"));
    if (::mkdir(files_.dir.c_str(), 0700) < 0 && errno != EEXIST)
      throw sys::SysError("mkdir", files_.dir, errno);
    if (::mkdir(files_.ccd.c_str(), 0700) < 0 && errno != EEXIST)
      throw sys::SysError("mkdir", files_.ccd, errno);
    const RunPki pki = make_run_pki(kOpenVpnServerCn, kOpenVpnClientCn);
    write_private(files_.ca, pki.ca.cert_pem);
    write_private(files_.server_cert, pki.server.cert_pem);
    write_private(files_.server_key, pki.server.key_pem);
    write_private(files_.client_cert, pki.client.cert_pem);
    write_private(files_.client_key, pki.client.key_pem);
    write_private(files_.ccd + "/" + kOpenVpnClientCn, openvpn_client_ccd(s_));
  }

  void start_server() {
    const auto& n = lab_.names();
    server_ = &lab_.spawn(n.vpn, "openvpn-server", openvpn_server_args(s_, files_));
    wait_for_log(*server_, "openvpn-server", "Initialization Sequence Completed", kServerBound,
                 "the OpenVPN server to open its tunnel device");
    if (v_.server_nat) {
      sys::Prefix tunnel = sys::Prefix::parse(v_.server_tunnel_ip).network();
      char net[INET6_ADDRSTRLEN];
      ::inet_ntop(tunnel.family, tunnel.addr, net, sizeof net);
      apply_nft(lab_.netns_fd(n.vpn), nat_ruleset("eth0", fmt::format("{}/{}", net, tunnel.len)));
    }
    // dnsmasq binds the server's tunnel address: it exists once the server has set up its TUN.
    start_resolver(lab_, n.vpn, v_.dns, "vpn-resolver", ip_of(s_.topology.server_ip4));
  }

  void start_client() {
    const auto& n = lab_.names();
    const std::string label = client_labels_.empty()
                                  ? "openvpn-client"
                                  : fmt::format("openvpn-client-{}", client_labels_.size() + 1);
    client_labels_.push_back(label);
    // What the client does to links, addresses and routes while it connects (before t=0).
    observe::NetlinkMonitor monitor(lab_.netns_fd(n.client));
    client_ = &lab_.spawn(n.client, label, openvpn_client_args(s_, files_));
    wait_for_log(*client_, label, "Initialization Sequence Completed", kClientBound,
                 "the OpenVPN client to connect");
    wait_for_traffic(label);
    std::vector<std::pair<int64_t, Event>> raw;
    monitor.drain(0, raw);
    std::vector<Event> events;
    for (auto& [t, e] : raw) events.push_back(std::move(e));
    std::string line;
    for (const auto& c : describe_changes(events)) line += (line.empty() ? "" : "; ") + c;
    notes_.push_back(fmt::format(
        "{} (pid {}) while {}: {}", label, client_->pid(),
        client_labels_.size() == 1 ? "connecting, before t=0" : "reconnecting (vpn-restart)",
        line.empty() ? "no change seen" : line));
  }

  // Polls a log for a line, bounded; throws EnvironmentError quoting the log if the process
  // ends first or the bound passes.
  void wait_for_log(sys::Child& child, const std::string& label, const std::string& needle,
                    std::chrono::milliseconds bound, const char* what) {
    const auto deadline = Clock::now() + bound;
    for (auto pause = std::chrono::milliseconds(2);;
         pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
      if (read_text(lab_.log_path(label)).find(needle) != std::string::npos) return;
      if (auto status = child.poll_exit())
        throw EnvironmentError(fmt::format(
            "waiting for {}: openvpn ({}) exited ({}); its log ends with:\n{}\n(log kept in {})",
            what, label, exit_text(*status), lab_.log_tail(label), lab_.keep_log(label)));
      if (Clock::now() > deadline)
        throw EnvironmentError(fmt::format(
            "waiting for {}: no \"{}\" in openvpn's log ({}) within {} ms; it ends with:\n{}\n"
            "(log kept in {}); check that nothing in the lab drops UDP and that the machine is "
            "not overloaded",
            what, needle, label, bound.count(), lab_.log_tail(label), lab_.keep_log(label)));
      std::this_thread::sleep_for(pause);
    }
  }

  // The tunnel carries traffic: a DNS query to the VPN's resolver (reached only through the
  // tunnel) gets an answer. Sent again every so often, bounded.
  void wait_for_traffic(const std::string& label) {
    sys::Fd udp;
    {
      sys::NetnsGuard in(lab_.netns_fd(lab_.names().client));
      udp.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      if (!udp) throw sys::SysError("socket", "AF_INET (client namespace)", errno);
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(53);
    ::inet_pton(AF_INET, v_.dns.c_str(), &to.sin_addr);
    const std::string q = dns_query();
    int sent = 0, send_errno = 0;
    for (const auto deadline = Clock::now() + kTrafficBound; Clock::now() < deadline;) {
      if (::sendto(udp.get(), q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
          0)
        send_errno = errno;
      ++sent;
      pollfd p{udp.get(), POLLIN, 0};
      if (::poll(&p, 1, 250) > 0) {
        char buf[512];
        if (::recv(udp.get(), buf, sizeof buf, 0) >= 12) return;
      }
      if (auto status = client_->poll_exit())
        throw EnvironmentError(fmt::format(
            "openvpn ({}) exited ({}) before its tunnel carried traffic; its log ends with:\n{}",
            label, exit_text(*status), lab_.log_tail(label)));
    }
    throw EnvironmentError(fmt::format(
        "OpenVPN said it was connected, but {} DNS queries to {} through {} got no answer "
        "within {} s{}; the client's log ends with:\n{}\nthe server's:\n{}\n(logs kept in {})",
        sent, v_.dns, v_.client_if,
        std::chrono::duration_cast<std::chrono::seconds>(kTrafficBound).count(),
        send_errno ? fmt::format(" (the last send failed: {})", sys::errno_name(send_errno)) : "",
        lab_.log_tail(label), lab_.log_tail("openvpn-server"),
        (lab_.keep_log(label), lab_.keep_log("openvpn-server"), lab_.kept_dir())));
  }

  static constexpr auto kServerBound = std::chrono::milliseconds(10'000);
  static constexpr auto kClientBound = std::chrono::milliseconds(20'000);
  static constexpr auto kTrafficBound = std::chrono::milliseconds(10'000);
  static constexpr auto kExitBound = std::chrono::milliseconds(10'000);

  Lab& lab_;
  const Scenario& s_;
  const VpnSpec& v_;
  OpenVpnFiles files_;
  sys::Child* server_ = nullptr;
  sys::Child* client_ = nullptr;
  std::vector<std::string> client_labels_, notes_;
};

}  // namespace

std::unique_ptr<VpnDriver> make_openvpn(Lab& lab, const Scenario& s) {
  return std::make_unique<OpenVpn>(lab, s);
}

}  // namespace ss::lab
