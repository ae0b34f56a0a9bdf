// `splitsecond watch`: the recorder on a live host (or a named namespace), streamed as it
// reads: links, addresses, routes, rules, resolv.conf, destroyed sockets, the tunnel found,
// each disconnect and reconnect, and a leak alarm for traffic outside the tunnel
// (docs/watch.md). Pure parts in model/watch_*; this file wires them to the kernel.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "cli/commands.hpp"
#include "model/duration.hpp"
#include "model/errors.hpp"
#include "model/watch_line.hpp"
#include "model/watch_marks.hpp"
#include "model/watch_state.hpp"
#include "observe/capture.hpp"
#include "observe/net_snapshot.hpp"
#include "observe/recorder.hpp"
#include "observe/sock_destroy.hpp"
#include "sys/event_loop.hpp"
#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::cli {
namespace {

struct WatchOptions {
  std::string netns, ndjson, duration, resolv_conf;
  std::vector<std::string> interfaces, endpoints;
  bool expect_tunnel = false, quiet = false;
};

// Where lines go: the terminal (stdout, or stderr when NDJSON takes stdout) and NDJSON.
class Emitter {
 public:
  explicit Emitter(const WatchOptions& o) {
    if (o.ndjson == "-") {
      json_ = stdout;
    } else if (!o.ndjson.empty()) {
      file_ = std::fopen(o.ndjson.c_str(), "we");
      if (!file_) {
        throw UsageError(fmt::format("--ndjson {}: cannot write: {}", o.ndjson, strerror(errno)));
      }
      json_ = file_;
    }
    if (!o.quiet) {
      text_ = json_ == stdout ? stderr : stdout;
    }
  }
  ~Emitter() {
    if (file_) {
      std::fclose(file_);
    }
  }
  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;
  void emit(const WatchLine& l) {
    if (text_) {
      fmt::print(text_, "{}\n", terminal_text(l));
      std::fflush(text_);
    }
    if (json_) {
      fmt::print(json_, "{}\n", ndjson(l).dump());
      std::fflush(json_);
    }
  }

 private:
  FILE* file_ = nullptr;
  FILE* json_ = nullptr;
  FILE* text_ = nullptr;
};

// SIGINT and SIGTERM read from a signalfd: Ctrl-C ends the loop, and every destructor runs.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sys::check(::sigprocmask(SIG_BLOCK, &set_, &old_), "sigprocmask", "SIGINT,SIGTERM");
    fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_) {
      throw sys::SysError("signalfd", "SIGINT,SIGTERM", errno);
    }
  }
  ~StopSignals() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  int fd() const { return fd_.get(); }
  int read_signal() {
    signalfd_siginfo si{};
    return ::read(fd_.get(), &si, sizeof si) == sizeof si ? static_cast<int>(si.ssi_signo) : 0;
  }

 private:
  sigset_t set_{}, old_{};
  sys::Fd fd_;
};

class Watcher {
 public:
  Watcher(const WatchOptions& o, int netns_fd, const std::string& resolv_conf)
      : o_(o),
        netns_fd_(netns_fd),
        out_(o),
        start_ns_(sys::mono_ns()),
        recorder_({netns_fd, "", resolv_conf, ""}) {
    policy_.expect_tunnel = o.expect_tunnel;
    policy_.endpoints.insert(o.endpoints.begin(), o.endpoints.end());
  }

  void run(int64_t duration_ns) {
    sys::EventLoop loop;
    loop_ = &loop;
    recorder_.stream_to({[this](int64_t t, const Event& e) { on_event(t, e); },
                         [](int64_t, const PacketInfo&) {}, [this] { after_batch(); }});
    recorder_.attach(loop);  // subscribed before the snapshot: nothing falls between
    load_snapshot();
    check_interfaces();
    emit(notice_line(0, "started", started_text()));
    evaluate();
    open_captures();
    open_destroy_listener(loop);
    StopSignals signals;
    loop.add(signals.fd(), [&] {
      const int sig = signals.read_signal();
      emit(notice_line(now_us(), "stopping", fmt::format("signal {}: stopping", sig)));
      loop.stop();
    });
    loop.run_until(duration_ns > 0 ? start_ns_ + duration_ns : INT64_MAX);
    recorder_.drain_all();
    for (auto& [name, c] : captures_) {
      drain_capture(name, *c);
    }
    finish();
  }

