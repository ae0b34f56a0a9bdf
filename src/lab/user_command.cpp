#include "lab/user_command.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "lab/lab.hpp"
#include "model/errors.hpp"
#include "sys/netns.hpp"
#include "sys/proc.hpp"

namespace ss::lab {
namespace {

// Bounds: the output kept (lines past it are counted), a line's length, the server's start.
constexpr size_t kMaxLines = 20'000;
constexpr size_t kMaxLineChars = 4'000;
constexpr int64_t kServerListenBoundNs = 10'000'000'000;
constexpr std::chrono::milliseconds kTermGrace{1'000};
constexpr int64_t kSnapshotEveryNs = 100'000'000;    // between the labelled ones
constexpr int kTcpListen = 10, kUdpUnconnected = 7;  // the kernel's TCP_LISTEN, TCP_CLOSE

ino_t netns_inode(const std::string& ns) {
  struct stat st {};
  return ::stat((std::string(sys::kNetnsDir) + "/" + ns).c_str(), &st) == 0 ? st.st_ino : 0;
}

bool in_netns(pid_t pid, ino_t ns) {
  return ns != 0 && sys::netns_inode_of(pid) == ns;
}

// Every process's parent, from /proc/PID/stat (this kernel has no /proc/PID/task/*/children).
std::map<pid_t, pid_t> parents() {
  std::map<pid_t, pid_t> out;
  for (pid_t pid : sys::all_pids()) {
    if (const auto st = sys::proc_stat(pid)) out[pid] = st->ppid;
  }
  return out;
}

// The live members of a process tree: its root and every pid seen in it before that still
// lives in its namespace (an orphan is reparented to us, the subreaper), and their children.
std::set<pid_t> live_tree(HostedProcess& p, ino_t ns) {
  std::set<pid_t> alive;
  if (!p.child) {
    return alive;
  }
  const auto par = parents();
  p.tree.insert(p.child->pid());
  for (pid_t pid : p.tree) {
    if (par.count(pid) && in_netns(pid, ns)) {
      alive.insert(pid);
    }
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, parent] : par) {
      if (alive.count(parent) && !alive.count(pid)) {
        grew = alive.insert(pid).second;
      }
    }
  }
  p.tree.insert(alive.begin(), alive.end());
  return alive;
}

std::set<uint64_t> socket_inodes(const std::set<pid_t>& pids) {
  std::set<uint64_t> out;
  for (pid_t pid : pids) {
    const std::string dir = fmt::format("/proc/{}/fd", pid);
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
      continue;
    }
    while (dirent* e = ::readdir(d)) {
      char target[64] = {};
      const ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
      if (n > 8 && std::string_view(target, 8) == "socket:[") {
        out.insert(std::strtoull(target + 8, nullptr, 10));
      }
    }
    ::closedir(d);
  }
  return out;
}

std::string state_name(int protocol, int state) {
  if (protocol == IPPROTO_UDP && state == kUdpUnconnected) {
    return "UNCONN";
  }
  return sys::tcp_state_name(state);
}

SocketObs observation(const sys::InetSocketDiag& d, bool held) {
  SocketObs o;
  o.key = fmt::format("{:08x}{:08x}", d.id.cookie[1], d.id.cookie[0]);
  o.proto = d.id.protocol == IPPROTO_TCP ? "tcp" : "udp";
  o.local = sys::local_text(d.id);
  o.peer = sys::peer_text(d.id);
  o.state = state_name(d.id.protocol, d.id.state);
  o.held = held;
  o.send_queue = d.send_queue;
  o.recv_queue = d.recv_queue;
  if (d.info) {
    o.unacked = d.info->unacked;
    o.retransmits = static_cast<uint32_t>(d.info->retransmits);
    o.total_retrans = d.info->total_retrans;
    o.rto_ms = d.info->rto_us / 1000;
    o.last_data_recv_ms = d.info->last_data_recv_ms;
  }
  return o;
}

std::vector<sys::InetSocketDiag> dump_all(sys::SockDiag& diag) {
  std::vector<sys::InetSocketDiag> out;
  for (int protocol : {IPPROTO_TCP, IPPROTO_UDP}) {
    for (int family : {AF_INET, AF_INET6}) {
      auto part = diag.dump_details(family, protocol);
      out.insert(out.end(), part.begin(), part.end());
    }
  }
  return out;
}

CommandExit exit_of(const HostedProcess& p, int64_t t0_ns) {
  CommandExit e;
  if (!p.start_error.empty()) {
    e.start_error = p.start_error;
  }
  if (!p.child) {
    return e;
  }
  if (p.status) {
    e = exit_from_status(*p.status, (p.exited_ns - t0_ns) / 1000);
  }
  e.started = true;
  if (!p.ended_by.empty()) {
    e.exited = false;
    e.ended_by = p.ended_by;
  }
  return e;
}

}  // namespace

