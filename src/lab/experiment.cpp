#include "lab/experiment.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "lab/probe.hpp"
#include "lab/server_view.hpp"
#include "lab/vpn.hpp"
#include "model/doh_view.hpp"
#include "model/errors.hpp"
#include "model/fate.hpp"
#include "model/packet.hpp"
#include "model/resolv.hpp"
#include "model/survival_rule.hpp"
#include "observe/capture.hpp"
#include "observe/resolv_watch.hpp"
#include "observe/rtnl.hpp"
#include "sys/event_loop.hpp"
#include "sys/netlink.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

std::vector<std::string> read_nameservers(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw sys::SysError("open", path, errno);
  std::stringstream text;
  text << f.rdbuf();
  return parse_nameservers(text.str());
}

// How long agents may take to say they are ready (they usually take milliseconds; ssh's login
// about 0.5 s on an idle machine). Waited on state: the bound is only the give-up point.
constexpr std::chrono::milliseconds kReadyBound{20'000};

double ms(int64_t a_ns, int64_t b_ns) {
  return static_cast<double>(b_ns - a_ns) / 1e6;
}

// SIGINT/SIGTERM/SIGHUP are blocked for the run and read from a signalfd, so that an
// interruption at any point ends in the same orderly teardown.
class Signals {
 public:
  Signals() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
  }
  ~Signals() {
    fd_.reset();
    // Whatever arrived is handled (we tear down, then report): do not let it kill us now.
    timespec zero{};
    while (::sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  int fd() const { return fd_.get(); }
  void check() {
    signalfd_siginfo si{};
    if (::read(fd_.get(), &si, sizeof si) == sizeof si)
      throw Interrupted(fmt::format("interrupted by signal {}", si.ssi_signo));
  }

 private:
  sigset_t set_{}, old_{};
  sys::Fd fd_;
};

// An agent's stdout, read line by line into JSON.
struct AgentStream {
  std::string name;
  sys::Child* child = nullptr;
  std::string partial;
  AgentLines lines;
  void read() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(child->stdout_fd(), buf, sizeof buf);
      if (n <= 0) return;
      partial.append(buf, static_cast<size_t>(n));
      for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
        auto j = nlohmann::json::parse(partial.substr(0, nl), nullptr, false);
        partial.erase(0, nl + 1);
        if (!j.is_discarded() && j.contains("t_ns")) lines.push_back(std::move(j));
      }
    }
  }
  bool has(const char* kind) const {
    for (const auto& l : lines)
      if (l.value("kind", "") == kind) return true;
    return false;
  }
};

struct Packet {
  int64_t mono_ns;
  PacketInfo info;
  PacketClass cls;
  bool outgoing;
};

// One probe in this run: the catalog's object, its agents, and a set-up failure if any.
struct RunningProbe {
  std::unique_ptr<Probe> probe;
  AgentStream* client = nullptr;
  std::vector<AgentStream*> servers;
  std::optional<std::string> setup_error;
};

class Experiment final : public ProbeEnv {
 public:
  Experiment(const Scenario& s, const RunOptions& o)
      : s_(s),
        o_(o),
        window_(o.window.value_or(s.window)),
        own_addresses_{ip_of(s.topology.client_ip4), ip_of(s.topology.client_ip6),
                       ip_of(s.vpn.client_tunnel_ip)} {
    for (const auto& spec : s.probes) {
      RunningProbe rp;
      rp.probe = make_probe(spec);
      if (!rp.probe) {
        unavailable_.push_back(spec.name);
        continue;
      }
      probes_.push_back(std::move(rp));
    }
  }

  // ProbeEnv
  Lab& lab() override { return *lab_; }
  const Scenario& scenario() override { return s_; }
  std::string server_ip() override { return ip_of(s_.topology.server_ip4); }
  std::string self_exe() override { return std::filesystem::read_symlink("/proc/self/exe"); }
  const AgentLines& start_server_agent(const std::string& label,
                                       std::vector<std::string> args) override {
    AgentStream& a = start_agent(lab_->names().server, label, std::move(args));
    if (current_) current_->servers.push_back(&a);
    // Waits on the agent's ready line; the bound only matters on a machine so loaded that
    // start-up takes seconds (four concurrent labs on 2 cores: ssh's login took over 5 s).
    wait_ready({&a}, kReadyBound);
    if (!a.has("ready"))
      throw ProbeSetupError(fmt::format("{} did not start (see {})", label, lab_->log_path(label)));
    return a.lines;
  }
  sys::Child& start_server_program(const std::string& label, std::vector<std::string> argv,
                                   bool capture_stdout) override {
    return lab_->spawn(lab_->names().server, label, std::move(argv), capture_stdout);
  }