 private:
  int64_t now_us() const { return (sys::mono_ns() - start_ns_) / 1000; }
  int64_t us(int64_t mono) const { return (mono - start_ns_) / 1000; }
  void emit(const WatchLine& l) { out_.emit(l); }

  void load_snapshot() {
    state_.clear();
    for (const auto& e : observe::snapshot_network(netns_fd_)) {
      state_.apply(e);
    }
  }

  void check_interfaces() {
    for (const auto& name : o_.interfaces) {
      if (!state_.links().count(name)) {
        throw UsageError(
            fmt::format("--interface {}: no such interface in {}", name,
                        o_.netns.empty() ? "this namespace" : "namespace " + o_.netns));
      }
    }
  }

  std::string started_text() const {
    std::string tunnels, physical;
    for (const auto& [name, l] : state_.links()) {
      if (is_tunnel_link(l)) {
        tunnels += " " + name;
      }
      if (is_physical_link(l)) {
        physical += " " + name;
      }
    }
    return fmt::format("watching {}: tunnel interfaces:{}; physical:{}; {} routes",
                       o_.netns.empty() ? "this host" : "namespace " + o_.netns,
                       tunnels.empty() ? " none" : tunnels, physical.empty() ? " none" : physical,
                       state_.route_count());
  }

  void on_event(int64_t t, const Event& e) {
    // After a resync, a late notice of a route the dump already found (and streamed).
    if (summary_.resyncs > 0 && e.kind == "added" && state_.knows_route(e)) {
      return;
    }
    ++summary_.events;
    last_event_ns_ = t;
    emit(event_line(us(t), e));
    state_.apply(e);
    if (e.layer == Layer::link) {
      links_changed_ = true;
    }
  }

  // Once per read of the rtnetlink socket: a lost notification means a fresh snapshot; then
  // the tunnel is judged again (once per batch: a flood of routes is not judged per route).
  void after_batch() {
    // Reloaded once the recorder has read its queue empty after an overrun: until then the
    // kernel drops every notice, so an earlier dump would miss what comes meanwhile.
    if (recorder_.netlink_resyncs() != resyncs_seen_) {
      resyncs_seen_ = recorder_.netlink_resyncs();
      const int64_t lost = recorder_.netlink_lost() - lost_seen_;
      lost_seen_ = recorder_.netlink_lost();
      const std::set<WatchRoute> before = state_.routes();
      load_snapshot();
      ++summary_.resyncs;
      // Routes that came while notices were dropped (the recorder's own resync reports the
      // ones that went).
      int64_t found = 0;
      for (const auto& r : state_.routes()) {
        if (!before.count(r)) {
          ++found;
          emit(event_line(now_us(), unannounced_route_event(r, "added")));
        }
      }
      emit(notice_line(now_us(), "netlink-overrun",
                       fmt::format("the kernel dropped rtnetlink notifications ({} ENOBUFS, {} in "
                                   "all): state reloaded from a dump ({} routes, {} of them new "
                                   "and unannounced, streamed above)",
                                   lost, lost_seen_, state_.route_count(), found)));
    }
    evaluate();
    if (links_changed_) {
      links_changed_ = false;
      open_captures();
    }
  }

  void evaluate() {
    status_ = state_.status();
    const int64_t t = last_event_ns_ ? us(last_event_ns_) : now_us();
    for (const auto& m : marker_.update(status_)) {
      throttle_.reset();
      emit(mark_line(t, m));
    }
  }