void check_user_command(const UserCommandSpec& spec) {
  if (spec.argv.empty()) {
    return;
  }
  const std::string& prog = spec.argv[0];
  if (prog.empty()) {
    throw UsageError("run -- CMD: the command is empty");
  }
  std::error_code ec;
  const bool found =
      prog.find('/') != std::string::npos
          ? ::access(prog.c_str(), X_OK) == 0 && !std::filesystem::is_directory(prog, ec)
          : !sys::find_program(prog).empty();
  if (!found) {
    throw UsageError(fmt::format(
        "run -- {}: no such program ({}); nothing was built", prog,
        prog.find('/') != std::string::npos ? "not an executable file" : "not found in PATH"));
  }
}

std::vector<std::string> user_command_env(const UserCommandAddresses& a) {
  return {"SPLITSECOND_SERVER_IP=" + a.server_ip,
          "SPLITSECOND_SERVER_IP6=" + a.server_ip6,
          "SPLITSECOND_CLIENT_IP=" + a.client_ip,
          "SPLITSECOND_CLIENT_IP6=" + a.client_ip6,
          "SPLITSECOND_TUNNEL_IP=" + a.tunnel_ip,
          "SPLITSECOND_TUNNEL_IF=" + a.tunnel_if,
          "SPLITSECOND_PHYSICAL_IF=" + a.physical_if,
          fmt::format("SPLITSECOND_T0_IN_MS={}", a.before_ms),
          fmt::format("SPLITSECOND_WINDOW_MS={}", a.window_ms)};
}

UserCommand::UserCommand(Lab& lab, UserCommandSpec spec, std::vector<std::string> env)
    : lab_(lab), spec_(std::move(spec)), env_(std::move(env)) {
  cmd_.who = "cmd";
  cmd_.ns = lab_.names().client;
  server_.who = "server-cmd";
  server_.ns = lab_.names().server;
  cmd_.ns_inode = netns_inode(cmd_.ns);
  server_.ns_inode = netns_inode(server_.ns);
}

UserCommand::~UserCommand() = default;  // the lab's ledger ends the processes on every path

void UserCommand::spawn(HostedProcess& p, std::vector<std::string> argv) {
  int err[2] = {-1, -1};
  if (::pipe2(err, O_CLOEXEC) < 0) {
    throw sys::SysError("pipe2", p.who + " stderr", errno);
  }
  sys::Fd err_read(err[0]), err_write(err[1]);
  std::vector<std::string> env = env_;
  env.push_back("SPLITSECOND_NETNS=" + p.ns);
  try {
    p.child = &lab_.spawn(p.ns, "user-" + p.who, std::move(argv), true, {}, std::move(env),
                          err_write.get());
  } catch (const sys::SysError& e) {
    p.start_error = e.what();
    notes_.push_back(fmt::format("{} did not start: {}", p.who, e.what()));
    return;
  }
  p.out = p.child->take_stdout();
  p.err = std::move(err_read);
  ::fcntl(p.err.get(), F_SETFL, O_NONBLOCK);
}

void UserCommand::add_line(HostedProcess& p, const std::string& stream, std::string text) {
  if (lines_.size() >= kMaxLines) {
    ++lines_dropped_;
    return;
  }
  if (text.size() > kMaxLineChars) {
    text = text.substr(0, kMaxLineChars) + "...";
  }
  lines_.push_back({sys::mono_ns(), {0, p.who, stream, std::move(text)}});
}

void UserCommand::read(HostedProcess& p, bool is_err) {
  sys::Fd& fd = is_err ? p.err : p.out;
  std::string& partial = is_err ? p.partial_err : p.partial_out;
  const char* stream = is_err ? "stderr" : "stdout";
  char buf[16384];
  // At most 4 reads per call: a command that writes without pause (`yes`) must not keep the
  // experiment's loop in this handler; the level-triggered loop calls again.
  for (int reads = 0; reads < 4 && fd; ++reads) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      return;  // EAGAIN: the rest later
    }
    if (n == 0) {  // every writer closed it: the tree has ended or closed its output
      if (!partial.empty()) {
        add_line(p, stream, std::exchange(partial, {}));
      }
      // Out of the loop before the fd is closed (epoll_ctl on a closed fd fails); the loop
      // defers the removal of a handler that is running now.
      if (loop_) {
        loop_->remove(fd.get());
      }
      fd.reset();
      return;
    }
    partial.append(buf, static_cast<size_t>(n));
    size_t from = 0;  // split once, erase once: linear in what was read
    for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', from)) {
      std::string line = partial.substr(from, nl - from);
      from = nl + 1;
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      add_line(p, stream, std::move(line));
    }
    partial.erase(0, from);
    // Output without a newline: kept as one truncated line, never grown without bound.
    if (partial.size() > kMaxLineChars) {
      add_line(p, stream, std::exchange(partial, {}));
    }
  }
}

