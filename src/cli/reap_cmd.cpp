// `splitsecond reap`: when an address goes away (removed, or with its interface), destroy the
// sockets bound to it through sock_diag's SOCK_DESTROY, so their owners get ECONNABORTED at
// once instead of hanging until tcp_retries2 (docs/reap.md). The decision is model/reap_plan;
// this file reads rtnetlink (libpath's RtnlWatch), dumps and destroys, and logs.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <system_error>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "model/errors.hpp"
#include "model/reap_plan.hpp"
#include "rtnl_watch.hpp"
#include "sys/fd.hpp"
#include "sys/netns.hpp"
#include "sys/sock_diag.hpp"
#include "sys/syserror.hpp"

namespace ss::cli {
namespace {

struct ReapArgs {
  std::vector<std::string> interfaces;
  std::vector<int> peer_ports;
  std::string netns;
  bool dry_run = false;
  bool json = false;
};

int64_t mono_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Each line of the log: text, or with --json one JSON object per line stamped with
// CLOCK_MONOTONIC, as the lab's agents print them (the lab records them on its timeline).
class Log {
 public:
  explicit Log(bool json) : json_(json) {}
  // `fields`: figures a JSON reader should not have to parse out of the text.
  void operator()(const std::string& line, const char* kind = "reap",
                  const nlohmann::json& fields = nlohmann::json::object()) const {
    if (json_) {
      nlohmann::json j{{"t_ns", mono_ns()}, {"agent", "reap"}, {"kind", kind}, {"line", line}};
      j.update(fields);
      fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      fmt::print("reap: {}\n", line);
    }
    std::fflush(stdout);
  }

 private:
  bool json_;
};

LocalAddress local_address(const path::Change& c) {
  LocalAddress a;
  a.ifindex = c.ifindex;
  a.ifname = c.ifname;
  a.address.family = c.family;
  a.address.addr = c.addr;
  a.address.len = c.prefix_len;
  return a;
}

ReapSocket reap_socket(const sys::InetSocketId& s) {
  ReapSocket r;
  r.proto = s.protocol == IPPROTO_UDP ? ReapSocket::Proto::udp : ReapSocket::Proto::tcp;
  r.family = s.family;
  r.state = s.state;
  r.local = s.src;
  r.peer_port = s.dport;
  return r;
}

// Honest detection: destroy a socket of our own and see what the kernel answers. 0: it can;
// EOPNOTSUPP: no CONFIG_INET_DIAG_DESTROY (or none for this protocol); EPERM: no
// CAP_NET_ADMIN.
int probe_destroy(sys::SockDiag& diag, int protocol) {
  const int type = protocol == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
  sys::Fd fd(::socket(AF_INET, type | SOCK_CLOEXEC, protocol));
  if (!fd) throw sys::SysError("socket", "the SOCK_DESTROY probe", errno);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  sys::check(::bind(fd.get(), reinterpret_cast<sockaddr*>(&any), sizeof any), "bind",
             "the SOCK_DESTROY probe");
  if (protocol == IPPROTO_TCP) sys::check(::listen(fd.get(), 1), "listen", "the probe");
  struct stat st {};
  sys::check(::fstat(fd.get(), &st), "fstat", "the probe");
  for (const auto& s : diag.dump(AF_INET, protocol))
    if (s.inode == st.st_ino) return diag.destroy(s);
  throw std::runtime_error("sock_diag did not list the probe's own socket");
}

class Reaper {
 public:
  Reaper(ReapPolicy policy, bool dry_run, const Log& say)
      : policy_(std::move(policy)), dry_run_(dry_run), say_(say) {}

  void seed(const std::vector<path::Change>& addresses) {
    for (const auto& c : addresses) book_.add(local_address(c));
  }
  size_t known() const { return book_.all().size(); }

  void on_change(const path::Change& c, int64_t read_ns) {
    using K = path::Change::Kind;
    if (c.kind == K::address_added) {
      book_.add(local_address(c));
    } else if (c.kind == K::address_removed) {
      // Not in the book: added and removed before we looked; it went all the same.
      auto gone = book_.remove(c.ifindex, local_address(c).address);
      if (gone || !c.ifname.empty())
        reap(gone.value_or(local_address(c)), "address removed", read_ns);
    } else if (c.kind == K::link_removed) {
      for (const auto& a : book_.remove_link(c.ifindex)) reap(a, "interface removed", read_ns);
    }
  }