  RunRecord run() {
    RunRecord r;
    r.scenario = s_.name;
    r.disconnect = disconnect_name(s_.disconnect);
    r.window_ms = static_cast<double>(window_.count()) / 1000.0;
    {
      Lab lab(new_run_prefix());
      lab_ = &lab;
      int64_t t = sys::mono_ns();
      phase("building the lab");
      lab.apply(plan_topology(s_, lab.names()));
      start_resolver(lab, lab.names().home, ip_of(s_.topology.home_lan_ip4), "home-resolver",
                     ip_of(s_.topology.server_ip4));
      r.timings.lab_up_ms = ms(t, sys::mono_ns());
      signals_.check();

      phase("connecting the VPN");
      // What "restored" means: the client's resolvers before the VPN touched them.
      r.resolver_before_vpn = read_nameservers("/etc/netns/" + lab.names().client + "/resolv.conf");
      r.home_resolver = ip_of(s_.topology.home_lan_ip4);
      t = sys::mono_ns();
      auto vpn = make_vpn(lab, s_);
      vpn->connect();
      r.timings.vpn_up_ms = ms(t, sys::mono_ns());
      r.vpn = vpn->info();
      signals_.check();

      for (const char* key :
           {"net/ipv4/tcp_retries2", "net/ipv4/tcp_keepalive_time", "net/ipv4/tcp_keepalive_intvl",
            "net/ipv4/tcp_keepalive_probes", "net/ipv4/tcp_syn_retries"}) {
        const std::string v = sys::read_sysctl(lab.netns_fd(lab.names().client), key);
        r.kernel[std::string(key).substr(std::string(key).rfind('/') + 1)] = std::stol(v);
      }
      phase("starting probes");
      start_agents();
      record(*vpn);
      r.notes = vpn->notes();

      phase("tearing down");
      t = sys::mono_ns();
      // Clients first: a server ending first would show up as one more failure.
      std::vector<sys::Child*> clients, all;
      for (auto& rp : probes_)
        if (rp.client) clients.push_back(rp.client->child);
      for (auto& a : agents_) all.push_back(a.child);
      sys::stop_all(clients, std::chrono::milliseconds(300));
      sys::stop_all(all, std::chrono::milliseconds(300));
      for (auto& a : agents_) a.read();
      for (const auto& problem : lab.teardown()) r.notes.push_back("teardown: " + problem);
      r.timings.teardown_ms = ms(t, sys::mono_ns());
      lab_ = nullptr;
    }
    build_record(r);
    return r;
  }

 private:
  void phase(const char* what) {
    if (o_.verbose) fmt::print(stderr, "splitsecond: {}\n", what);
  }

  AgentStream& start_agent(const std::string& ns, const std::string& label,
                           std::vector<std::string> args) {
    args.insert(args.begin(), {self_exe(), "agent"});
    AgentStream a;
    a.name = label;
    a.child = &lab_->spawn(ns, label, std::move(args), true);
    agents_.push_back(std::move(a));
    return agents_.back();
  }

  void wait_ready(const std::vector<AgentStream*>& which, std::chrono::milliseconds limit) {
    const int64_t deadline = sys::mono_ns() + limit.count() * 1'000'000;
    for (AgentStream* ap : which) {
      auto& a = *ap;
      while (!a.has("ready") && !a.has("setup_failed") && sys::mono_ns() < deadline) {
        signals_.check();
        pollfd p{a.child->stdout_fd(), POLLIN, 0};
        ::poll(&p, 1, 10);
        a.read();
        if (!a.child->running()) break;
      }
    }
  }