void UserCommand::on_exit(HostedProcess& p) {
  if (!p.child || p.status) {
    return;
  }
  if (auto s = p.child->poll_exit()) {
    p.status = *s;
    p.exited_ns = sys::mono_ns();
    if (&p == &cmd_ && diag_) {
      snapshot(p.who + " exited");
    }
    // Last: this may remove the handler that is running now.
    if (loop_) {
      loop_->remove(p.child->pidfd());
    }
  }
}

std::optional<std::string> UserCommand::listening(HostedProcess& p) {
  const auto inodes = socket_inodes(live_tree(p, p.ns_inode));
  if (inodes.empty()) {
    return std::nullopt;
  }
  sys::SockDiag diag(lab_.netns_fd(p.ns));
  for (const auto& d : dump_all(diag)) {
    if (inodes.count(d.id.inode) &&
        (d.id.state == kTcpListen || (d.id.protocol == IPPROTO_UDP && d.id.sport != 0))) {
      return fmt::format("{} {}", d.id.protocol == IPPROTO_TCP ? "tcp" : "udp",
                         sys::local_text(d.id));
    }
  }
  return std::nullopt;
}

void UserCommand::start() {
  if (!spec_.server_cmd.empty()) {
    spawn(server_, {"sh", "-c", spec_.server_cmd});
    // Waited on state: until its tree has a listening TCP socket or a bound UDP socket, or it
    // ends; the bound is only the give-up point.
    const int64_t give_up = sys::mono_ns() + kServerListenBoundNs;
    while (server_.child && !server_listening_ && !server_.status && sys::mono_ns() < give_up) {
      server_listening_ = listening(server_);
      read(server_, false);
      read(server_, true);
      on_exit(server_);
      if (server_listening_ || server_.status) {
        break;
      }
      pollfd pfd{server_.child->pidfd(), POLLIN, 0};
      ::poll(&pfd, 1, 20);
    }
    if (server_.status) {
      notes_.push_back("the server command ended before the client command started");
    } else if (server_.child && !server_listening_) {
      notes_.push_back(fmt::format(
          "the server command had no listening socket after {} s; the client command was "
          "started anyway",
          kServerListenBoundNs / 1'000'000'000));
    }
  }
  if (spec_.argv.empty()) {
    return;
  }
  diag_ = std::make_unique<sys::SockDiag>(lab_.netns_fd(cmd_.ns));
  started_ns_ = sys::mono_ns();
  spawn(cmd_, spec_.argv);
}

void UserCommand::attach(sys::EventLoop& loop) {
  loop_ = &loop;
  for (HostedProcess* p : {&cmd_, &server_}) {
    if (!p->child) {
      continue;
    }
    if (p->out) {
      loop.add(p->out.get(), [this, p] { read(*p, false); });
    }
    if (p->err) {
      loop.add(p->err.get(), [this, p] { read(*p, true); });
    }
    if (!p->status) {
      loop.add(p->child->pidfd(), [this, p] { on_exit(*p); });
    }
  }
  if (!diag_) {
    return;
  }
  timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) {
    throw sys::SysError("timerfd_create", "user command snapshots", errno);
  }
  itimerspec every{};
  every.it_interval.tv_nsec = kSnapshotEveryNs;
  every.it_value.tv_nsec = kSnapshotEveryNs;
  ::timerfd_settime(timer_.get(), 0, &every, nullptr);
  loop.add(timer_.get(), [this] {
    uint64_t expirations = 0;
    [[maybe_unused]] auto n = ::read(timer_.get(), &expirations, sizeof expirations);
    snapshot("");
  });
}

void UserCommand::snapshot(const std::string& label) {
  if (!diag_ || !cmd_.child) {
    return;
  }
  // Once the command has ended and holds nothing, an unlabelled snapshot has nothing to add.
  if (label.empty() && cmd_.status && followed_.empty()) {
    return;
  }
  const int64_t now = sys::mono_ns();
  const auto inodes = socket_inodes(live_tree(cmd_, cmd_.ns_inode));
  SocketSnapshot s;
  s.label = label;
  try {
    for (const auto& d : dump_all(*diag_)) {
      const bool held = d.id.inode != 0 && inodes.count(d.id.inode) > 0;
      SocketObs o = observation(d, held);
      if (!held && !followed_.count(o.key)) {
        continue;
      }
      followed_.insert(o.key);
      s.sockets.push_back(std::move(o));
    }
  } catch (const std::exception& e) {
    notes_.push_back(fmt::format("a socket snapshot ({}) failed: {}",
                                 label.empty() ? "periodic" : label, e.what()));
    return;
  }
  snaps_.push_back({now, std::move(s)});
}

void UserCommand::end(HostedProcess& p) {
  if (!p.child) {
    return;
  }
  const ino_t ns = p.ns_inode;
  std::set<pid_t> rest = live_tree(p, ns);
  rest.erase(p.child->pid());
  on_exit(p);
  if (!p.status) {
    p.child->signal(SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + kTermGrace;
    while (!p.child->poll_exit() && std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{p.child->pidfd(), POLLIN, 0};
      ::poll(&pfd, 1, 10);
    }
    p.ended_by = p.child->poll_exit() ? "SIGTERM" : "SIGKILL";
    p.status = p.child->stop(std::chrono::milliseconds(0));  // SIGKILL if still there; reaps
    p.exited_ns = sys::mono_ns();
  }
  // What it started and left behind, by pid, only while it is still in the lab's namespace.
  if (!rest.empty()) {
    sys::end_processes(
        {rest.begin(), rest.end()}, [ns](pid_t pid) { return in_netns(pid, ns); },
        std::chrono::milliseconds(300), std::chrono::milliseconds(2000));
  }
}

void UserCommand::stop() {
  loop_ = nullptr;  // the experiment's loop is gone
  end(cmd_);
  end(server_);
  for (HostedProcess* p : {&cmd_, &server_}) {
    // Bounded in count and time: a writer that outlived the tree (it was ended above) cannot
    // keep this open.
    const int64_t until = sys::mono_ns() + 1'000'000'000;
    for (int i = 0; i < 1000 && (p->out || p->err) && sys::mono_ns() < until; ++i) {
      read(*p, false);
      read(*p, true);
      if (p->out || p->err) {
        pollfd pfd[2] = {{p->out ? p->out.get() : -1, POLLIN, 0},
                         {p->err ? p->err.get() : -1, POLLIN, 0}};
        if (::poll(pfd, 2, 10) == 0) {
          break;  // nothing more is coming now
        }
      }
    }
  }
  // Nothing is read any more: the sock_diag socket (it holds the client namespace open) and the
  // timer go now, before the lab is torn down.
  diag_.reset();
  timer_.reset();
}

UserCommandRun UserCommand::take(int64_t t0_ns, std::vector<Event>& events) {
  auto rel = [t0_ns](int64_t ns) { return (ns - t0_ns) / 1000; };
  UserCommandRun u;
  u.argv = spec_.argv;
  u.server_cmd = spec_.server_cmd;
  u.env = env_;
  u.started_us = started_ns_ ? rel(started_ns_) : 0;
  u.exit = exit_of(cmd_, t0_ns);
  u.server_exit = exit_of(server_, t0_ns);
  u.server_listening = server_listening_;
  for (auto& l : lines_) {
    l.line.t_us = rel(l.t_ns);
    events.push_back({l.line.t_us,
                      Layer::probe,
                      "output",
                      {{"agent", l.line.who}, {"stream", l.line.stream}, {"line", l.line.text}}});
    u.lines.push_back(std::move(l.line));
  }
  u.lines_dropped = lines_dropped_;
  for (const HostedProcess* p : {&cmd_, &server_}) {
    if (!p->child || !p->status) {
      continue;
    }
    const CommandExit e = exit_of(*p, t0_ns);
    nlohmann::json d = {{"agent", p->who}};
    if (e.code) {
      d["code"] = *e.code;
    }
    if (e.signal) {
      d["signal"] = *e.signal;
    }
    if (e.ended_by) {
      d["by"] = *e.ended_by;
    }
    events.push_back({e.at_us.value_or(0), Layer::probe, "exited", std::move(d)});
  }
  std::vector<SocketSnapshot> snaps;
  for (auto& s : snaps_) {
    s.snap.t_us = rel(s.t_ns);
    snaps.push_back(std::move(s.snap));
  }
  u.sockets = socket_fates(snaps);
  for (const auto& f : u.sockets) {
    for (const auto& c : f.changes) {
      events.push_back({c.t_us,
                        Layer::probe,
                        "socket",
                        {{"agent", "cmd"},
                         {"proto", f.proto},
                         {"local", f.local},
                         {"remote", f.peer},
                         {"result", c.from + " -> " + c.to}}});
    }
  }
  u.notes = notes_;
  if (lines_dropped_) {
    u.notes.push_back(fmt::format("{} output lines past the first {} were counted, not kept",
                                  lines_dropped_, kMaxLines));
  }
  return u;
}

}  // namespace ss::lab
