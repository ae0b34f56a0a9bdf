// vpn.client = "wg-quick": Debian's wg-quick as the client, in the client namespace, with
// the userspace wireguard-go (this kernel has no WireGuard module) and openresolv for its
// `DNS =`. The server is the lab's own wireguard-go (lab/wireguard.cpp). We only run wg-quick
// and record: its routes, rules, nftables table and resolver changes are its own.
//
// Confinement: wg-quick runs through Lab::spawn (the client's network namespace, a mount
// namespace of its own with /etc/netns/<client>/resolv.conf over /etc/resolv.conf), and a
// wrapper binds the run's private directory over /run, so wireguard-go's UAPI socket and
// openresolv's state live there and are shared by `up` and `down`. openresolv is Debian's,
// unpacked (not installed: its package hooks would hand the host's resolv.conf to it) by
// scripts/deps.sh; the lab runs a copy whose configuration and subscriber paths point into that
// private /run, and whose resolv_conf is a private path bound to the namespace's resolv.conf, so
// its resolv.conf.bak lands in the private directory and never in the host's /etc.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "lab/killswitch_lab.hpp"
#include "lab/vpn.hpp"
#include "lab/wireguard.hpp"
#include "model/errors.hpp"
#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

namespace fs = std::filesystem;

// Where scripts/deps.sh unpacks Debian's openresolv (SPLITSECOND_OPENRESOLV overrides it).
std::string openresolv_root() {
  const char* env = std::getenv("SPLITSECOND_OPENRESOLV");
  return env && *env ? env : "/usr/local/lib/splitsecond/openresolv";
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  sys::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw sys::SysError("open", path, errno);
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    throw sys::SysError("write", path, errno);
  ::fchmod(fd.get(), mode);
}

// A copy of one of openresolv's scripts with its fixed directories replaced.
std::string relocate(const std::string& script, const std::string& file) {
  std::string out;
  std::istringstream in(script);
  bool sysconf = false, libexec = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "SYSCONFDIR=/etc") {
      line = "SYSCONFDIR=/run/openresolv/etc";
      sysconf = true;
    } else if (line == "LIBEXECDIR=/lib/resolvconf") {
      line = "LIBEXECDIR=/run/openresolv/lib";
      libexec = true;
    }
    out += line + "\n";
  }
  if (!sysconf || !libexec)
    throw EnvironmentError(fmt::format(
        "{}: not the openresolv this lab knows (no SYSCONFDIR=/etc and LIBEXECDIR=/lib/resolvconf "
        "lines to move into the lab); re-run scripts/deps.sh",
        file));
  return out;
}

// The wrapper wg-quick runs under, in its own mount namespace: the private directory over /run,
// the namespace's resolv.conf bound to a private path (openresolv's resolv_conf), openresolv
// first in PATH.
constexpr const char* kWrapper = R"(set -eu
mount --bind "$1" /run
mount --bind /etc/resolv.conf /run/resolv.conf
export PATH=/run/openresolv/bin:$PATH
exec wg-quick "$2" "$3"
)";

class WgQuickVpn final : public VpnDriver {
 public:
  WgQuickVpn(Lab& lab, const Scenario& s) : lab_(lab), s_(s), v_(s.vpn) {}

  void connect() override {
    try {
      const auto server_keys = WgKeys::generate(), client_keys = WgKeys::generate();
      server_ = start_wg_server(lab_, s_, server_keys.private_hex, client_keys.public_hex);
      client_public_hex_ = client_keys.public_hex;
      prepare(client_keys.private_hex, server_keys.public_hex);
    } catch (const sys::SysError& e) {
      throw LabError("connecting the VPN (wg-quick)", e,
                     "the kernel refused a step of the server's set-up, or the run's private "
                     "directory could not be written");
    }
    up("connecting the VPN");
  }

  void disconnect(DisconnectMode mode) override {
    if (mode == DisconnectMode::keep_interface)  // scenario validation refuses it first
      throw UsageError("disconnect.mode: 'keep-interface' is not something wg-quick does");
    if (mode == DisconnectMode::crash) {
      crash();
      return;
    }
    // Waited for: the action runs on the action thread while the recorder goes on reading,
    // so the disconnect completes when wg-quick down (a dozen programs) has exited.
    run("down", "disconnecting (wg-quick down)");
    down_exited_ = true;
  }

  void reconnect() override {
    take_next_address();
    up("reconnecting (wg-quick up)");
  }

  VpnInfo info() const override {
    VpnInfo i{v_.kind, v_.implementation, v_.client_if, ip_of(v_.client_tunnel_ip),
              fmt::format("{}:{}", ip_of(s_.topology.vpn_ip4), v_.port)};
    i.client = "wg-quick";
    i.resolver = v_.dns;
    return i;
  }

  std::vector<std::string> notes() const override {
    std::vector<std::string> out = {"client: Debian's wg-quick (" + conf_ +
                                    "), userspace wireguard-go, openresolv confined to the "
                                    "run's private /run"};
    if (down_exited_)
      out.push_back("wg-quick down exited 0; the disconnect completed when it had exited");
    if (!v_.reconnect_tunnel_ip.empty() && conf_address_ == v_.reconnect_tunnel_ip)
      out.push_back("reconnected with Address = " + conf_address_ + " (vpn.reconnect_tunnel_ip)");
    return out;
  }