  // Every physical interface (or the ones named), as it appears; closed when it goes.
  void open_captures() {
    for (auto it = captures_.begin(); it != captures_.end();) {
      if (state_.links().count(it->first)) {
        ++it;
        continue;
      }
      summary_.pcap_dropped += it->second->dropped();
      loop_->remove(it->second->fd());
      it = captures_.erase(it);
    }
    if (capture_refused_) {
      return;
    }
    for (const auto& [name, l] : state_.links()) {
      const bool wanted =
          o_.interfaces.empty()
              ? is_physical_link(l) && l.up
              : std::find(o_.interfaces.begin(), o_.interfaces.end(), name) != o_.interfaces.end();
      if (!wanted || captures_.count(name)) {
        continue;
      }
      try {
        auto c = std::make_unique<observe::Capture>(netns_fd_, name, "");
        const std::string ifname = name;
        observe::Capture* raw = c.get();
        loop_->add(c->fd(), [this, ifname, raw] { drain_capture(ifname, *raw); });
        captures_.emplace(name, std::move(c));
        summary_.capture = true;
        emit(notice_line(now_us(), "capture", fmt::format("capturing packets on {}", name)));
      } catch (const EnvironmentError& e) {
        // Without CAP_NET_RAW no interface can be captured: say so once, watch the rest.
        capture_refused_ = ::geteuid() != 0;
        emit(notice_line(
            now_us(), "capture-unavailable",
            fmt::format("no packet capture on {}{}: leaks there cannot be seen; "
                        "watching the rest ({})",
                        name, capture_refused_ ? " (it needs CAP_NET_RAW)" : "", e.what())));
        if (capture_refused_) {
          return;
        }
      }
    }
  }

  void drain_capture(const std::string& ifname, observe::Capture& c) {
    c.drain([&](int64_t t, std::span<const uint8_t> frame) {
      ++summary_.packets;
      const PacketInfo p = decode_ethernet(frame);
      auto alarm =
          leak_alarm(p, state_.addresses(ifname), status_, marker_.ever_protected(), policy_);
      if (!alarm) {
        return;
      }
      ++(alarm->kind == "dns" ? summary_.leaks_dns : summary_.leaks_other);
      if (throttle_.first_of_flow(*alarm, p)) {
        emit(alarm_line(us(t), *alarm, ifname, p));
      }
    });
  }

  void open_destroy_listener(sys::EventLoop& loop) {
    try {
      destroy_ = std::make_unique<observe::SockDestroyListener>(netns_fd_);
      loop.add(destroy_->fd(), [this] {
        destroy_->drain(sys::mono_ns(), [this](int64_t t, const DestroyedSocket& s) {
          ++summary_.destroyed;
          emit(destroyed_line(us(t), s));
        });
      });
      summary_.destroy_ok = true;
    } catch (const sys::SysError& e) {
      emit(notice_line(now_us(), "destroyed-unavailable",
                       fmt::format("destroyed sockets not watched: {}", e.what())));
    }
  }

  void finish() {
    for (auto& [name, c] : captures_) {
      summary_.pcap_dropped += c->dropped();
    }
    summary_.seconds = static_cast<double>(sys::mono_ns() - start_ns_) / 1e9;
    summary_.disconnects = marker_.disconnects();
    summary_.reconnects = marker_.reconnects();
    summary_.netlink_lost = recorder_.netlink_lost();
    summary_.destroy_lost = destroy_ ? destroy_->overruns() : 0;
    summary_.alarm_lines_suppressed = static_cast<int64_t>(throttle_.suppressed());
    emit(summary_line(now_us(), summary_));
  }

