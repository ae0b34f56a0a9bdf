// The kill switch's rulesets against the real nftables: every state and option is accepted by
// `nft --check`, and applying, re-applying and removing it in a private network namespace
// leaves another table there byte-for-byte as it was. Needs root (unshare -n).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "model/killswitch.hpp"

namespace ss {
namespace {

struct Ran {
  int status = -1;
  std::string out;
};

Ran sh(const std::string& cmd) {
  Ran r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int raw = ::pclose(p);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/splitsecond-ks-" + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

KillSwitchSpec spec(TunnelState state) {
  KillSwitchSpec s;
  s.state = state;
  s.endpoints = {*parse_endpoint("198.51.100.1:51820"), *parse_endpoint("[2001:db8:3::1]:443/tcp")};
  s.tunnel_if = "tun0";
  s.tunnel_addrs = {*IpPrefix::parse("10.8.0.42"), *IpPrefix::parse("fd00:8::42")};
  s.tunnel_dns = {*IpPrefix::parse("10.8.0.1"), *IpPrefix::parse("fd00:8::1")};
  return s;
}

TEST(KillSwitchNft, EveryStateAndOptionPassesNftCheck) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root for a private network namespace";
  for (auto state : {TunnelState::connecting, TunnelState::connected, TunnelState::disconnecting,
                     TunnelState::blocked})
    for (int options = 0; options < 8; ++options) {
      KillSwitchSpec s = spec(state);
      s.allow_lan = options & 1;
      s.ipv6 = options & 2;
      s.reject = options & 4;
      const std::string path = write_temp("check.nft", killswitch_ruleset(s));
      Ran r = sh("unshare -n nft --check -f " + path);
      std::remove(path.c_str());
      EXPECT_EQ(r.status, 0) << tunnel_state_name(state) << " options " << options << ": " << r.out;
    }
}

TEST(KillSwitchNft, ApplyReapplyAndOffLeaveOtherTablesAsTheyWere) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root for a private network namespace";
  const std::string other = write_temp(
      "other.nft",
      "table ip other {\n  chain c {\n    type filter hook output priority 10; policy accept;\n"
      "    counter\n  }\n}\n");
  const std::string on = write_temp("on.nft", killswitch_ruleset(spec(TunnelState::connected)));
  const std::string blocked =
      write_temp("blocked.nft", killswitch_ruleset(spec(TunnelState::blocked)));
  const std::string off = write_temp("off.nft", killswitch_off());
  // One private namespace for the whole sequence; the listings are separated by markers.
  Ran r = sh("unshare -n bash -c 'set -e; nft -f " + other +
             "; echo ==before; nft list table ip other; " + "nft -f " + on + "; nft -f " + on +
             "; nft -f " + blocked + "; echo ==during; nft list tables; nft -f " + off +
             "; echo ==after; nft list table ip other; echo ==tables; nft list tables'");
  for (const auto& p : {other, on, blocked, off}) std::remove(p.c_str());
  ASSERT_EQ(r.status, 0) << r.out;
  auto section = [&](const std::string& from, const std::string& to) {
    const auto a = r.out.find(from), b = r.out.find(to);
    return r.out.substr(a + from.size(), b - a - from.size());
  };
  EXPECT_NE(section("==during", "==after").find("table inet splitsecond_killswitch"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(section("==before", "==during"), section("==after", "==tables")) << r.out;
  EXPECT_EQ(r.out.substr(r.out.find("==tables") + 8), "\ntable ip other\n") << r.out;
}

}  // namespace
}  // namespace ss