  void start_agents() {
    const auto& n = lab_->names();
    const std::string run_for = format_duration(s_.before + window_ + Micros(5'000'000) +
                                                std::chrono::duration_cast<Micros>(kReadyBound));
    for (auto& rp : probes_) {
      current_ = &rp;
      try {
        rp.probe->start_server(*this);
      } catch (const ProbeSetupError& e) {
        rp.setup_error = e.what();
      }
      current_ = nullptr;
      signals_.check();
    }
    std::vector<AgentStream*> clients;
    for (auto& rp : probes_) {
      if (rp.setup_error) continue;
      rp.client = &start_agent(n.client, rp.probe->name() + "-client",
                               rp.probe->client_args(*this, run_for));
      clients.push_back(rp.client);
    }
    wait_ready(clients, kReadyBound);
  }

  void record(VpnDriver& vpn) {
    const auto& n = lab_->names();
    const int client_fd = lab_->netns_fd(n.client);
    observe::NetlinkMonitor monitor(client_fd);
    observe::Capture capture(client_fd, s_.topology.client_if, o_.pcap_path);
    observe::ResolvWatch resolv("/etc/netns/" + n.client + "/resolv.conf");
    resolvers_at_start_ = resolv.current();

    sys::EventLoop loop;
    loop.add(monitor.fd(), [&] { monitor.drain(sys::mono_ns(), raw_); });
    loop.add(resolv.fd(), [&] { resolv.drain(sys::mono_ns(), raw_); });
    loop.add(capture.fd(), [&] {
      capture.drain([&](int64_t t, auto frame) { packets_.push_back(classify_frame(t, frame)); });
    });
    for (auto& a : agents_) loop.add(a.child->stdout_fd(), [&a] { a.read(); });
    bool interrupted = false;
    loop.add(signals_.fd(), [&] { interrupted = true, loop.stop(); });

    phase("recording");
    loop.run_until(sys::mono_ns() + s_.before.count() * 1000);
    if (interrupted) throw Interrupted("interrupted before the disconnect");
    prime_before_t0();
    t0_ = sys::mono_ns();
    vpn.disconnect(s_.disconnect);
    trigger_done_ = sys::mono_ns();
    for (auto& rp : probes_)
      if (rp.client && rp.probe->signal_at_t0()) rp.client->child->signal(SIGUSR1);
    end_ = t0_ + window_.count() * 1000;
    // The late senders (tcp-idle, tcp-inflight) get SIGUSR2 at their time in the window.
    std::vector<std::pair<int64_t, AgentStream*>> late;
    for (auto& rp : probes_)
      if (auto at = rp.probe->late_send_after(window_); rp.client && at)
        late.emplace_back(t0_ + at->count() * 1000, rp.client);
    std::sort(late.begin(), late.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [at, client] : late) {
      loop.run_until(at);
      if (interrupted) break;
      client->child->signal(SIGUSR2);
    }
    if (!interrupted) loop.run_until(end_);
    // Last reads: what was queued at the end of the window.
    monitor.drain(sys::mono_ns(), raw_);
    resolv.drain(sys::mono_ns(), raw_);
    capture.drain([&](int64_t t, auto frame) { packets_.push_back(classify_frame(t, frame)); });
    lost_ = monitor.overruns();
    pcap_dropped_ = capture.dropped();
    if (!interrupted) read_server_sockets_now();
    if (interrupted) throw Interrupted("interrupted during the observation window");
  }

  // Probes that need something under way at the disconnect get SIGUSR1 now; the trigger
  // waits (at most 100 ms) until each has said it is done.
  void prime_before_t0() {
    std::vector<AgentStream*> primed;
    for (auto& rp : probes_)
      if (rp.client && rp.probe->signal_before_t0())
        rp.client->child->signal(SIGUSR1), primed.push_back(rp.client);
    const int64_t deadline = sys::mono_ns() + 100'000'000;
    for (AgentStream* a : primed) {
      while (!a->has("burst") && sys::mono_ns() < deadline) {
        pollfd p{a->child->stdout_fd(), POLLIN, 0};
        ::poll(&p, 1, 1);
        a->read();
      }
    }
  }

  Packet classify_frame(int64_t t, std::span<const uint8_t> frame) {
    Packet p{t, decode_ethernet(frame), PacketClass::link_control, false};
    const auto& topo = s_.topology;
    p.outgoing = own_addresses_.count(p.info.src) > 0 || p.info.src.rfind("fe80", 0) == 0;
    p.cls = classify(p.info, {ip_of(topo.vpn_ip4), static_cast<uint16_t>(s_.vpn.port)});
    return p;
  }

