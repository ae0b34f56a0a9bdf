// `splitsecond watch --netns` against a small namespace pair the test builds with `ip` (per-run
// prefix, torn down on every path): a wireguard-go tunnel with split routes found, a DNS packet
// out of the physical side while it is up raises the alarm (before and after it: none), the
// disconnect marked, a destroyed socket streamed, a route flood survived and its losses
// reported, and bad input refused with nothing changed.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "lab_util.hpp"

namespace {

using nlohmann::json;

// A child process by pid, its stdout into a file; SIGKILLed and reaped if still running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& out_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  // Signals and waits (bounded); the exit status, or -1 if it had to be killed.
  int stop(int sig, int timeout_ms = 10000) {
    if (done_) return status_;
    ::kill(pid_, sig);
    for (int i = 0; i < timeout_ms / 20; ++i) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        done_ = true;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  // Waits (bounded) for the process to end by itself.
  bool ended(int timeout_ms) {
    for (int i = 0; i < timeout_ms / 20 && !done_; ++i) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_)
        done_ = true;
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done_;
  }

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = -1;
};

// The watch's NDJSON file, read as it grows: each complete line parsed once.
class Stream {
 public:
  explicit Stream(std::string path) : path_(std::move(path)) {}
  const std::vector<json>& poll() {
    std::ifstream f(path_);
    f.seekg(pos_);
    for (std::string line; std::getline(f, line);) {
      if (f.eof()) break;  // no newline yet: the writer is mid-line
      pos_ += static_cast<std::streamoff>(line.size() + 1);
      auto j = json::parse(line, nullptr, false);
      if (!j.is_discarded()) lines_.push_back(std::move(j));
    }
    return lines_;
  }

 private:
  std::string path_;
  std::streamoff pos_ = 0;
  std::vector<json> lines_;
};

using Pred = std::function<bool(const json&)>;