  void resync(const std::vector<path::Change>& now, int64_t read_ns) {
    std::vector<LocalAddress> fresh;
    fresh.reserve(now.size());
    for (const auto& c : now) fresh.push_back(local_address(c));
    for (const auto& a : book_.replace_all(fresh))
      reap(a, "address gone (found by a dump after lost notifications)", read_ns);
  }

  sys::SockDiag& diag() { return diag_; }

 private:
  std::vector<sys::InetSocketId> sockets_for(const IpPrefix& address) {
    std::vector<sys::InetSocketId> all;
    // An IPv4 address may be held by IPv6 sockets too (v4-mapped).
    std::vector<int> families = {AF_INET6};
    if (address.family == AF_INET) families.insert(families.begin(), AF_INET);
    std::vector<int> protocols = {IPPROTO_TCP};
    if (policy_.udp) protocols.push_back(IPPROTO_UDP);
    for (int p : protocols)
      for (int f : families) {
        auto part = diag_.dump(f, p);
        all.insert(all.end(), part.begin(), part.end());
      }
    return all;
  }

  void reap(const LocalAddress& removed, const char* why, int64_t read_ns) {
    const std::string what = fmt::format("{} removed from {} ({})", removed.address.str(),
                                         removed.ifname.empty() ? "?" : removed.ifname, why);
    if (auto skip = reap_skip_reason(removed, policy_, book_)) {
      say_(fmt::format("{}: left alone: {}", what, *skip));
      return;
    }
    const auto ids = sockets_for(removed.address);
    std::vector<ReapSocket> sockets;
    sockets.reserve(ids.size());
    for (const auto& s : ids) sockets.push_back(reap_socket(s));
    int tcp = 0, udp = 0, gone = 0, failed = 0;
    for (size_t i : reap_victims(removed.address, policy_, sockets)) {
      const auto& s = ids[i];
      const char* proto = s.protocol == IPPROTO_UDP ? "udp" : "tcp";
      std::string line = fmt::format("{} {} {} -> {}", proto, sys::tcp_state_name(s.state),
                                     sys::local_text(s), sys::peer_text(s));
      if (dry_run_) {
        say_("  would destroy " + line, "reap", {{"action", "would destroy"}});
      } else if (int err = diag_.destroy(s); err == 0) {
        say_("  destroyed " + line, "reap", {{"action", "destroyed"}});
      } else if (err == ENOENT) {
        ++gone;
        say_("  already gone " + line);
        continue;
      } else {
        ++failed;
        say_(fmt::format("  could not destroy {}: {}", line, sys::errno_name(err)));
        continue;
      }
      (s.protocol == IPPROTO_UDP ? udp : tcp)++;
    }
    const int64_t took_us = (mono_ns() - read_ns) / 1000;
    say_(fmt::format("{}: {} {} sockets (tcp {}, udp {}) in {} us{}{}", what,
                     dry_run_ ? "would destroy" : "destroyed", tcp + udp, tcp, udp, took_us,
                     gone ? fmt::format("; {} already gone", gone) : "",
                     failed ? fmt::format("; {} failed", failed) : ""),
         "reaped",
         {{"address", removed.address.str()},
          {"tcp", tcp},
          {"udp", udp},
          {"dry_run", dry_run_},
          {"took_us", took_us}});
  }

