#include "probes/watch_agent.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "probes/emit.hpp"
#include "probes/watch_text.hpp"
#include "sys/event_loop.hpp"
#include "sys/syserror.hpp"

extern char** environ;

namespace ss::probes {
namespace {

constexpr auto kEndGrace = std::chrono::milliseconds(1000);  // SIGTERM to SIGKILL
constexpr int64_t kDrainNs = 300'000'000;                    // output left after the exit
constexpr size_t kReadSize = 65536;

double ms(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

// SIGTERM/SIGINT as a readable fd in the loop; blocked from the start so that none is lost
// between the program's start and the loop, and kept blocked through the summary.
sys::Fd stop_signal_fd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sys::check(::sigprocmask(SIG_BLOCK, &set, nullptr), "sigprocmask", "SIGTERM/SIGINT");
  ::signal(SIGPIPE, SIG_IGN);
  return sys::Fd(
      static_cast<int>(sys::check(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd")));
}

class Watch {
 public:
  Watch(const WatchOptions& o, WatchedProgram& p, int signal_fd)
      : o_(o), p_(p), ready_sent_(!o.ready_on_output) {
    for (auto& s : p_.streams) {
      loop_.add(s.fd.get(), [this, &s] { on_readable(s); });
      ++open_streams_;
    }
    loop_.add(p_.pidfd.get(), [this] { on_exit(); });
    loop_.add(signal_fd, [this, signal_fd] {
      signalfd_siginfo si{};
      if (::read(signal_fd, &si, sizeof si) > 0) reason_ = "signal";
      loop_.stop();
    });
  }

  int run(int64_t end_ns) {
    loop_.run_until(end_ns);
    if (!reason_) reason_ = p_.wait_status ? "exit" : "duration";
    ended_by_agent_ = !p_.wait_status;
    if (ended_by_agent_) {
      loop_.remove(p_.pidfd.get());
      end_watched(p_, kEndGrace);
    }
    if (open_streams_ > 0) loop_.run_until(sys::mono_ns() + kDrainNs);  // stops once all are closed
    report_end();
    if (ready_sent_) return 0;
    // --ready-on-output and no output: the program never got going (e.g. ssh refused).
    const std::string said = sanitize_output(stderr_text_);
    nlohmann::json exit = describe_wait_status(p_.wait_status.value_or(0));
    emit(o_.agent, "setup_failed",
         {{"error", o_.argv.front() + " printed nothing on its data stream" +
                        (said.empty() ? "" : ": " + said)},
          {"exit", exit}});
    return 4;
  }

 private:
  struct Stats {
    int64_t bytes = 0;
    GapTracker gaps;
  };

  void on_readable(WatchedStream& s) {
    char buf[kReadSize];
    const ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
    if (n > 0) {
      const int64_t now = sys::mono_ns();
      if (!ready_sent_ && s.name != "stderr") {
        emit(o_.agent, "ready",
             {{"pid", p_.pid}, {"program", o_.argv.front()}, {"on_output", true}});
        ready_sent_ = true;
      }
      if (s.name == "stderr" && stderr_text_.size() < 4096)
        stderr_text_.append(buf, static_cast<size_t>(n));
      auto& st = stats_[s.name];
      st.bytes += n;
      st.gaps.chunk(now);
      // wall_ns with t_ns: the pair that places the server's `date` stamps on our clock.
      emit(o_.agent, "output",
           {{"stream", s.name},
            {"bytes", n},
            {"wall_ns", now + sys::realtime_offset_ns()},
            {"text", sanitize_output({buf, static_cast<size_t>(n)})}});
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    // EOF, or EIO on a pty master once no process holds the terminal any more.
    loop_.remove(s.fd.get());
    if (--open_streams_ == 0 && p_.wait_status) loop_.stop();
  }

  void on_exit() {
    if (!reap_watched(p_)) return;
    loop_.remove(p_.pidfd.get());
    loop_.stop();
  }

  void report_end() {
    nlohmann::json exit = describe_wait_status(p_.wait_status.value_or(0));
    exit["ended_by"] = ended_by_agent_ ? "agent" : "program";
    emit(o_.agent, "exit", exit);
    const std::string data = o_.terminal == Terminal::pty ? "pty" : "stdout";
    const auto& main = stats_[data];
    nlohmann::json summary = {{"bytes_out", main.bytes},
                              {"chunks", main.gaps.chunks()},
                              {"longest_gap_ms", ms(main.gaps.longest_gap_ns())},
                              {"reason", *reason_}};
    summary["silent_at_end_ms"] =
        main.gaps.chunks() ? nlohmann::json(ms(sys::mono_ns() - main.gaps.last_ns())) : nullptr;
    if (o_.terminal == Terminal::pipes) summary["bytes_err"] = stats_["stderr"].bytes;
    emit(o_.agent, "summary", summary);
  }

  const WatchOptions& o_;
  WatchedProgram& p_;
  sys::EventLoop loop_;
  int open_streams_ = 0;
  std::map<std::string, Stats> stats_;
  std::optional<std::string> reason_;
  bool ended_by_agent_ = false;
  bool ready_sent_;
  std::string stderr_text_;  // the start of stderr, for a set-up failure
};

}  // namespace

int run_watch(const WatchOptions& o) {
  sys::Fd signals = stop_signal_fd();
  const int64_t end_ns = sys::mono_ns() + o.duration.count() * 1000;
  WatchedProgram program;
  try {
    program = start_watched(o.argv, merged_environment(environ, o.env), o.terminal);
  } catch (const sys::SysError& e) {
    emit(o.agent, "setup_failed", {{"error", e.what()}, {"errno", sys::errno_name(e.error())}});
    return 4;
  }
  if (!o.ready_on_output)
    emit(o.agent, "ready", {{"pid", program.pid}, {"program", o.argv.front()}});
  return Watch(o, program, signals.get()).run(end_ns);
}

}  // namespace ss::probes