  const WatchOptions& o_;
  int netns_fd_;
  Emitter out_;
  int64_t start_ns_;
  observe::Recorder recorder_;
  sys::EventLoop* loop_ = nullptr;
  WatchState state_;
  TunnelStatus status_;
  DisconnectMarker marker_;
  AlarmPolicy policy_;
  AlarmThrottle throttle_;
  WatchSummary summary_;
  std::map<std::string, std::unique_ptr<observe::Capture>> captures_;
  std::unique_ptr<observe::SockDestroyListener> destroy_;
  int64_t lost_seen_ = 0, resyncs_seen_ = 0, last_event_ns_ = 0;
  bool links_changed_ = false, capture_refused_ = false;
};

// The namespace to watch: a named one (as `ip netns` keeps them), or this process's own (-1).
sys::Fd open_namespace(const std::string& name) {
  if (name.empty()) {
    return {};
  }
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    throw UsageError(fmt::format("--netns {}: not a namespace name", name));
  }
  const std::string path = std::string(sys::kNetnsDir) + "/" + name;
  if (!std::filesystem::exists(path)) {
    throw UsageError(
        fmt::format("--netns {}: no such network namespace ({} does not exist; see "
                    "`ip netns list`)",
                    name, path));
  }
  if (::geteuid() != 0) {
    throw EnvironmentError(
        fmt::format("--netns {}: entering a network namespace needs root (CAP_SYS_ADMIN)", name));
  }
  return sys::netns_open(name);
}

std::string resolv_conf_for(const WatchOptions& o) {
  if (!o.resolv_conf.empty()) {
    if (!std::filesystem::exists(o.resolv_conf)) {
      throw UsageError(fmt::format("--resolv-conf {}: no such file", o.resolv_conf));
    }
    return o.resolv_conf;
  }
  // A named namespace's programs read /etc/netns/<name>/resolv.conf (`ip netns exec`).
  std::string own = "/etc/netns/" + o.netns + "/resolv.conf";
  if (!o.netns.empty() && std::filesystem::exists(own)) {
    return own;
  }
  if (!std::filesystem::exists("/etc/resolv.conf")) {
    throw EnvironmentError("/etc/resolv.conf does not exist: give --resolv-conf FILE");
  }
  return "/etc/resolv.conf";
}

void run_watch(const WatchOptions& o) {
  int64_t duration_ns = 0;
  if (!o.duration.empty()) {
    auto d = parse_duration(o.duration);
    if (!d || d->count() <= 0) {
      throw UsageError(fmt::format("--duration {}: expected a duration with a unit, e.g. 30s or 5m",
                                   o.duration));
    }
    duration_ns = d->count() * 1000;
  }
  const std::string resolv = resolv_conf_for(o);
  sys::Fd ns = open_namespace(o.netns);
  Watcher w(o, ns ? ns.get() : -1, resolv);
  w.run(duration_ns);
}

}  // namespace

void add_watch_command(CLI::App& app) {
  auto o = std::make_shared<WatchOptions>();
  auto* cmd = app.add_subcommand(
      "watch", "stream a live host's (or namespace's) disconnects, leaks and destroyed sockets");
  cmd->add_option("--netns", o->netns, "watch the named network namespace (ip netns) instead");
  cmd->add_option("--ndjson", o->ndjson, "also write one JSON object per line to FILE (- stdout)");
  cmd->add_option("--duration", o->duration, "stop after this long (default: until Ctrl-C)");
  cmd->add_option("--interface", o->interfaces,
                  "capture these interfaces (default: every physical one)")
      ->allow_extra_args(false);
  cmd->add_option("--endpoint", o->endpoints,
                  "the VPN server's address: its traffic is the tunnel, not a leak")
      ->allow_extra_args(false);
  cmd->add_option("--resolv-conf", o->resolv_conf, "the resolv.conf to watch");
  cmd->add_flag("--expect-tunnel", o->expect_tunnel,
                "alarm on leaks after a disconnect too (the tunnel is meant to stay up)");
  cmd->add_flag("--quiet", o->quiet, "no terminal lines (with --ndjson FILE)");
  cmd->callback([o] { run_watch(*o); });
}

}  // namespace ss::cli