 private:
  // On a reconnection the VPN may hand out another address (vpn.reconnect_tunnel_ip): the
  // config's Address changes before `wg-quick up`, and the server's peer allows the new one.
  void take_next_address() {
    if (v_.reconnect_tunnel_ip.empty() || conf_address_ == v_.reconnect_tunnel_ip) return;
    std::string conf = slurp(conf_);
    const std::string from = "Address = " + conf_address_ + "\n";
    const auto at = conf.find(from);
    if (at == std::string::npos)
      throw std::logic_error("wg-quick config without its Address line: " + conf_);
    conf.replace(at, from.size(), "Address = " + v_.reconnect_tunnel_ip + "\n");
    write_file(conf_, conf, 0600);
    conf_address_ = v_.reconnect_tunnel_ip;
    allow_peer_address(*server_, client_public_hex_, conf_address_);
  }

  // The run's private directory: the config (0600) and what is bound over /run.
  void prepare(const std::string& client_private, const std::string& server_public) {
    const std::string root = openresolv_root();
    const std::string rc = root + "/sbin/resolvconf", libc = root + "/lib/resolvconf/libc";
    if (::access(rc.c_str(), R_OK) != 0 || ::access(libc.c_str(), R_OK) != 0)
      throw EnvironmentError(fmt::format(
          "vpn.client = \"wg-quick\" needs Debian's openresolv unpacked in {0} (tried {1} and "
          "{2}); run scripts/deps.sh as root (from a source tree), or unpack it without "
          "installing it: cd \"$(mktemp -d)\" && apt-get download openresolv && mkdir -p {0} && "
          "dpkg-deb -x openresolv_*.deb {0}; or set SPLITSECOND_OPENRESOLV to where it is unpacked",
          root, rc, libc));
    dir_ = lab_.ledger().run_dir() + "/wg-quick";
    const std::string run = dir_ + "/run";
    for (const std::string& d :
         {dir_, run, run + "/openresolv", run + "/openresolv/bin", run + "/openresolv/etc",
          run + "/openresolv/lib", run + "/openresolv/lib/libc.d"})
      if (::mkdir(d.c_str(), 0700) < 0 && errno != EEXIST) throw sys::SysError("mkdir", d, errno);
    write_file(run + "/openresolv/bin/resolvconf", relocate(slurp(rc), rc), 0700);
    write_file(run + "/openresolv/lib/libc", relocate(slurp(libc), libc), 0600);
    // resolv_conf: the namespace's file, bound here by the wrapper, so openresolv's backup of
    // it (resolv.conf.bak, beside it) stays in the private /run. libc_restart: nothing to
    // restart (the default calls /sbin/resolvconf, which the host does not have).
    write_file(run + "/openresolv/etc/resolvconf.conf",
               "resolv_conf=/run/resolv.conf\nlibc_restart=:\n", 0600);
    write_file(run + "/resolv.conf", "", 0600);  // the bind mount's target
    write_file(dir_ + "/wg-quick.sh", kWrapper, 0700);
    // Inside the private /run, where wg-quick sees it once the wrapper has bound it there.
    conf_ = run + "/" + v_.client_if + ".conf";
    conf_inside_ = "/run/" + v_.client_if + ".conf";
    write_file(conf_,
               fmt::format("[Interface]\nPrivateKey = {}\nAddress = {}\nDNS = {}\n{}\n[Peer]\n"
                           "PublicKey = {}\nEndpoint = {}:{}\nAllowedIPs = 0.0.0.0/0, ::/0\n",
                           base64_of_hex(client_private), v_.client_tunnel_ip, v_.dns,
                           wgquick_killswitch_lines(s_),  // the recipe's PostUp/PreDown, if any
                           base64_of_hex(server_public), ip_of(s_.topology.vpn_ip4), v_.port),
               0600);
  }

  static std::string base64_of_hex(const std::string& hex) {
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    std::string out;
    for (size_t i = 0; i < bytes.size(); i += 3) {
      uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
      if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
      if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
      out += b64[(n >> 18) & 63];
      out += b64[(n >> 12) & 63];
      out += i + 1 < bytes.size() ? b64[(n >> 6) & 63] : '=';
      out += i + 2 < bytes.size() ? b64[n & 63] : '=';
    }
    return out;
  }

  // Runs `wg-quick <verb> <conf>` to its end, bounded; EnvironmentError with its output if it
  // fails or does not end.
  struct Started {
    sys::Child* child;
    std::string verb, label;
  };