// Waits (bounded in count and time) until a line of the stream matches.
std::optional<json> wait_line(Stream& s, const Pred& pred, int timeout_ms = 15000) {
  size_t checked = 0;
  for (int i = 0; i < timeout_ms / 25; ++i) {
    const auto& lines = s.poll();
    for (; checked < lines.size(); ++checked)
      if (pred(lines[checked])) return lines[checked];
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return std::nullopt;
}

int count(const std::vector<json>& lines, const Pred& pred) {
  return static_cast<int>(std::count_if(lines.begin(), lines.end(), pred));
}

Pred type_kind(const std::string& type, const std::string& kind) {
  return [=](const json& j) { return j.value("type", "") == type && j.value("kind", "") == kind; };
}

// The namespace pair: client (en0 192.0.2.100/24) and peer (gw0 192.0.2.1/24), documentation
// addresses only; removed (with every process of the test) in the destructor.
class Pair {
 public:
  Pair() : prefix_(fmt_prefix()), client_(prefix_ + "-c"), peer_(prefix_ + "-p") {
    auto r = labtest::sh("set -e; ip netns add " + client_ + "; ip netns add " + peer_ +
                         "; ip -n " + client_ + " link add en0 type veth peer name gw0 netns " +
                         peer_ + "; ip -n " + client_ + " addr add 192.0.2.100/24 dev en0; ip -n " +
                         peer_ + " addr add 192.0.2.1/24 dev gw0; ip -n " + client_ +
                         " link set en0 up; ip -n " + client_ + " link set lo up; ip -n " + peer_ +
                         " link set gw0 up; ip -n " + client_ + " route add default via 192.0.2.1");
    ok_ = r.status == 0;
    error_ = r.err;
  }
  ~Pair() {
    labtest::sh("ip netns del " + client_ + " 2>/dev/null; ip netns del " + peer_ + " 2>/dev/null");
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& client() const { return client_; }
  const std::string& prefix() const { return prefix_; }
  // Runs a shell command inside the client namespace.
  labtest::Result in_client(const std::string& cmd) {
    return labtest::sh("ip netns exec " + client_ + " bash -c '" + cmd + "'");
  }

 private:
  static std::string fmt_prefix() { return "sswt" + std::to_string(::getpid() % 100000); }
  std::string prefix_, client_, peer_;
  bool ok_ = false;
  std::string error_;
};

// A DNS query for whoami.test, in bash's /dev/udp from the client namespace.
const char* kDnsQuery =
    R"(printf "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x06whoami\x04test\x00\x00\x01\x00\x01" > /dev/udp/192.0.2.1/53)";

std::vector<std::string> watch_argv(const Pair& p, const std::string& ndjson) {
  return {labtest::bin(), "watch", "--netns", p.client(), "--ndjson", ndjson, "--quiet"};
}

}  // namespace

TEST(Watch, FindsTheTunnelMarksTheDisconnectAndAlarmsOnALeak) {
  REQUIRE_ROOT();
  Pair pair;
  ASSERT_TRUE(pair.ok()) << pair.error();
  const std::string out = labtest::temp_path("watch.ndjson"), log = out + ".log";
  const std::string wg = pair.prefix() + "w";  // unique: wireguard-go's UAPI path is shared
  Child watch(watch_argv(pair, out), log);
  Stream stream(out);
  ASSERT_TRUE(wait_line(stream, type_kind("notice", "started"))) << labtest::slurp(log);
  ASSERT_TRUE(wait_line(stream, type_kind("notice", "capture"))) << labtest::slurp(log);

  // Before any tunnel: a DNS query is no leak of anything.
  ASSERT_EQ(pair.in_client(kDnsQuery).status, 0);

  Child wireguard({"ip", "netns", "exec", pair.client(), "wireguard-go", "-f", wg},
                  labtest::temp_path("wg.log"));
  ASSERT_TRUE(wait_line(stream, [&](const json& j) {
    return j.value("type", "") == "event" && j["layer"] == "link" && j["kind"] == "added" &&
           j["detail"]["ifname"] == wg;
  })) << "wireguard-go's interface never appeared";
  auto up = pair.in_client("set -e; ip addr add 10.8.0.2/24 dev " + wg + "; ip link set " + wg +
                           " up; ip route add 198.51.100.1/32 via 192.0.2.1 dev en0; ip route add "
                           "0.0.0.0/1 dev " +
                           wg + "; ip route add 128.0.0.0/1 dev " + wg);
  ASSERT_EQ(up.status, 0) << up.err;
  auto connect = wait_line(stream, type_kind("mark", "connect"));
  ASSERT_TRUE(connect) << "the tunnel was not found";
  EXPECT_EQ((*connect)["dev"], wg);
  EXPECT_NE((*connect)["how"].get<std::string>().find("split-routes"), std::string::npos);

  // The tunnel's own traffic to its endpoint, then a DNS query out of en0 while it is up.
  ASSERT_EQ(pair.in_client("printf x > /dev/udp/198.51.100.1/51820").status, 0);
  ASSERT_EQ(pair.in_client(kDnsQuery).status, 0);
  auto alarm = wait_line(stream, type_kind("alarm", "dns"));
  ASSERT_TRUE(alarm) << "no alarm for the DNS query out of en0";
  EXPECT_EQ((*alarm)["interface"], "en0");
  EXPECT_EQ((*alarm)["dst"], "192.0.2.1");
  EXPECT_EQ((*alarm)["qname"], "whoami.test");

  ASSERT_EQ(pair.in_client("ip link del " + wg).status, 0);
  auto disconnect = wait_line(stream, type_kind("mark", "disconnect"));
  ASSERT_TRUE(disconnect) << "the disconnect was not marked";
  EXPECT_EQ((*disconnect)["dev"], wg);
  EXPECT_EQ((*disconnect)["n"], 1);
  EXPECT_TRUE(wireguard.ended(10000)) << "wireguard-go did not end with its interface";

  // After the disconnect (no --expect-tunnel): not an alarm. A refused TCP connection: its
  // socket destroyed.
  ASSERT_EQ(pair.in_client(kDnsQuery).status, 0);
  pair.in_client("exec 3<>/dev/tcp/127.0.0.1/9");
  ASSERT_TRUE(wait_line(stream, [](const json& j) {
    return j.value("type", "") == "destroyed" && j["proto"] == "tcp" && j["dst"] == "127.0.0.1";
  })) << "no destroyed socket streamed";

  EXPECT_EQ(watch.stop(SIGINT), 0) << labtest::slurp(log);
  const auto& lines = stream.poll();
  EXPECT_EQ(count(lines, [](const json& j) { return j.value("type", "") == "alarm"; }), 1)
      << "only the query sent while the tunnel was up";
  EXPECT_EQ(count(lines,
                  [](const json& j) {
                    return j.value("type", "") == "alarm" && j["dst"] == "198.51.100.1";
                  }),
            0)
      << "the endpoint's traffic is the tunnel";
  ASSERT_FALSE(lines.empty());
  const json& summary = lines.back();
  ASSERT_EQ(summary["type"], "summary");
  EXPECT_EQ(summary["disconnects"], 1);
  EXPECT_EQ(summary["reconnects"], 0);
  EXPECT_EQ(summary["leaks"]["dns"], 1);
  EXPECT_GE(summary["destroyed_sockets"].get<int>(), 1);
  std::remove(out.c_str());
  std::remove(log.c_str());
}

TEST(Watch, SurvivesARouteFloodAndReportsWhatTheKernelDropped) {
  REQUIRE_ROOT();
  Pair pair;
  ASSERT_TRUE(pair.ok()) << pair.error();
  const std::string out = labtest::temp_path("flood.ndjson"), log = out + ".log";
  const std::string batch = labtest::temp_path("flood.batch");
  constexpr int kRoutes = 10000;
  {
    std::ofstream b(batch);
    for (int i = 0; i < kRoutes; ++i)
      b << "route add 2001:db8:" << std::hex << (i / 256 + 1) << ":" << (i % 256) << std::dec
        << "::/64 dev en0\n";
  }
  Child watch(watch_argv(pair, out), log);
  Stream stream(out);
  ASSERT_TRUE(wait_line(stream, type_kind("notice", "started"))) << labtest::slurp(log);
  auto flood = labtest::sh("ip -n " + pair.client() + " -batch " + batch);
  ASSERT_EQ(flood.status, 0) << flood.err;
  // One more change after the flood: seen means the watch kept reading.
  ASSERT_EQ(pair.in_client("ip route add 2001:db8:ffff::/64 dev en0").status, 0);
  ASSERT_TRUE(wait_line(
      stream,
      [](const json& j) {
        return j.value("type", "") == "event" && j["layer"] == "route" &&
               j["detail"]["dst"] == "2001:db8:ffff::/64";
      },
      60000))
      << "the watch did not keep up after the flood";
  EXPECT_EQ(watch.stop(SIGINT), 0) << labtest::slurp(log);
  const auto& lines = stream.poll();
  const int seen = count(lines, [](const json& j) {
    return j.value("type", "") == "event" && j["layer"] == "route" && j["kind"] == "added" &&
           j["detail"]["dst"].get<std::string>().starts_with("2001:db8:") &&
           j["detail"]["dst"] != "2001:db8:ffff::/64";
  });
  ASSERT_FALSE(lines.empty());
  const json& summary = lines.back();
  ASSERT_EQ(summary["type"], "summary");
  const int64_t lost = summary["netlink_lost"].get<int64_t>();
  std::cout << "route flood: " << kRoutes << " routes added, " << seen
            << " announcements streamed, " << lost << " ENOBUFS, " << summary["resyncs"]
            << " resyncs\n";
  if (lost == 0) {
    EXPECT_EQ(seen, kRoutes) << "nothing reported lost, so every route must be streamed";
  } else {
    EXPECT_GE(summary["resyncs"].get<int>(), 1) << "an overrun is followed by a fresh dump";
    EXPECT_GE(count(lines, type_kind("notice", "netlink-overrun")), 1);
  }
  std::remove(out.c_str());
  std::remove(log.c_str());
  std::remove(batch.c_str());
}

TEST(Watch, BadInputIsRefusedAndChangesNothing) {
  REQUIRE_ROOT();
  Pair pair;
  ASSERT_TRUE(pair.ok()) << pair.error();
  // Only this test's namespaces: other runs may come and go meanwhile.
  auto ours = [&] { return labtest::sh("ip netns list | grep -c '^" + pair.prefix() + "-'").out; };
  const std::string before = ours();
  auto no_ns =
      labtest::sh(labtest::bin() + " watch --netns " + pair.prefix() + "-nope --duration 1s");
  EXPECT_EQ(no_ns.status, 2) << no_ns.err;
  EXPECT_NE(no_ns.err.find("no such network namespace"), std::string::npos) << no_ns.err;
  auto no_if = labtest::sh(labtest::bin() + " watch --netns " + pair.client() +
                           " --interface nope0 --duration 1s");
  EXPECT_EQ(no_if.status, 2) << no_if.err;
  EXPECT_NE(no_if.err.find("--interface nope0: no such interface"), std::string::npos) << no_if.err;
  auto bad_duration = labtest::sh(labtest::bin() + " watch --duration soon");
  EXPECT_EQ(bad_duration.status, 2) << bad_duration.err;
  // Not root: entering a namespace is refused (exit 3); the host itself can still be watched,
  // without capture, which the watch says.
  const std::string nobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups ";
  auto not_root = labtest::sh(nobody + labtest::bin() + " watch --netns " + pair.client());
  EXPECT_EQ(not_root.status, 3) << not_root.err;
  auto host = labtest::sh(nobody + labtest::bin() + " watch --duration 1s --ndjson -");
  EXPECT_EQ(host.status, 0) << host.err;
  EXPECT_NE(host.out.find("\"capture-unavailable\""), std::string::npos) << host.out;
  EXPECT_NE(host.out.find("CAP_NET_RAW"), std::string::npos) << host.out;
  EXPECT_NE(host.out.find("\"summary\""), std::string::npos) << host.out;
  EXPECT_EQ(ours(), before) << "a namespace appeared or went";
}

// The same, with the watch stopped (SIGSTOP) through a flood larger than its socket's buffer:
// the kernel must drop notices. They are counted, the state reloaded from a dump, and every
// route either announced or streamed from that dump.
TEST(Watch, AnOverrunIsCountedAndResynchronised) {
  REQUIRE_ROOT();
  Pair pair;
  ASSERT_TRUE(pair.ok()) << pair.error();
  const std::string out = labtest::temp_path("overrun.ndjson"), log = out + ".log";
  const std::string batch = labtest::temp_path("overrun.batch");
  constexpr int kRoutes = 80000;
  {
    std::ofstream b(batch);
    for (int i = 0; i < kRoutes; ++i)
      b << "route add 2001:db8:" << std::hex << (i / 256 + 1) << ":" << (i % 256) << std::dec
        << "::/64 dev en0\n";
  }
  Child watch(watch_argv(pair, out), log);
  Stream stream(out);
  ASSERT_TRUE(wait_line(stream, type_kind("notice", "started"))) << labtest::slurp(log);
  ASSERT_EQ(::kill(watch.pid(), SIGSTOP), 0);
  auto flood = labtest::sh("ip -n " + pair.client() + " -batch " + batch, 300);
  ::kill(watch.pid(), SIGCONT);
  ASSERT_EQ(flood.status, 0) << flood.err;
  auto overrun = wait_line(stream, type_kind("notice", "netlink-overrun"), 60000);
  ASSERT_TRUE(overrun) << "a stopped reader and " << kRoutes << " routes: no overrun reported";
  // Everything queued is read once the tables match: one more route, then its line.
  ASSERT_EQ(pair.in_client("ip route add 2001:db8:ffff::/64 dev en0").status, 0);
  ASSERT_TRUE(wait_line(
      stream,
      [](const json& j) {
        return j.value("type", "") == "event" && j["layer"] == "route" &&
               j["detail"]["dst"] == "2001:db8:ffff::/64";
      },
      60000))
      << "the watch did not keep reading after the overrun";
  EXPECT_EQ(watch.stop(SIGINT), 0) << labtest::slurp(log);
  const auto& lines = stream.poll();
  std::set<std::string> streamed;
  int unannounced = 0;
  for (const auto& j : lines) {
    if (j.value("type", "") != "event" || j["layer"] != "route" || j["kind"] != "added") continue;
    const auto dst = j["detail"]["dst"].get<std::string>();
    if (!dst.starts_with("2001:db8:") || dst == "2001:db8:ffff::/64") continue;
    streamed.insert(dst);
    if (!j["detail"].value("notified", true)) ++unannounced;
  }
  const json& summary = lines.back();
  ASSERT_EQ(summary["type"], "summary");
  std::cout << "overrun: " << kRoutes << " routes while the watch was stopped, "
            << summary["netlink_lost"] << " ENOBUFS, " << summary["resyncs"] << " resyncs, "
            << streamed.size() - unannounced << " announced + " << unannounced
            << " found by the dump\n";
  EXPECT_GE(summary["netlink_lost"].get<int64_t>(), 1);
  EXPECT_GE(summary["resyncs"].get<int>(), 1);
  EXPECT_GE(unannounced, 1);
  EXPECT_EQ(streamed.size(), static_cast<size_t>(kRoutes)) << "a route neither announced nor found";
  std::remove(out.c_str());
  std::remove(log.c_str());
  std::remove(batch.c_str());
}
