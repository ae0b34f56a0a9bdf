// `splitsecond killswitch` in a private network namespace (unshare -n, root): idempotent on,
// status, off that removes only its own table, bad input exits 2 and changes nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct Ran {
  int status = -1;
  std::string out;
};

// Runs a bash script in a new network namespace with lo up and a tun0 device.
Ran in_private_netns(const std::string& body) {
  const std::string script = "/tmp/splitsecond-kscli-" + std::to_string(::getpid()) + ".sh";
  std::ofstream(script) << "set -u\nB=" << SPLITSECOND_BIN
                        << "\nip link set lo up\nip tuntap add tun0 mode tun\n"
                        << body << "\n";
  Ran r;
  FILE* p = ::popen(("unshare -n bash " + script + " 2>&1").c_str(), "r");
  if (p) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int raw = ::pclose(p);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  }
  std::remove(script.c_str());
  return r;
}

TEST(KillSwitchCli, OnIsIdempotentStatusShowsItAndOffRemovesOnlyItsTable) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root for a private network namespace";
  Ran r = in_private_netns(R"SH(
nft add table ip other
nft add chain ip other c '{ type filter hook output priority 10; policy accept; }'
before=$(nft list table ip other)
$B killswitch on --endpoint 198.51.100.1:51820 --tunnel tun0 --dns 10.8.0.1 || exit 10
$B killswitch on --endpoint 198.51.100.1:51820 --tunnel tun0 --dns 10.8.0.1 || exit 11
[ "$(nft list tables | grep -c splitsecond_killswitch)" = 1 ] || exit 12
$B killswitch status | grep -q 'comment "splitsecond kill switch: connected"' || exit 13
$B killswitch on --state blocked || exit 14
$B killswitch status | grep -q 'kill switch: blocked' || exit 15
$B killswitch off || exit 16
[ "$(nft list table ip other)" = "$before" ] || exit 17
[ "$(nft list tables)" = "table ip other" ] || exit 18
$B killswitch status | grep -q 'kill switch: off' || exit 19
echo ALL-OK)SH");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("ALL-OK"), std::string::npos) << r.out;
}

TEST(KillSwitchCli, BadInputExitsTwoAndCreatesNothing) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root for a private network namespace";
  Ran r = in_private_netns(R"SH(
$B killswitch on --endpoint 198.51.100.1 --tunnel tun0; echo "rc=$?"
$B killswitch on --endpoint 198.51.100.1:51820 --tunnel nosuch0; echo "rc=$?"
$B killswitch on --endpoint 198.51.100.1:51820 --tunnel tun0 --dns resolver.test; echo "rc=$?"
$B killswitch on --state up; echo "rc=$?"
$B killswitch on --state connected --tunnel tun0; echo "rc=$?"
$B killswitch on --endpoint 198.51.100.1:51820 --tunnel tun0 --dry-run | grep -c 'table inet'
echo "tables=[$(nft list tables)]")SH");
  EXPECT_EQ(r.status, 0) << r.out;
  size_t twos = 0;
  for (size_t at = r.out.find("rc=2"); at != std::string::npos; at = r.out.find("rc=2", at + 1))
    ++twos;
  EXPECT_EQ(twos, 5u) << r.out;
  EXPECT_NE(r.out.find("--endpoint 198.51.100.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--tunnel nosuch0: no such interface"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--dns resolver.test"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n3\n"), std::string::npos) << r.out;  // the dry run printed the batch
  EXPECT_NE(r.out.find("tables=[]"), std::string::npos) << r.out;
}

}  // namespace