  Started start(const std::string& verb) {
    const std::string label = fmt::format("wg-quick-{}-{}", verb, ++runs_);
    auto& child =
        lab_.spawn(lab_.names().client, label,
                   {"sh", dir_ + "/wg-quick.sh", dir_ + "/run", verb, conf_inside_}, false, {},
                   {"WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go", "LOG_LEVEL=verbose",
                    "PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
    return {&child, verb, label};
  }

  void run(const std::string& verb, const std::string& context) { wait_done(start(verb), context); }

  void wait_done(const Started& started, const std::string& context) {
    auto& child = *started.child;
    const std::string &verb = started.verb, &label = started.label;
    const auto deadline = std::chrono::steady_clock::now() + kRunBound;
    std::optional<int> status;
    while (!(status = child.poll_exit())) {
      if (std::chrono::steady_clock::now() > deadline) {
        child.stop(std::chrono::milliseconds(200));
        throw EnvironmentError(fmt::format(
            "{}: `wg-quick {} {}` did not end within {} s; its output ends with:\n{}\n(kept in "
            "{})",
            context, verb, conf_, kRunBound.count(), lab_.log_tail(label), lab_.keep_log(label)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
      throw EnvironmentError(fmt::format(
          "{}: `wg-quick {} {}` failed ({}); its output ends with:\n{}\n(kept in {}); check that "
          "wireguard-tools, wireguard-go and nftables are installed (scripts/deps.sh)",
          context, verb, conf_,
          WIFEXITED(*status) ? fmt::format("exit {}", WEXITSTATUS(*status))
                             : fmt::format("signal {}", WTERMSIG(*status)),
          lab_.log_tail(label, 1500), lab_.keep_log(label)));
  }

  void up(const std::string& context) {
    const auto before = handshake_time();  // wg-quick's own traffic may complete it during up
    run("up", context);
    wait_for_handshake(context, before);
  }

  // The wireguard-go wg-quick started (it daemonizes): the process in the client namespace
  // whose executable is wireguard-go. 0 if there is none.
  pid_t find_client_wireguard_go() {
    struct stat ns {};
    if (::fstat(lab_.netns_fd(lab_.names().client), &ns) < 0) return 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
      const std::string name = e.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      struct stat st {};
      if (::stat((e.path() / "ns/net").c_str(), &st) < 0 || st.st_ino != ns.st_ino) continue;
      std::error_code ec2;
      if (fs::read_symlink(e.path() / "exe", ec2).filename() == "wireguard-go")
        return static_cast<pid_t>(std::stol(name));
    }
    return 0;
  }

  // The crash: SIGKILL to wg-quick's wireguard-go, by pidfd, after checking it is still the one.
  void crash() {
    const pid_t pid = find_client_wireguard_go();
    if (pid == 0)
      throw EnvironmentError(
          "crash: no wireguard-go process in the client namespace (wg-quick's daemon exited "
          "before the disconnect?)");
    sys::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw sys::SysError("pidfd_open", std::to_string(pid), errno);
    if (find_client_wireguard_go() != pid)
      throw EnvironmentError("crash: the client's wireguard-go changed while it was looked up");
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) < 0)
      throw sys::SysError("pidfd_send_signal", std::to_string(pid), errno);
  }

  // A datagram into the tunnel starts the handshake (wg-quick's policy routing sends unmarked
  // traffic to table 51820, through the tunnel); sent again every so often; done when the
  // server (ours, queried over UAPI) reports a handshake newer than before.
  void wait_for_handshake(const std::string& context, std::pair<long, long> before) {
    wait_for_wg_handshake(
        lab_, v_.dns, [&] { return handshake_time() > before; },
        [&] { server_->check_running("while waiting for wg-quick's handshake"); }, kHandshakeBound,
        [&](const HandshakeTries& t) {
          throw EnvironmentError(fmt::format(
              "{}: no WireGuard handshake within {} s after `wg-quick up`: {} datagrams sent "
              "into {} (to {}:9){}; wireguard-go in the client namespace: {}. The server's log "
              "ends with:\n{}\n(kept in {})",
              context, kHandshakeBound.count(), t.sent, v_.client_if, v_.dns,
              t.send_errno ? ", the last send failed with " + sys::errno_name(t.send_errno) : "",
              find_client_wireguard_go() ? "running" : "none",
              lab_.log_tail("wireguard-go-" + v_.server_if),
              lab_.keep_log("wireguard-go-" + v_.server_if)));
        });
  }

  // The server's peer's last handshake (seconds, nanoseconds); (0, 0) before the first.
  std::pair<long, long> handshake_time() {
    auto kv = server_->get();
    auto num = [&](const char* k) { return kv.count(k) ? std::stol(kv[k]) : 0L; };
    return {num("last_handshake_time_sec"), num("last_handshake_time_nsec")};
  }

  static constexpr auto kRunBound = std::chrono::seconds(20);
  static constexpr auto kHandshakeBound = std::chrono::seconds(20);

  Lab& lab_;
  const Scenario& s_;
  const VpnSpec& v_;
  std::unique_ptr<WgDevice> server_;
  std::string dir_, conf_, conf_inside_;
  bool down_exited_ = false;
  std::string client_public_hex_;
  std::string conf_address_ = v_.client_tunnel_ip;  // the config's Address now
  int runs_ = 0;
};

}  // namespace

std::unique_ptr<VpnDriver> make_wireguard_wgquick(Lab& lab, const Scenario& s) {
  return std::make_unique<WgQuickVpn>(lab, s);
}

}  // namespace ss::lab
