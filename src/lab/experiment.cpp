#include "lab/experiment.hpp"

#include <fmt/format.h>
#include <linux/if.h>
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

#include "lab/action_thread.hpp"
#include "lab/dhcp.hpp"
#include "lab/killswitch_lab.hpp"
#include "lab/probe.hpp"
#include "lab/server_view.hpp"
#include "lab/vpn.hpp"
#include "model/derive.hpp"
#include "model/errors.hpp"
#include "model/fate.hpp"
#include "model/resolv.hpp"
#include "observe/recorder.hpp"
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
// How long one timeline action may take (each bounds its own waits; this is the give-up point
// for the recorder, which goes on reading while the action runs on the action thread).
constexpr int64_t kActionBoundNs = 120'000'000'000;

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
  bool eof = false;  // the agent closed its stdout (it ended): nothing more to read
  void read() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(child->stdout_fd(), buf, sizeof buf);
      if (n == 0) eof = true;
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

// One entry of the run's schedule: a timeline action, or a probe's own signal.
struct Scheduled {
  Micros at{0};
  const Action* action = nullptr;  // or a probe signal:
  AgentStream* agent = nullptr;
  int signal = 0;
  std::string probe;
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
                       ip_of(s.vpn.client_tunnel_ip)},
        client_ip4_(s.topology.client_ip4) {
    if (!s.vpn.reconnect_tunnel_ip.empty()) own_addresses_.insert(ip_of(s.vpn.reconnect_tunnel_ip));
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
      throw ProbeSetupError(fmt::format("{} did not start (see {})", label, lab_->keep_log(label)));
    return a.lines;
  }
  sys::Child& start_server_program(const std::string& label, std::vector<std::string> argv,
                                   bool capture_stdout) override {
    return lab_->spawn(lab_->names().server, label, std::move(argv), capture_stdout);
  }

  RunRecord run() {
    RunRecord r;
    r.scenario = s_.name;
    r.disconnect = "none";  // a timeline without a disconnect (e.g. flicker)
    for (const auto& a : s_.timeline)
      if (a.kind == ActionKind::disconnect) {
        r.disconnect = disconnect_name(a.mode);
        break;
      }
    r.window_ms = static_cast<double>(window_.count()) / 1000.0;
    r.physical_interface = s_.topology.client_if;
    {
      // Declared before the lab: it is joined after the lab's teardown (see action_thread.hpp).
      ActionThread actions;
      actions_ = &actions;
      Lab lab(new_run_prefix());
      lab_ = &lab;
      int64_t t = sys::mono_ns();
      phase("building the lab");
      lab.apply(plan_topology(s_, lab.names()));
      start_resolver(lab, lab.names().home, ip_of(s_.topology.home_lan_ip4), "home-resolver",
                     ip_of(s_.topology.server_ip4));
      if (has_action(s_, ActionKind::dhcp)) start_dhcp_server(lab, s_);
      r.timings.lab_up_ms = ms(t, sys::mono_ns());
      signals_.check();

      phase("connecting the VPN");
      // What "restored" means: the client's resolvers before the VPN touched them.
      r.resolver_before_vpn = read_nameservers("/etc/netns/" + lab.names().client + "/resolv.conf");
      r.home_resolver = ip_of(s_.topology.home_lan_ip4);
      t = sys::mono_ns();
      KillSwitchLab killswitch(lab, s_);  // the scenario's, before the client starts
      killswitch.before_connect();
      killswitch_ = &killswitch;
      auto vpn = make_vpn(lab, s_);
      vpn->connect();
      killswitch.after_connect();
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
      start_reap();
      start_agents();
      start_user_command(r.vpn);
      record(*vpn);
      killswitch.at_end();
      r.killswitch = killswitch.take(t0_);
      killswitch_ = nullptr;
      vpn->quiesce();
      add_own_actions(*vpn);
      r.notes = vpn->notes();

      phase("tearing down");
      t = sys::mono_ns();
      if (user_) user_->stop();  // the user's command first, then the probes' clients
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
      actions_ = nullptr;
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

  // The scenario's [reap]: `splitsecond reap --json` in the client namespace for the whole run,
  // watching before the probes connect; its lines go on the timeline like an agent's.
  void start_reap() {
    if (!s_.reap) return;
    std::vector<std::string> args = {self_exe(), "reap", "--json"};
    for (uint16_t port : s_.reap->peer_ports)
      args.insert(args.end(), {"--peer-port", std::to_string(port)});
    AgentStream a;
    a.name = "reap";
    a.child = &lab_->spawn(lab_->names().client, "reap", std::move(args), true);
    agents_.push_back(std::move(a));
    wait_ready({&agents_.back()}, kReadyBound);
    if (!agents_.back().has("ready"))
      throw EnvironmentError(
          fmt::format("splitsecond reap did not start in the client namespace (see {})",
                      lab_->keep_log("reap")));
  }

  // `run -- CMD` / --server-cmd: after the tunnel and the probes are up, `before` ahead of t=0.
  void start_user_command(const VpnInfo& vpn) {
    if (!o_.user.any()) return;
    const auto& t = s_.topology;
    user_.emplace(
        *lab_, o_.user,
        user_command_env({ip_of(t.server_ip4), ip_of(t.server_ip6), ip_of(client_ip4_),
                          ip_of(t.client_ip6), ip_of(vpn.tunnel_ip), vpn.interface, t.client_if,
                          s_.before.count() / 1000, window_.count() / 1000}));
    user_->start();
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
    observe::Recorder recorder({lab_->netns_fd(n.client), s_.topology.client_if,
                                "/etc/netns/" + n.client + "/resolv.conf", o_.pcap_path});
    sys::EventLoop loop;
    recorder.attach(loop);
    // An agent that ended early leaves its pipe at EOF, readable for ever: out of the loop then,
    // or the loop would spin on it for the rest of the window.
    for (auto& a : agents_)
      loop.add(a.child->stdout_fd(), [&a, &loop] {
        a.read();
        if (a.eof) loop.remove(a.child->stdout_fd());
      });
    if (user_) user_->attach(loop);
    bool interrupted = false;
    loop.add(signals_.fd(), [&] { interrupted = true, loop.stop(); });
    bool action_done = false;
    loop.add(actions_->done_fd(), [&] { action_done = true, loop.stop(); });

    phase("recording");
    loop.run_until(sys::mono_ns() + s_.before.count() * 1000);
    if (interrupted) throw Interrupted("interrupted before the first action");
    if (user_) user_->snapshot("before t=0");
    prime_before_t0();
    t0_ = sys::mono_ns();
    end_ = t0_ + window_.count() * 1000;
    for (const auto& item : schedule()) {
      loop.run_until(t0_ + item.at.count() * 1000);
      if (interrupted) break;
      if (!item.action) {
        triggers_.push_back(send_signal(item));
        continue;
      }
      // The action runs on the action thread; the loop goes on recording until it is done.
      action_done = false;
      nlohmann::json params = action_params(*item.action);
      actions_->post([this, &item, &vpn, &params] { act(*item.action, vpn, params); });
      const int64_t give_up = sys::mono_ns() + kActionBoundNs;
      while (!action_done && !interrupted && sys::mono_ns() < give_up) loop.run_until(give_up);
      if (!action_done) {
        wait_for_action_thread();  // it must not touch the lab while the lab is torn down
        if (interrupted) break;
        throw EnvironmentError(fmt::format(
            "the action {} at {} did not finish within {} s", action_name(item.action->kind),
            format_duration(item.action->at), kActionBoundNs / 1'000'000'000));
      }
      triggers_.push_back(carried_out(*item.action, std::move(params)));
      // The kill switch first: it protects; the user command's snapshot only observes.
      killswitch_->after_action(action_name(item.action->kind), vpn.info());
      if (user_) user_->snapshot(triggers_.back().action);
    }
    if (!interrupted) loop.run_until(end_);
    if (user_ && !interrupted) user_->snapshot("end");
    recorder.drain_all();  // what was queued at the end of the window
    observations_ = recorder.take();
    if (!interrupted) read_server_sockets_now();
    if (interrupted) throw Interrupted("interrupted during the observation window");
  }

  // The timeline's actions and the probes' own signals, in time order (an action before a
  // signal at the same time: signal_at_t0 follows the first action's call).
  std::vector<Scheduled> schedule() {
    std::vector<Scheduled> out;
    for (const auto& a : s_.timeline) out.push_back({a.at, &a, nullptr, 0, ""});
    for (auto& rp : probes_) {
      if (!rp.client) continue;
      if (rp.probe->signal_at_t0())
        out.push_back({Micros(0), nullptr, rp.client, SIGUSR1, rp.probe->name()});
      if (auto at = rp.probe->late_send_after(window_))
        out.push_back({*at, nullptr, rp.client, SIGUSR2, rp.probe->name()});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Scheduled& a, const Scheduled& b) { return a.at < b.at; });
    return out;
  }

  Trigger send_signal(const Scheduled& item) {
    Trigger t;
    const int64_t start = sys::mono_ns();
    item.agent->child->signal(item.signal);
    finish(t, start, sys::mono_ns(), "probe-signal",
           {{"probe", item.probe}, {"signal", item.signal == SIGUSR1 ? "SIGUSR1" : "SIGUSR2"}});
    t.from_timeline = false;
    return t;
  }

  static nlohmann::json action_params(const Action& a) {
    nlohmann::json params = nlohmann::json::object();
    if (a.kind == ActionKind::disconnect) params["mode"] = disconnect_name(a.mode);
    if (a.kind == ActionKind::address_change) params["address"] = a.address;
    return params;
  }

  // A timeline action the action thread has finished, timed there. A refused action is
  // recorded (params.error) and the run goes on: what the network did afterwards is still the
  // measurement.
  Trigger carried_out(const Action& a, nlohmann::json params) {
    const ActionThread::Times times = actions_->collect();
    if (times.error) {
      try {
        std::rethrow_exception(times.error);
      } catch (const std::exception& e) {
        params["error"] = e.what();
        notes_.push_back(fmt::format("{} at {} failed: {}", action_name(a.kind),
                                     format_duration(a.at), e.what()));
      }
    }
    Trigger t;
    finish(t, times.start_ns, times.done_ns, action_name(a.kind), std::move(params));
    return t;
  }

  // After an interruption or a give-up: the job under way finishes (each action bounds its own
  // waits) before anything else touches the lab.
  void wait_for_action_thread() {
    const int64_t give_up = sys::mono_ns() + kActionBoundNs;
    while (actions_->busy() && sys::mono_ns() < give_up) {
      pollfd p{actions_->done_fd(), POLLIN, 0};
      ::poll(&p, 1, 50);
    }
  }

  void act(const Action& a, VpnDriver& vpn, nlohmann::json& params) {
    const auto& n = lab_->names();
    const std::string& phys = s_.topology.client_if;
    switch (a.kind) {
      case ActionKind::disconnect:
        return vpn.disconnect(a.mode);
      case ActionKind::vpn_restart:
        return vpn.reconnect();
      // The home router's end of the client's link (plan.cpp names it lan0): the client's
      // interface stays up and loses carrier, as in a Wi-Fi drop.
      case ActionKind::carrier_down:
        params["peer"] = "lan0";
        lab_->netlink(n.home).set_down("lan0");
        return read_client_link(params);
      case ActionKind::carrier_up:
        params["peer"] = "lan0";
        lab_->netlink(n.home).set_up("lan0");
        return read_client_link(params);
      case ActionKind::link_down:
        params["interface"] = phys;
        lab_->netlink(n.client).set_down(phys);
        return read_client_link(params);
      case ActionKind::link_up:
        params["interface"] = phys;
        lab_->netlink(n.client).set_up(phys);
        return read_client_link(params);
      case ActionKind::address_change:
        return change_address(a.address, params);
      case ActionKind::dhcp:
        return take_lease(params);
    }
  }

  // The client's physical link as the kernel has it right after the action (RTM_GETLINK): the
  // kernel may announce a carrier change a second later, or never if it is back by then.
  void read_client_link(nlohmann::json& params) {
    const auto st = lab_->netlink(lab_->names().client).link_state(s_.topology.client_if);
    static const char* const oper[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                                       "testing", "dormant",    "up"};
    params["client_link"] = {
        {"up", (st.flags & IFF_UP) != 0},
        {"lower_up", (st.flags & IFF_LOWER_UP) != 0},
        {"operstate", st.operstate >= 0 && st.operstate <= 6 ? oper[st.operstate] : "unknown"}};
  }

  // Debian's udhcpc and its script do the rest (lab/dhcp.hpp); packets from the new address
  // are the client's from now on.
  void take_lease(nlohmann::json& params) {
    params["interface"] = s_.topology.client_if;
    params["from"] = client_ip4_;
    const Lease lease = run_dhcp_client(*lab_, s_);
    params["address"] = lease.address;
    params["server"] = lease.from;
    own_addresses_.insert(ip_of(lease.address));
    client_ip4_ = lease.address;
  }

  // The old lease goes, the new one comes with its default route via the home router (as a
  // DHCP client's script does). Routes the old address took with it are not restored.
  void change_address(const std::string& address, nlohmann::json& params) {
    auto& cnl = lab_->netlink(lab_->names().client);
    const std::string& phys = s_.topology.client_if;
    params["from"] = client_ip4_;
    params["interface"] = phys;
    own_addresses_.insert(ip_of(address));  // packets from it are the client's from now on
    cnl.delete_address(phys, sys::Prefix::parse(client_ip4_));
    cnl.add_address(phys, sys::Prefix::parse(address));
    client_ip4_ = address;
    try {
      cnl.add_route(sys::Prefix::parse("0.0.0.0/0"), ip_of(s_.topology.home_lan_ip4), phys);
      params["default_route"] = "added";
    } catch (const sys::SysError& e) {
      if (e.error() != EEXIST) throw;
      params["default_route"] = "kept";
    }
  }

  void finish(Trigger& t, int64_t start, int64_t done, std::string action, nlohmann::json params) {
    if (triggers_.empty()) {  // t=0 is exactly when the first action's call began
      t0_ = start;
      end_ = t0_ + window_.count() * 1000;
    }
    t.at_us = (start - t0_) / 1000;
    t.action = std::move(action);
    t.params = std::move(params);
    t.took_us = (done - start) / 1000;
    t.completed_us = (done - t0_) / 1000;
    t.completed_by = "call";
  }

  // What the client did on its own (a supervisor's reconnection), in time order among the
  // triggers, marked as not from the timeline.
  void add_own_actions(const VpnDriver& vpn) {
    for (const auto& a : vpn.own_actions()) {
      if (a.start_ns >= end_) continue;  // after the window: not part of this run
      Trigger t;
      t.at_us = (a.start_ns - t0_) / 1000;
      t.action = a.action;
      t.params = a.params;
      t.from_timeline = false;
      // Still under way when the window ended (e.g. waiting for a handshake): completed at
      // most then, as far as this run knows.
      const bool done = a.done_ns != 0 && a.done_ns <= end_;
      const int64_t until = done ? a.done_ns : end_;
      t.took_us = (until - a.start_ns) / 1000;
      t.completed_us = (until - t0_) / 1000;
      t.completed_by = done ? "call" : "window-end";
      triggers_.push_back(std::move(t));
    }
    std::stable_sort(triggers_.begin(), triggers_.end(),
                     [](const Trigger& a, const Trigger& b) { return a.at_us < b.at_us; });
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

  // Everything judged from what was recorded: model/derive.hpp.
  void build_record(RunRecord& r) {
    std::vector<AgentOutput> agents;
    for (const auto& a : agents_) agents.push_back({a.name, a.lines});
    std::vector<ProbeOutput> probes;
    for (const auto& rp : probes_) {
      ProbeOutput p{rp.probe->name(), rp.probe->proto(), rp.setup_error, {}, {}, {}};
      if (rp.client) p.client = rp.client->lines;
      for (const auto* a : rp.servers)
        p.server.insert(p.server.end(), a->lines.begin(), a->lines.end());
      Probe* probe = rp.probe.get();
      p.fate = [probe](const AgentLines& c, const AgentLines& sv, const Window& w) {
        return probe->fate(c, sv, w);
      };
      probes.push_back(std::move(p));
    }
    RunFacts facts;
    facts.t0_ns = t0_;
    facts.end_ns = end_;
    facts.triggers = triggers_;
    facts.own_addresses = own_addresses_;
    facts.endpoint = {ip_of(s_.topology.vpn_ip4), static_cast<uint16_t>(s_.vpn.port)};
    facts.tunnel_if = r.vpn.interface.empty() ? s_.vpn.client_if : r.vpn.interface;
    derive_record(r, observations_, agents, probes, facts);
    for (const auto& note : notes_) r.notes.push_back(note);
    add_server_sockets(r);
    if (user_) {
      r.user_command = user_->take(t0_, r.events);
      sort_timeline(r.events);
    }
    for (const auto& name : unavailable_)
      r.notes.push_back("probe '" + name + "' is not available in this build: not run");
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

  // disconnect_done_ms: when the first action completed (the record's first trigger).
  void add_server_sockets(RunRecord& r) {
    if (!server_sockets_error_.empty())
      r.notes.push_back("the server's sockets were not read: " + server_sockets_error_);
    if (!server_sockets_) return;
    r.server_sockets = *server_sockets_;
    int64_t done_us = 0;
    for (const auto& t : r.triggers)
      if (t.from_timeline) {
        done_us = t.completed_us;
        break;
      }
    r.server_sockets->disconnect_done_ms = static_cast<double>(done_us) / 1000.0;
  }

  const Scenario& s_;
  const RunOptions& o_;
  Micros window_;
  Signals signals_;
  Lab* lab_ = nullptr;
  KillSwitchLab* killswitch_ = nullptr;
  ActionThread* actions_ = nullptr;
  std::deque<AgentStream> agents_;  // stable addresses: probes keep pointers
  std::vector<RunningProbe> probes_;
  RunningProbe* current_ = nullptr;
  std::optional<UserCommand> user_;
  std::vector<std::string> unavailable_;
  Observations observations_;
  std::vector<Trigger> triggers_;
  std::vector<std::string> notes_;
  std::set<std::string> own_addresses_;  // the client's: a frame from one is outgoing
  std::string client_ip4_;               // its current IPv4 lease (address-change moves it)
  int64_t t0_ = 0, end_ = 0;
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
  // Each program with the Debian package it comes from.
  std::vector<std::pair<std::string, std::string>> programs = {{"dnsmasq", "dnsmasq-base"}};
  if (s.vpn.implementation == "wireguard-go") programs.emplace_back("wireguard-go", "wireguard-go");
  if (s.vpn.client == "wg-quick") programs.emplace_back("wg-quick", "wireguard-tools");
  if (s.vpn.kind == "openvpn") programs.emplace_back("openvpn", "openvpn");
  if (has_action(s, ActionKind::dhcp)) programs.emplace_back("udhcpc", "udhcpc");
  for (const auto& [p, package] : programs)
    if (sys::find_program(p).empty())
      throw EnvironmentError(fmt::format(
          "'{}' is not installed: apt-get install {} (scripts/deps.sh installs everything)", p,
          package));
  if (has_action(s, ActionKind::dhcp) && ::access("/etc/udhcpc/default.script", X_OK) != 0)
    throw EnvironmentError(
        "/etc/udhcpc/default.script (Debian's udhcpc package) is missing: apt-get install udhcpc");
  killswitch_preflight(s);
}

RunRecord run_experiment(const Scenario& s, const RunOptions& o) {
  Experiment e(s, o);
  return e.run();
}

}  // namespace ss::lab
