// OpenVPN's up/down script: the pushed resolvers from the environment, applied in place and
// restored.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "model/errors.hpp"
#include "probes/openvpn_dns.hpp"

using namespace ss;
using namespace ss::probes;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Files {
  std::string resolv = "/tmp/ss-ovpn-dns-test-" + std::to_string(::getpid()) + "-resolv";
  std::string save = resolv + ".save";
  Files() { std::ofstream(resolv) << "nameserver 192.168.1.1\n"; }
  ~Files() {
    ::unlink(resolv.c_str());
    ::unlink(save.c_str());
  }
  ino_t inode() const {
    struct stat st {};
    ::stat(resolv.c_str(), &st);
    return st.st_ino;
  }
};

const std::vector<std::string> kEnv = {"dev=tun0", "foreign_option_2=dhcp-option DNS 10.8.0.2",
                                       "foreign_option_1=dhcp-option DNS 10.8.0.1",
                                       "foreign_option_3=dhcp-option DOMAIN lab.test",
                                       "script_type=up"};

}  // namespace

TEST(OpenVpnDns, PushedServersInOptionOrder) {
  EXPECT_EQ(pushed_dns(kEnv), (std::vector<std::string>{"10.8.0.1", "10.8.0.2"}));
  EXPECT_TRUE(pushed_dns({"foreign_option_1=dhcp-option DOMAIN x", "foreign_option_x=a"}).empty());
  EXPECT_EQ(pushed_dns({"foreign_option_10=dhcp-option DNS6 fd00::1",
                        "foreign_option_9=dhcp-option DNS 10.0.0.9"}),
            (std::vector<std::string>{"10.0.0.9", "fd00::1"}));
}

TEST(OpenVpnDns, UpAppliesInPlaceAndDownRestores) {
  Files f;
  const ino_t inode = f.inode();
  auto up = run_dns_script("up", f.resolv, f.save, kEnv);
  EXPECT_EQ(up.action, "applied");
  EXPECT_EQ(up.nameservers, (std::vector<std::string>{"10.8.0.1", "10.8.0.2"}));
  EXPECT_EQ(f.inode(), inode);  // same file: a bind mount would still show it
  EXPECT_EQ(slurp(f.save), "nameserver 192.168.1.1\n");
  struct stat st {};
  ASSERT_EQ(::stat(f.save.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second up (a restart) keeps the first original.
  run_dns_script("up", f.resolv, f.save, kEnv);
  EXPECT_EQ(slurp(f.save), "nameserver 192.168.1.1\n");
  auto down = run_dns_script("down", f.resolv, f.save, {});
  EXPECT_EQ(down.action, "restored");
  EXPECT_EQ(down.nameservers, (std::vector<std::string>{"192.168.1.1"}));
  EXPECT_EQ(slurp(f.resolv), "nameserver 192.168.1.1\n");
  EXPECT_EQ(f.inode(), inode);
  EXPECT_NE(::access(f.save.c_str(), F_OK), 0);
}

TEST(OpenVpnDns, NothingPushedOrNothingSavedChangesNothing) {
  Files f;
  auto up = run_dns_script("up", f.resolv, f.save, {"dev=tun0"});
  EXPECT_EQ(up.action, "no-dns-pushed");
  EXPECT_EQ(slurp(f.resolv), "nameserver 192.168.1.1\n");
  auto down = run_dns_script("down", f.resolv, f.save, {});
  EXPECT_EQ(down.action, "nothing-to-restore");
  EXPECT_EQ(down.nameservers, (std::vector<std::string>{"192.168.1.1"}));
  EXPECT_THROW(run_dns_script("route-up", f.resolv, f.save, kEnv), UsageError);
}