  void build_record(RunRecord& r) {
    auto rel = [this](int64_t t) { return (t - t0_) / 1000; };
    for (auto& [t, e] : raw_) {
      e.t_us = rel(t);
      r.events.push_back(e);
    }
    for (const auto& p : packets_) {
      Event e;
      e.t_us = rel(p.mono_ns);
      e.layer = Layer::packet;
      e.kind = packet_class_name(p.cls);
      e.detail = {{"dir", p.outgoing ? "out" : "in"},
                  {"src", p.info.src},
                  {"dst", p.info.dst},
                  {"proto", p.info.proto},
                  {"sport", p.info.sport},
                  {"dport", p.info.dport}};
      if (p.info.proto == 6) e.detail["tcp_flags"] = p.info.tcp_flags;
      if (p.info.dns)
        e.detail["dns"] = {{"qname", p.info.dns->qname}, {"response", p.info.dns->response}};
      r.events.push_back(std::move(e));
      if (p.mono_ns >= t0_ && p.mono_ns <= end_ && p.outgoing) {
        if (p.cls == PacketClass::dns_plaintext && !p.info.dns->response)
          ++r.leaks.dns_plaintext;
        else if (p.cls == PacketClass::bypass)
          ++r.leaks.non_tunnel_packets;
      }
    }
    Event trigger;
    trigger.t_us = 0;
    trigger.layer = Layer::link;
    trigger.kind = "trigger";
    const char* completed_by = trigger_completion();
    trigger.detail = {{"mode", r.disconnect},
                      {"took_us", (trigger_done_ - t0_) / 1000},
                      {"completed_us", (trigger_end_ - t0_) / 1000},
                      {"completed_by", completed_by}};
    r.events.push_back(trigger);
    for (const auto& a : agents_) add_agent_events(a, r);
    sort_timeline(r.events);
    for (const auto& rp : probes_) r.probes.push_back(fate_of(rp));
    add_doh_views(r);
    add_server_sockets(r);
    for (const auto& name : unavailable_)
      r.notes.push_back("probe '" + name + "' is not available in this build: not run");
    r.netlink_events_lost = lost_;
    if (pcap_dropped_)
      r.notes.push_back(
          fmt::format("the capture dropped {} packets (libpcap ps_drop)", pcap_dropped_));
  }

  ProbeFate fate_of(const RunningProbe& rp) {
    if (rp.setup_error) {
      ProbeFate f;
      f.name = rp.probe->name();
      f.proto = rp.probe->proto();
      f.setup_ok = false;
      f.error = rp.setup_error;
      return f;
    }
    AgentLines server;
    for (const auto* a : rp.servers) server.insert(server.end(), a->lines.begin(), a->lines.end());
    ProbeFate f = rp.probe->fate(rp.client->lines, server, {t0_, trigger_end_, end_});
    if (f.proto == "tcp") add_wire_view(*rp.client, f);
    return f;
  }

  // When the disconnect completed (model/survival_rule.hpp); sets trigger_end_, says how known.
  const char* trigger_completion() {
    const TriggerEnd e = trigger_end(s_.disconnect == DisconnectMode::crash, raw_, s_.vpn.client_if,
                                     t0_, trigger_done_, end_);
    trigger_end_ = e.at_ns;
    return e.by;
  }

  // The server side at the end of the window (before anything is stopped): its TCP sockets
  // on the probes' ports, through sock_diag. A failure is a note, not a failed run.
  void read_server_sockets_now() {
    std::vector<int> ports;
    for (const auto& spec : s_.probes)
      if (spec.port > 0 && std::find(ports.begin(), ports.end(), spec.port) == ports.end())
        ports.push_back(spec.port);
    try {
      server_sockets_ =
          read_server_sockets(lab_->netns_fd(lab_->names().server), ports, ms(t0_, sys::mono_ns()));
    } catch (const std::exception& e) {
      server_sockets_error_ = e.what();
    }
  }