  ReapPolicy policy_;
  bool dry_run_;
  const Log& say_;
  AddressBook book_;
  sys::SockDiag diag_{-1};
};

bool valid_ifname(const std::string& n) {
  return !n.empty() && n.size() < IFNAMSIZ && n.find_first_of("/ \t\n\"") == std::string::npos;
}

// SIGINT/SIGTERM/SIGHUP as a descriptor: the loop ends cleanly on them.
sys::Fd stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
  sys::check(::sigprocmask(SIG_BLOCK, &set, nullptr), "sigprocmask", "SIGINT/SIGTERM/SIGHUP");
  return sys::Fd(static_cast<int>(
      sys::check(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd", "SIGTERM")));
}

void run_reap(const ReapArgs& a) {
  const Log say(a.json);
  for (int p : a.peer_ports)
    if (p < 1 || p > 65535)
      throw UsageError(fmt::format("--peer-port {}: not a port (1-65535)", p));
  for (const auto& n : a.interfaces)
    if (!valid_ifname(n))
      throw UsageError(fmt::format("--interface {}: not a valid interface name", n));
  std::optional<sys::NetnsGuard> in;
  if (!a.netns.empty()) {
    sys::Fd ns;
    try {
      ns = sys::netns_open(a.netns);
    } catch (const sys::SysError& e) {
      throw UsageError(
          fmt::format("--netns {}: no such network namespace ({})", a.netns, e.what()));
    }
    in.emplace(ns.get());
  }
  for (const auto& n : a.interfaces)
    if (::if_nametoindex(n.c_str()) == 0)
      say(
          fmt::format("note: no interface {} here now; its addresses are reaped once it "
                      "exists and loses them",
                      n));

  ReapPolicy policy;
  policy.interfaces = a.interfaces;
  for (int p : a.peer_ports) policy.peer_ports.push_back(static_cast<uint16_t>(p));
  std::unique_ptr<Reaper> reaper;
  try {
    reaper = std::make_unique<Reaper>(policy, a.dry_run, say);
  } catch (const sys::SysError& e) {
    throw EnvironmentError(fmt::format("sock_diag is not available: {}", e.what()));
  }
  const int tcp = probe_destroy(reaper->diag(), IPPROTO_TCP);
  if (tcp != 0 && !a.dry_run) {
    if (tcp == EOPNOTSUPP)
      throw EnvironmentError(
          "this kernel cannot destroy sockets: SOCK_DESTROY answered EOPNOTSUPP (it was built "
          "without CONFIG_INET_DIAG_DESTROY); reap has nothing to do here");
    if (tcp == EPERM || tcp == EACCES)
      throw EnvironmentError(
          fmt::format("SOCK_DESTROY answered {}: reap needs CAP_NET_ADMIN (run it as root or with "
                      "AmbientCapabilities=CAP_NET_ADMIN)",
                      sys::errno_name(tcp)));
    throw EnvironmentError(
        fmt::format("SOCK_DESTROY of a test socket answered {}", sys::errno_name(tcp)));
  }
  const int udp = probe_destroy(reaper->diag(), IPPROTO_UDP);
  policy.udp = udp == 0;
  reaper = std::make_unique<Reaper>(policy, a.dry_run, say);

  sys::Fd signals = stop_signals();
  std::unique_ptr<path::RtnlWatch> watch;
  try {
    watch = std::make_unique<path::RtnlWatch>();
  } catch (const std::system_error& e) {
    throw EnvironmentError(fmt::format("cannot watch rtnetlink: {}", e.what()));
  }
  reaper->seed(watch->initial_addresses());
  say(fmt::format(
          "watching {}{} for removed addresses{}{}; SOCK_DESTROY: tcp {}, udp {}; {} "
          "addresses known",
          a.interfaces.empty() ? "every interface"
                               : "interfaces " + fmt::format("{}", fmt::join(a.interfaces, ", ")),
          a.netns.empty() ? "" : " in netns " + a.netns,
          a.peer_ports.empty()
              ? ""
              : fmt::format(" (sockets to peer ports {} only)", fmt::join(a.peer_ports, ", ")),
          a.dry_run ? " (dry run)" : "", tcp == 0 ? "yes" : sys::errno_name(tcp),
          udp == 0 ? "yes" : sys::errno_name(udp), reaper->known()),
      "ready",  // as JSON, the lab waits for this kind before its probes connect
      {{"peer_ports", a.peer_ports}, {"dry_run", a.dry_run}});

  for (;;) {
    pollfd fds[2] = {{watch->fd(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw sys::SysError("poll", "reap", errno);
    }
    if (fds[1].revents) break;
    const int64_t read_ns = mono_ns();
    std::vector<path::Change> changes;
    const bool complete = watch->read(changes);
    for (const auto& c : changes) reaper->on_change(c, read_ns);
    if (!complete) {
      say(
          fmt::format("the kernel dropped address notifications ({} overruns so far): "
                      "resynchronising from a dump",
                      watch->overruns()));
      reaper->resync(watch->dump_addresses(), read_ns);
    }
  }
  say("stopped");
}

}  // namespace

void add_reap_commands(CLI::App& app) {
  auto a = std::make_shared<ReapArgs>();
  auto* reap = app.add_subcommand(
      "reap",
      "destroy the sockets of an address that went away (SOCK_DESTROY), so their programs get "
      "ECONNABORTED at once (docs/reap.md)");
  reap->add_option("--interface", a->interfaces,
                   "only addresses removed from this interface (repeatable); default: every one");
  reap->add_flag("--dry-run", a->dry_run, "list what it would destroy and destroy nothing");
  reap->add_option("--netns", a->netns, "run inside this named network namespace (ip netns)");
  reap->add_option("--peer-port", a->peer_ports,
                   "only sockets connected to this remote port (repeatable); default: every one");
  reap->add_flag("--json", a->json,
                 "print each line as a JSON object stamped with CLOCK_MONOTONIC (t_ns)");
  reap->callback([a] { run_reap(*a); });
}

}  // namespace ss::cli
