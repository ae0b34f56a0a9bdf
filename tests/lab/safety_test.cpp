// The lab leaves the machine as it found it, on every path; bad input creates nothing.
#include <fmt/format.h>
#include <signal.h>

#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "lab_util.hpp"

using namespace labtest;

namespace {

TEST(Safety, RootNamespaceAndFilesAreUntouchedAndNothingIsLeft) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string procs_before = lab_processes();
  const std::string resolv_before = slurp("/etc/resolv.conf");
  Result r = sh(bin() + " run disconnect --window 500ms");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(host_state(), before);
  EXPECT_EQ(lab_processes(), procs_before);
  EXPECT_EQ(slurp("/etc/resolv.conf"), resolv_before);
}

TEST(Safety, BadScenarioExits2AndCreatesNothing) {
  REQUIRE_ROOT();
  const std::string file = temp_path("bad.toml");
  std::ofstream(file) << "name = \"bad\"\n[disconnect]\nmode = \"clean\"\nwindwo = \"3s\"\n";
  const std::string before = host_state();
  Result r = sh(bin() + " run " + file);
  std::remove(file.c_str());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(file + ":4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("disconnect.windwo"), std::string::npos) << r.err;
  EXPECT_EQ(host_state(), before);
}

TEST(Safety, UnprivilegedUserExits3AndCreatesNothing) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  Result r =
      sh("setpriv --reuid=nobody --regid=nogroup --clear-groups " + bin() + " run disconnect");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("root"), std::string::npos) << r.err;
  EXPECT_EQ(host_state(), before);
}

TEST(Safety, TwoRunsAtOnceBothSucceed) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  const std::string a = temp_path("a.json"), b = temp_path("b.json");
  Result ra, rb;
  std::thread ta([&] { ra = sh(bin() + " run disconnect --window 1s --json " + a); });
  std::thread tb([&] { rb = sh(bin() + " run crash --window 1s --json " + b); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra.status, 0) << ra.err;
  EXPECT_EQ(rb.status, 0) << rb.err;
  for (const auto& path : {a, b}) {
    EXPECT_EQ(schema_problems(path), "") << path;
    auto rec = nlohmann::json::parse(slurp(path), nullptr, false);
    std::remove(path.c_str());
    ASSERT_FALSE(rec.is_discarded()) << path;
    EXPECT_TRUE(has_event(rec, "link", "removed", [](auto& e) { return e["ifname"] == "tun0"; }))
        << path;
  }
  EXPECT_EQ(host_state(), before);
}

TEST(Safety, SigintTearsEverythingDown) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  // Interrupt in the middle of the observation window.
  Result r =
      sh(bin() + " run disconnect --window 5s & pid=$!; sleep 1.5; kill -INT $pid; wait $pid");
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_EQ(host_state(), before);
}

TEST(Safety, CleanupRemovesWhatAKilledRunLeft) {
  REQUIRE_ROOT();
  const std::string before = host_state();
  Result r = sh(
      bin() +
      " run disconnect --window 5s & pid=$!; sleep 1.5; kill -KILL $pid; wait $pid; ip netns list");
  EXPECT_NE(r.out.find("ss-"), std::string::npos)
      << "a SIGKILLed run should leave namespaces for cleanup to find";
  Result c = sh(bin() + " cleanup");
  EXPECT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(host_state(), before) << c.out;
}

// Orphans (parent 1, zombies included) of the programs the survival scenario runs, by pid. A
// run's orphans stay its own children while it lives (it is their subreaper): those of other
// runs going on meanwhile do not show here.
std::set<std::string> survival_orphans() {
  std::set<std::string> out;
  std::istringstream in(sh("ps -eo pid=,ppid=,stat=,comm= | awk '$2 == 1 && $4 ~ "
                           "/^(wireguard-go|dnsmasq|dnsdist|sshd|mosh-server|sh|bash|sleep)$/'")
                            .out);
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

TEST(Safety, NothingARunStartedOutlivesIt) {
  REQUIRE_ROOT();
  // mosh-server's daemon and sshd's session are orphans of the lab: the run reaps them too.
  const auto before = survival_orphans();
  Result r = sh(bin() + " run survival --window 1s");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& p : survival_orphans())
    EXPECT_TRUE(before.count(p)) << "still there after the run exited: " << p;
}

// The pids listed in `text` as "process <pid> (<command>...)" by cleanup.
std::set<int> listed_pids(const std::string& text) {
  std::set<int> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto at = line.find("process ");
    if (at != std::string::npos) out.insert(std::atoi(line.c_str() + at + 8));
  }
  return out;
}

