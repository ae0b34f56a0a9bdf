// The pure parts of the ssh and mosh probes: configuration text, mosh-server's output, and
// the fates derived from the watch agents' lines.
#include "lab/probe_remote.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sys/fd.hpp"

namespace ss::lab {
namespace {

double ms_between(int64_t from_ns, int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e6;
}

std::string trimmed(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Joins the lines of several chunks of text with "; ", dropping empty ones.
std::string joined_lines(const std::vector<std::string>& chunks) {
  std::string out;
  for (const auto& c : chunks) {
    std::istringstream in(c);
    for (std::string line; std::getline(in, line);) {
      line = trimmed(line);
      if (!line.empty()) out += (out.empty() ? "" : "; ") + line;
    }
  }
  return out;
}

// What the watch agent printed, sorted into what the fates need.
struct Watched {
  bool ready = false;
  std::optional<std::string> setup_error;
  std::vector<int64_t> data;  // times of the chunks that carry the server's output
  std::vector<std::pair<int64_t, std::string>> notes;  // stderr chunks / mosh-client notices
  std::optional<nlohmann::json> exit;                  // the exit line, if the program ended itself
};

template <typename IsData, typename IsNote>
Watched read_watch(const AgentLines& lines, IsData is_data, IsNote is_note) {
  Watched w;
  for (const auto& l : lines) {
    const std::string kind = l.value("kind", "");
    const int64_t t = l.value("t_ns", int64_t{0});
    if (kind == "ready")
      w.ready = true;
    else if (kind == "setup_failed")
      w.setup_error = l.value("error", "set-up failed");
    else if (kind == "exit" && l.value("ended_by", "") == "program")
      w.exit = l;
    else if (kind == "output" && is_data(l))
      w.data.push_back(t);
    else if (kind == "output" && is_note(l))
      w.notes.emplace_back(t, l.value("text", ""));
  }
  std::sort(w.data.begin(), w.data.end());
  return w;
}

std::vector<std::string> notes_between(const Watched& w, int64_t from_ns, int64_t to_ns) {
  std::vector<std::string> out;
  for (const auto& [t, text] : w.notes)
    if (t >= from_ns && t <= to_ns) out.push_back(text);
  return out;
}

std::string exit_text(const nlohmann::json& exit) {
  if (exit.contains("signal")) return "killed by " + exit.value("signal", "a signal");
  return fmt::format("exit status {}", exit.value("status", -1));
}

// The silence in the server's output that reaches past t=0: between the last chunk before
// the longest gap and the chunk that ended it, or the end of the window if none came.
struct Gap {
  int64_t start = 0, end = 0;
  bool open = false;  // no output came after it
};

Gap longest_gap_after(const std::vector<int64_t>& data, int64_t t0_ns, int64_t end_ns) {
  Gap g;
  int64_t prev = 0;
  for (int64_t t : data) {
    if (t > end_ns) break;
    if (prev && t >= t0_ns && t - prev > g.end - g.start) g = {prev, t, false};
    prev = t;
  }
  if (prev && end_ns - prev > g.end - g.start) g = {prev, end_ns, true};
  return g;
}

int count_between(const std::vector<int64_t>& data, int64_t from_ns, int64_t to_ns) {
  return static_cast<int>(std::count_if(data.begin(), data.end(),
                                        [&](int64_t t) { return t >= from_ns && t <= to_ns; }));
}

int64_t frozen_threshold_ns(Micros interval) {
  return std::max<int64_t>(10 * interval.count() * 1000, 1'000'000'000);
}

// Set-up problems first: no agent, no output before t=0, or the program already gone.
bool setup_failed(ProbeFate& f, const Watched& w, int64_t t0_ns, const std::string& program) {
  std::string why;
  if (!w.ready)
    why = w.setup_error.value_or("no ready line from the agent");
  else if (w.exit && w.exit->value("t_ns", int64_t{0}) < t0_ns)
    why = program + " ended before t=0 (" + exit_text(*w.exit) + ")";
  else if (count_between(w.data, 0, t0_ns - 1) == 0)
    why = program + " showed no output from the server before t=0";
  else
    return false;
  const std::string said = joined_lines(notes_between(w, 0, t0_ns));
  f.setup_ok = false;
  f.error = said.empty() ? why : why + ": " + said;
  return true;
}

// The fields both probes report about the output after t=0: the silence around t=0 and
// when output came back, the longest silence reaching past t=0 (the outage, if there was
// one), and whether the window ended in silence.
void describe_output(ProbeFate& f, const Watched& w, int64_t t0_ns, int64_t end_ns,
                     Micros interval) {
  const auto first_after = std::lower_bound(w.data.begin(), w.data.end(), t0_ns);
  const int64_t last_before = *std::prev(first_after);  // set-up checked there is one
  const bool resumed = first_after != w.data.end() && *first_after <= end_ns;
  const int64_t last = *std::prev(std::upper_bound(w.data.begin(), w.data.end(), end_ns));
  const Gap g = longest_gap_after(w.data, t0_ns, end_ns);
  const bool frozen = end_ns - last >= frozen_threshold_ns(interval);
  const bool interrupted = !g.open && g.end - g.start > 2 * interval.count() * 1000;
  auto ms_or_null = [&](bool has, int64_t t) {
    return has ? nlohmann::json(ms_between(t0_ns, t)) : nlohmann::json(nullptr);
  };
  f.extra["outputs_after_t0"] = count_between(w.data, t0_ns, end_ns);
  f.extra["gap_at_t0_ms"] = ms_between(last_before, resumed ? *first_after : end_ns);
  f.extra["resumed_at_ms"] = ms_or_null(resumed, resumed ? *first_after : 0);
  f.extra["gap_ms"] = ms_between(g.start, g.end);
  f.extra["gap_started_ms"] = ms_between(t0_ns, g.start);
  f.extra["recovered_ms"] = ms_or_null(interrupted, g.end);
  f.extra["frozen_since_ms"] = ms_or_null(frozen, last);
  f.extra["frozen_after_ms"] = static_cast<double>(frozen_threshold_ns(interval)) / 1e6;
}

void conclude(ProbeFate& f) {
  const bool frozen = !f.extra["frozen_since_ms"].is_null();
  f.survived = !f.error && !frozen && f.extra["outputs_after_t0"].get<int>() > 0;
  f.extra["state"] = f.survived ? "alive" : f.error ? "failed" : "frozen";
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// mosh-client's own notice in a screen update: the line from "mosh:" on.
std::string notice_line(const std::string& text) {
  const auto at = text.find("mosh:");
  return trimmed(text.substr(at, text.find('\n', at) - at));
}

}  // namespace

std::string sshd_config(const SshdSettings& s) {
  return fmt::format(
      "# splitsecond: a per-run sshd; ClientAlive* and TCPKeepAlive left at sshd's defaults\n"
      "Port {}\n"
      "ListenAddress {}\n"
      "HostKey {}\n"
      "AuthorizedKeysFile {}\n"
      "PermitRootLogin prohibit-password\n"
      "PubkeyAuthentication yes\n"
      "PasswordAuthentication no\n"
      "KbdInteractiveAuthentication no\n"
      "UsePAM no\n"
      "StrictModes no\n"
      "PidFile none\n"
      "PrintMotd no\n"
      "LogLevel VERBOSE\n",
      s.port, s.listen_ip, s.host_key, s.authorized_keys);
}

std::optional<MoshConnect> parse_mosh_connect(std::string_view out) {
  static constexpr std::string_view kTag = "MOSH CONNECT ";
  const auto at = out.find(kTag);
  if (at == std::string_view::npos) return std::nullopt;
  const auto eol = out.find_first_of("\r\n", at);
  if (eol == std::string_view::npos) return std::nullopt;  // not complete yet
  std::istringstream in(std::string(out.substr(at + kTag.size(), eol - at - kTag.size())));
  MoshConnect c;
  std::string rest;
  if (!(in >> c.port >> c.key) || (in >> rest) || c.port < 1 || c.port > 65535) return std::nullopt;
  const bool base64 =
      c.key.size() == 22 && std::all_of(c.key.begin(), c.key.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '/';
      });
  if (!base64) return std::nullopt;
  return c;
}

std::optional<int> parse_mosh_detached_pid(std::string_view err) {
  static constexpr std::string_view kTag = "[mosh-server detached, pid = ";
  const auto at = err.find(kTag);
  if (at == std::string_view::npos) return std::nullopt;
  size_t i = at + kTag.size();
  int pid = 0;
  size_t digits = 0;
  for (; i < err.size() && is_digit(err[i]) && digits < 9; ++i, ++digits)
    pid = pid * 10 + (err[i] - '0');
  if (digits == 0 || i >= err.size() || err[i] != ']' || pid <= 1) return std::nullopt;
  return pid;
}

std::vector<std::string> parse_mosh_attachments(std::string_view log) {
  static constexpr std::string_view kTag = "Server now attached to client at ";
  std::vector<std::string> out;
  for (auto at = log.find(kTag); at != std::string_view::npos; at = log.find(kTag, at + 1)) {
    const auto start = at + kTag.size();
    const auto eol = log.find_first_of("\r\n", start);
    if (eol == std::string_view::npos) break;  // a line still being written
    const std::string addr = trimmed(std::string(log.substr(start, eol - start)));
    if (!addr.empty() && (out.empty() || out.back() != addr)) out.push_back(addr);
  }
  return out;
}

bool shows_clock_output(std::string_view text) {
  if (text.find("mosh:") != std::string_view::npos) return false;
  // Any redraw of a `date +%s.%N` line keeps at least its nine nanosecond digits together.
  size_t run = 0;
  for (char c : text) {
    run = is_digit(c) ? run + 1 : 0;
    if (run >= 6) return true;
  }
  return false;
}

ProbeFate ssh_fate(const AgentLines& client, int64_t t0_ns, int64_t end_ns, Micros interval) {
  ProbeFate f;
  f.name = "ssh";
  f.proto = "ssh";
  const Watched w = read_watch(
      client, [](const nlohmann::json& l) { return l.value("stream", "") == "stdout"; },
      [](const nlohmann::json& l) { return l.value("stream", "") == "stderr"; });
  if (setup_failed(f, w, t0_ns, "ssh")) return f;
  describe_output(f, w, t0_ns, end_ns, interval);
  f.extra["exit"] = nullptr;
  if (w.exit && w.exit->value("t_ns", int64_t{0}) <= end_ns) {
    const int64_t t = w.exit->value("t_ns", int64_t{0});
    const std::string said = joined_lines(notes_between(w, t0_ns, t));
    f.error = said.empty() ? "ssh ended: " + exit_text(*w.exit) : said;
    f.detected_ms = ms_between(t0_ns, t);
    f.extra["exit"] = exit_text(*w.exit);
  }
  conclude(f);
  return f;
}

ProbeFate mosh_fate(const AgentLines& client, int64_t t0_ns, int64_t end_ns, Micros interval) {
  ProbeFate f;
  f.name = "mosh";
  f.proto = "mosh";
  const Watched w = read_watch(
      client, [](const nlohmann::json& l) { return shows_clock_output(l.value("text", "")); },
      [](const nlohmann::json& l) {
        return l.value("text", "").find("mosh:") != std::string::npos;
      });
  if (setup_failed(f, w, t0_ns, "mosh-client")) return f;
  describe_output(f, w, t0_ns, end_ns, interval);
  const auto notices = notes_between(w, t0_ns, end_ns);
  f.extra["notice"] =
      notices.empty() ? nlohmann::json(nullptr) : nlohmann::json(notice_line(notices.front()));
  if (w.exit && w.exit->value("t_ns", int64_t{0}) <= end_ns) {
    const int64_t t = w.exit->value("t_ns", int64_t{0});
    f.error = "mosh-client ended: " + exit_text(*w.exit);
    f.detected_ms = ms_between(t0_ns, t);
  }
  conclude(f);
  return f;
}

std::vector<int> descendants_of(int root, const std::vector<std::pair<int, int>>& pid_ppid) {
  std::vector<int> out;
  std::vector<int> parents = {root};
  for (size_t depth = 0; !parents.empty() && depth < 64;
       ++depth) {  // bounded: /proc can change under us
    std::vector<int> next;
    for (const auto& [pid, ppid] : pid_ppid)
      if (std::find(parents.begin(), parents.end(), ppid) != parents.end() && pid != root &&
          std::find(out.begin(), out.end(), pid) == out.end())
        next.push_back(pid);
    out.insert(out.end(), next.begin(), next.end());
    parents = std::move(next);
  }
  return out;
}

NetnsId netns_id(int netns_fd) {
  struct stat st {};
  if (::fstat(netns_fd, &st) < 0) return {};
  return {st.st_dev, st.st_ino};
}

bool process_in_netns(int pid, const NetnsId& ns) {
  struct stat st {};
  if (::stat(fmt::format("/proc/{}/ns/net", pid).c_str(), &st) < 0) return false;
  return ns.ino != 0 && st.st_dev == ns.dev && st.st_ino == ns.ino;
}

namespace {

// (pid, ppid) of every process, from /proc/<pid>/stat (the fields after the last ')').
std::vector<std::pair<int, int>> process_table() {
  std::vector<std::pair<int, int>> table;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_digit)) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    int ppid = 0;
    if (rest >> state >> ppid) table.emplace_back(std::stoi(name), ppid);
  }
  return table;
}

bool exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// Ends the given processes that live in `ns`, by pidfd: SIGTERM, up to `grace`, SIGKILL.
int stop_in_netns(const std::vector<int>& pids, const NetnsId& ns,
                  std::chrono::milliseconds grace) {
  std::vector<sys::Fd> targets;
  for (int pid : pids) {
    sys::Fd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    // Checked after pidfd_open, so that the pidfd names the process that was checked.
    if (fd && process_in_netns(pid, ns)) targets.push_back(std::move(fd));
  }
  for (auto& t : targets) ::syscall(SYS_pidfd_send_signal, t.get(), SIGTERM, nullptr, 0);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  auto all_exited = [&] {
    return std::all_of(targets.begin(), targets.end(),
                       [](const sys::Fd& t) { return exited(t.get()); });
  };
  while (!all_exited() && std::chrono::steady_clock::now() < deadline) ::poll(nullptr, 0, 10);
  for (auto& t : targets)
    if (!exited(t.get())) ::syscall(SYS_pidfd_send_signal, t.get(), SIGKILL, nullptr, 0);
  return static_cast<int>(targets.size());
}

}  // namespace

int stop_descendants(int root, const NetnsId& ns, std::chrono::milliseconds grace) {
  return stop_in_netns(descendants_of(root, process_table()), ns, grace);
}

int stop_program_in_netns(const std::string& exe, const NetnsId& ns,
                          std::chrono::milliseconds grace) {
  const auto table = process_table();
  std::vector<int> pids;
  for (const auto& [pid, ppid] : table) {
    std::error_code ec;
    if (!process_in_netns(pid, ns) ||
        std::filesystem::read_symlink(fmt::format("/proc/{}/exe", pid), ec) != exe)
      continue;
    pids.push_back(pid);
    for (int d : descendants_of(pid, table)) pids.push_back(d);
  }
  return stop_in_netns(pids, ns, grace);
}

}  // namespace ss::lab
