// The pure parts of the ssh and mosh probes: configuration text and mosh-server's output (their
// fates are in model/fate_remote.cpp).
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

std::string trimmed(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
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