  // Needs trigger_end_ (set by trigger_completion()).
  void add_server_sockets(RunRecord& r) {
    if (!server_sockets_error_.empty())
      r.notes.push_back("the server's sockets were not read: " + server_sockets_error_);
    if (!server_sockets_) return;
    r.server_sockets = *server_sockets_;
    r.server_sockets->disconnect_done_ms = ms(t0_, trigger_end_);
  }

  // The DoH client's plaintext DNS after t=0 (by the names only it asks, in the captured
  // packets already in the record's events) and what its lookups waited on.
  void add_doh_views(RunRecord& r) {
    for (size_t i = 0; i < probes_.size() && i < r.probes.size(); ++i) {
      const auto& rp = probes_[i];
      if (r.probes[i].proto != "doh" || !rp.client || rp.setup_error) continue;
      r.probes[i].extra.update(doh_plaintext_view(rp.client->lines, r.events, t0_, end_));
    }
  }

  // What the probe's own flow put on the physical interface after t=0.
  void add_wire_view(const AgentStream& a, ProbeFate& f) {
    std::string local;
    for (const auto& l : a.lines)
      if (l.value("kind", "") == "ready") local = l.value("local", "");
    auto colon = local.rfind(':');
    if (colon == std::string::npos) return;
    const int port = std::atoi(local.c_str() + colon + 1);
    int out = 0, in = 0, rst_in = 0;
    std::set<std::string> sources;
    for (const auto& p : packets_) {
      if (p.mono_ns < t0_ || p.mono_ns > end_ || p.info.proto != 6) continue;
      if (p.outgoing && p.info.sport == port) ++out, sources.insert(p.info.src);
      if (!p.outgoing && p.info.dport == port) ++in, rst_in += (p.info.tcp_flags & 4) ? 1 : 0;
    }
    f.extra["wire_after_t0"] = {
        {"segments_out", out}, {"segments_in", in}, {"rst_in", rst_in}, {"sources", sources}};
  }

  void add_agent_events(const AgentStream& a, RunRecord& r) {
    for (const auto& l : notable_lines(a.lines, t0_, end_)) {
      Event e;
      e.t_us = (l.value("t_ns", int64_t{0}) - t0_) / 1000;
      e.layer = a.name == "dns-client" ? Layer::dns : Layer::probe;
      e.kind = l.value("kind", "");
      e.detail = l;
      e.detail.erase("t_ns");
      e.detail.erase("kind");
      r.events.push_back(std::move(e));
    }
  }

  const Scenario& s_;
  const RunOptions& o_;
  Micros window_;
  Signals signals_;
  Lab* lab_ = nullptr;
  std::deque<AgentStream> agents_;  // stable addresses: probes keep pointers
  std::vector<RunningProbe> probes_;
  RunningProbe* current_ = nullptr;
  std::vector<std::string> unavailable_;
  std::vector<std::pair<int64_t, Event>> raw_;
  std::vector<Packet> packets_;
  std::vector<std::string> resolvers_at_start_;
  std::set<std::string> own_addresses_;  // the client's: a frame from one is outgoing
  int64_t t0_ = 0, trigger_done_ = 0, trigger_end_ = 0, end_ = 0, lost_ = 0;
  unsigned pcap_dropped_ = 0;
  std::optional<ServerSockets> server_sockets_;
  std::string server_sockets_error_;
};

}  // namespace

void preflight(const Scenario& s) {
  if (::geteuid() != 0)
    throw EnvironmentError(
        "the lab builds network namespaces and needs root: run it with sudo (or as root)");
  if (::access("/dev/net/tun", R_OK | W_OK) != 0)
    throw EnvironmentError(
        "/dev/net/tun is missing: load the tun module (modprobe tun) or run where TUN is "
        "available");
  std::vector<std::string> programs = {"dnsmasq"};
  if (s.vpn.implementation == "wireguard-go") programs.push_back("wireguard-go");
  for (const auto& p : programs)
    if (sys::find_program(p).empty())
      throw EnvironmentError(fmt::format(
          "'{}' is not installed: apt-get install {} (scripts/deps.sh installs everything)", p,
          p == "dnsmasq" ? "dnsmasq-base" : p));
}

RunRecord run_experiment(const Scenario& s, const RunOptions& o) {
  Experiment e(s, o);
  return e.run();
}

}  // namespace ss::lab