// Still a process (not exited): /proc/<pid> exists and it is not a zombie.
bool alive(int pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

TEST(Safety, CleanupEndsAndListsTheProcessesOfAKilledRun) {
  REQUIRE_ROOT();
  // mosh-server daemonizes and sshd's session children leave their parent: unlike the
  // processes the run started itself, they do not die with it.
  Result r = sh(
      bin() +
      " run survival --window 5s >/dev/null 2>&1 & pid=$!\n"
      "prefix=\n"
      "for i in $(seq 200); do\n"
      "  prefix=$(grep -l \"^$pid \" /run/splitsecond/ss-*/owner 2>/dev/null | cut -d/ -f4)\n"
      "  [ -n \"$prefix\" ] && ip netns pids $prefix-server 2>/dev/null | xargs -r -n1 ps -o "
      "comm= -p | grep -q mosh-server && break\n"
      "  sleep 0.05\n"
      "done\n"
      "kill -KILL $pid; wait $pid\n"
      "echo \"prefix $prefix\"\n"
      "for ns in $(ip netns list | awk -v p=\"$prefix-\" 'index($1, p) == 1 {print $1}'); do\n"
      "  echo \"netns $(stat -L -c %i /run/netns/$ns)\"\n"
      "  for p in $(ip netns pids $ns); do echo \"pid $p $(cat /proc/$p/comm)\"; done\n"
      "done\n"
      "for p in $(ps -e -o pid=); do echo \"any $p $(stat -L -c %i /proc/$p/ns/net 2>/dev/null)\"; "
      "done\n"
      "echo cleanup; " +
      bin() + " cleanup $prefix\n");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  // others: every process whose network namespace was not one of the run's when it was looked
  // at. Decided by each process's own namespace, not by the order of two listings: the
  // session's command forks every 100 ms, so a process can start between them.
  std::set<int> run_pids, mosh_servers, others;
  std::set<std::string> run_netns;
  std::vector<std::pair<int, std::string>> any;
  std::string prefix, cleanup_out;
  std::istringstream in(r.out);
  bool in_cleanup = false;
  for (std::string line; std::getline(in, line);) {
    if (in_cleanup) {
      cleanup_out += line + "\n";
    } else if (line.rfind("prefix ", 0) == 0) {
      prefix = line.substr(7);
    } else if (line.rfind("pid ", 0) == 0) {
      std::istringstream f(line.substr(4));
      int pid = 0;
      std::string comm;
      f >> pid >> comm;
      run_pids.insert(pid);
      if (comm == "mosh-server") mosh_servers.insert(pid);
    } else if (line.rfind("netns ", 0) == 0) {
      run_netns.insert(line.substr(6));
    } else if (line.rfind("any ", 0) == 0) {
      std::istringstream f(line.substr(4));
      int pid = 0;
      std::string netns;  // empty when the process ended before its namespace was read
      f >> pid >> netns;
      any.emplace_back(pid, netns);
    } else if (line == "cleanup") {
      in_cleanup = true;
    }
  }
  ASSERT_FALSE(run_netns.empty()) << r.out;
  for (const auto& [pid, netns] : any)
    if (!run_netns.count(netns) && !run_pids.count(pid)) others.insert(pid);
  ASSERT_FALSE(prefix.empty()) << r.out;
  ASSERT_FALSE(mosh_servers.empty()) << "the killed run's mosh-server should outlive it:\n"
                                     << r.out;
  // Right after cleanup returned: nothing of the run is left, and cleanup said what it ended.
  for (int pid : run_pids) EXPECT_FALSE(alive(pid)) << "pid " << pid << " survived cleanup";
  const std::set<int> listed = listed_pids(cleanup_out);
  bool listed_mosh = false;
  for (int pid : mosh_servers)
    listed_mosh |= listed.count(pid) && cleanup_out.find(fmt::format("process {} (mosh-server",
                                                                     pid)) != std::string::npos;
  EXPECT_TRUE(listed_mosh) << cleanup_out;
  // What cleanup ended lived in the run's namespaces, or started there after the snapshot (the
  // session's command forks every 100 ms): never a process seen outside them.
  for (int pid : listed)
    EXPECT_FALSE(others.count(pid)) << "cleanup ended pid " << pid << ", not the run's:\n"
                                    << cleanup_out;
  EXPECT_EQ(sh("ip netns list | grep -c '^" + prefix + "-'").out, "0\n");
}

}  // namespace
