// `splitsecond reap` in its own namespace pair: a TCP connection from the "tunnel" address on
// a dummy interface; the address is removed. With reap the client's blocked recv() gets
// ECONNABORTED (how fast is printed); without reap it hangs; --dry-run destroys nothing; an
// address still present elsewhere and an interface not named are left alone; sockets on other
// addresses are untouched. Whether the aborted socket's RST reaches the server is measured.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <future>

#include "reap_lab.hpp"
#include "sys/netlink.hpp"
#include "sys/syserror.hpp"

namespace {

using reaplab::kClientAddr;
using reaplab::kServerAddr;
using reaplab::kTunnelAddr;
using reaplab::mono_ns;

struct Blocked {
  int error = 0;  // errno of recv(), 0 if it returned data or EOF
  int64_t at_ns = 0;
};

// recv() on the client socket in a thread (bounded by SO_RCVTIMEO): how it ended, and when.
std::future<Blocked> blocked_recv(int fd, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return std::async(std::launch::async, [fd] {
    char buf[64];
    Blocked b;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    b.at_ns = mono_ns();
    b.error = n < 0 ? errno : 0;
    return b;
  });
}

class Reap {
 public:
  Reap(const std::string& ns, const std::vector<std::string>& extra) {
    ss::sys::SpawnSpec spec;
    spec.argv = {labtest::bin(), "reap", "--netns", ns};
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    spec.capture_stdout = true;
    spec.stderr_path = labtest::temp_path("reap.err");
    child = ss::sys::spawn(spec);
    out = std::make_unique<reaplab::Output>(child.stdout_fd());
  }
  ~Reap() { child.stop(std::chrono::milliseconds(2000)); }
  ss::sys::Child child;
  std::unique_ptr<reaplab::Output> out;
};

// A UDP socket from `src` connected to the server (no listener needed: it only waits).
ss::sys::Fd udp_connected_in(int netns_fd, const std::string& src, const std::string& dst) {
  ss::sys::NetnsGuard in(netns_fd);
  ss::sys::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in from = reaplab::v4(src, 0), to = reaplab::v4(dst, 9);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) < 0 ||
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return {};
  return fd;
}

void remove_tunnel_address(const reaplab::NsPair& lab, int64_t* before, int64_t* after) {
  ss::sys::Netlink nl(lab.client_fd.get());
  *before = mono_ns();
  nl.delete_address("d0", ss::sys::Prefix::parse(std::string(kTunnelAddr) + "/32"));
  *after = mono_ns();
}

struct Conn {
  ss::sys::Fd listener, client, server_side;
  uint16_t port = 0;
};

Conn connection_from(const reaplab::NsPair& lab, const std::string& src) {
  Conn c;
  c.listener = reaplab::listen_in(lab.server_fd.get(), kServerAddr, &c.port);
  c.client = reaplab::connect_in(lab.client_fd.get(), src, kServerAddr, c.port);
  if (c.client) c.server_side = reaplab::accept_within(c.listener.get(), 2000);
  return c;
}

TEST(Reap, AbortsTheConnectionOfARemovedAddressAndLeavesOthersAlone) {
  REQUIRE_ROOT();
  reaplab::NsPair lab;
  ASSERT_TRUE(lab.ok) << lab.error;
  Conn tunnel = connection_from(lab, kTunnelAddr);
  Conn other = connection_from(lab, kClientAddr);
  ASSERT_TRUE(tunnel.server_side && other.server_side);

  ss::sys::Fd udp = udp_connected_in(lab.client_fd.get(), kTunnelAddr, kServerAddr);
  ASSERT_TRUE(udp);

  Reap reap(lab.client, {});
  ASSERT_TRUE(reap.out->wait_for("watching every interface", 10000)) << reap.out->text;
  auto ended = blocked_recv(tunnel.client.get(), 5000);
  auto udp_ended = blocked_recv(udp.get(), 5000);
  int64_t before = 0, after = 0;
  remove_tunnel_address(lab, &before, &after);
  const Blocked b = ended.get();
  EXPECT_EQ(b.error, ECONNABORTED) << ss::sys::errno_name(b.error) << "\n" << reap.out->text;
  const double since_call_ms = static_cast<double>(b.at_ns - before) / 1e6;
  const double since_return_ms = static_cast<double>(b.at_ns - after) / 1e6;
  std::printf(
      "reap: ECONNABORTED %.3f ms after the address removal was called (%.3f ms after "
      "it returned)\n",
      since_call_ms, since_return_ms);
  RecordProperty("econnaborted_after_removal_us", static_cast<int>(since_call_ms * 1000));
  ASSERT_TRUE(reap.out->wait_for("destroyed 2 sockets (tcp 1, udp 1)", 5000)) << reap.out->text;
  std::printf("%s", reap.out->text.c_str());
  EXPECT_EQ(udp_ended.get().error, ECONNABORTED);
  EXPECT_NE(reap.out->text.find("198.51.100.2/32 removed from d0 (address removed)"),
            std::string::npos)
      << reap.out->text;

  // The RST an aborted socket may send: did it reach the server (ECONNRESET there)?
  pollfd p{tunnel.server_side.get(), POLLIN, 0};
  const bool readable = ::poll(&p, 1, 500) > 0;
  char c;
  const ssize_t n = readable ? ::recv(tunnel.server_side.get(), &c, 1, MSG_DONTWAIT) : -1;
  const int server_err = n < 0 ? errno : 0;
  std::printf("reap: the server's end after the abort: %s\n",
              !readable ? "nothing arrived within 500 ms (no RST left the client)"
                        : (server_err == ECONNRESET ? "ECONNRESET (the RST arrived)"
                                                    : ss::sys::errno_name(server_err).c_str()));
  RecordProperty("server_saw_rst", readable && server_err == ECONNRESET ? 1 : 0);

  // The connection from the address that stayed still carries data both ways.
  ASSERT_EQ(::send(other.client.get(), "ping", 4, 0), 4);
  char buf[8] = {};
  ASSERT_EQ(::recv(other.server_side.get(), buf, sizeof buf, 0), 4);
  ASSERT_EQ(::send(other.server_side.get(), "pong", 4, 0), 4);
  timeval tv{2, 0};
  ::setsockopt(other.client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::recv(other.client.get(), buf, sizeof buf, 0), 4);
  EXPECT_EQ(reaplab::tcp_state_of(lab.client, kClientAddr), "ESTAB\n");
}

TEST(Reap, AbortsAnIPv6Connection) {
  REQUIRE_ROOT();
  reaplab::NsPair lab;
  ASSERT_TRUE(lab.ok) << lab.error;
  const std::string c = "ip -n " + lab.client + " ", s = "ip -n " + lab.server + " ";
  ASSERT_EQ(labtest::sh("set -e; " + c + "addr add 2001:db8::2/64 dev c0 nodad; " + s +
                        "addr add 2001:db8::1/64 dev s0 nodad; " + c +
                        "addr add 2001:db8:1::2/128 dev d0 nodad; " + s +
                        "route add 2001:db8:1::/64 via 2001:db8::2")
                .status,
            0);
  ss::sys::Fd listener, client, server_side;
  {
    ss::sys::NetnsGuard in(lab.server_fd.get());
    listener.reset(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, "2001:db8::1", &a.sin6_addr);
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener.get(), 4), 0);
    socklen_t len = sizeof a;
    ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &len);
    ss::sys::NetnsGuard to_client(lab.client_fd.get());
    client.reset(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 from{};
    from.sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, "2001:db8:1::2", &from.sin6_addr);
    ASSERT_EQ(::bind(client.get(), reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0)
        << strerror(errno);
  }
  server_side = reaplab::accept_within(listener.get(), 2000);
  ASSERT_TRUE(server_side);
  Reap reap(lab.client, {"--interface", "d0"});
  ASSERT_TRUE(reap.out->wait_for("watching interfaces d0", 10000)) << reap.out->text;
  auto ended = blocked_recv(client.get(), 5000);
  ss::sys::Netlink nl(lab.client_fd.get());
  nl.delete_address("d0", ss::sys::Prefix::parse("2001:db8:1::2/128"));
  EXPECT_EQ(ended.get().error, ECONNABORTED) << reap.out->text;
  EXPECT_TRUE(
      reap.out->wait_for("2001:db8:1::2/128 removed from d0 (address removed): "
                         "destroyed 1 sockets (tcp 1, udp 0)",
                         5000))
      << reap.out->text;
}

TEST(Reap, WithoutReapTheConnectionHangs) {
  REQUIRE_ROOT();
  reaplab::NsPair lab;
  ASSERT_TRUE(lab.ok) << lab.error;
  Conn tunnel = connection_from(lab, kTunnelAddr);
  ASSERT_TRUE(tunnel.server_side);
  auto ended = blocked_recv(tunnel.client.get(), 1500);
  int64_t before = 0, after = 0;
  remove_tunnel_address(lab, &before, &after);
  const Blocked b = ended.get();
  EXPECT_EQ(b.error, EAGAIN) << "recv ended with " << ss::sys::errno_name(b.error);
  EXPECT_EQ(reaplab::tcp_state_of(lab.client, kTunnelAddr), "ESTAB\n");
}

TEST(Reap, DryRunListsAndDestroysNothing) {
  REQUIRE_ROOT();
  reaplab::NsPair lab;
  ASSERT_TRUE(lab.ok) << lab.error;
  Conn tunnel = connection_from(lab, kTunnelAddr);
  ASSERT_TRUE(tunnel.server_side);
  Reap reap(lab.client, {"--dry-run"});
  ASSERT_TRUE(reap.out->wait_for("(dry run)", 10000)) << reap.out->text;
  int64_t before = 0, after = 0;
  auto ended = blocked_recv(tunnel.client.get(), 1500);
  remove_tunnel_address(lab, &before, &after);
  ASSERT_TRUE(reap.out->wait_for("would destroy 1 sockets (tcp 1, udp 0)", 5000)) << reap.out->text;
  EXPECT_NE(reap.out->text.find("would destroy tcp ESTABLISHED 198.51.100.2:"), std::string::npos)
      << reap.out->text;
  EXPECT_EQ(ended.get().error, EAGAIN);
  EXPECT_EQ(reaplab::tcp_state_of(lab.client, kTunnelAddr), "ESTAB\n");
}

TEST(Reap, AnAddressStillPresentElsewhereIsLeftAlone) {
  REQUIRE_ROOT();
  reaplab::NsPair lab;
  ASSERT_TRUE(lab.ok) << lab.error;
  ASSERT_EQ(labtest::sh("ip -n " + lab.client + " link add d1 type veth peer name d1p && ip -n " +
                        lab.client + " addr add 198.51.100.2/32 dev d1")
                .status,
            0);
  Conn tunnel = connection_from(lab, kTunnelAddr);
  ASSERT_TRUE(tunnel.server_side);
  Reap reap(lab.client, {});
  ASSERT_TRUE(reap.out->wait_for("watching", 10000)) << reap.out->text;
  int64_t before = 0, after = 0;
  remove_tunnel_address(lab, &before, &after);
  EXPECT_TRUE(reap.out->wait_for("left alone: the address is still present on d1", 5000))
      << reap.out->text;
  EXPECT_EQ(reaplab::tcp_state_of(lab.client, kTunnelAddr), "ESTAB\n");
  // Once it goes from d1 too, the socket goes.
  ASSERT_EQ(labtest::sh("ip -n " + lab.client + " link del d1").status, 0);
  EXPECT_TRUE(reap.out->wait_for("removed from d1 (address removed): destroyed 1 sockets", 5000))
      << reap.out->text;
  EXPECT_EQ(reaplab::tcp_state_of(lab.client, kTunnelAddr), "");
}

TEST(Reap, AnInterfaceNotNamedIsLeftAlone) {
  REQUIRE_ROOT();
  reaplab::NsPair lab;
  ASSERT_TRUE(lab.ok) << lab.error;
  Conn tunnel = connection_from(lab, kTunnelAddr);
  ASSERT_TRUE(tunnel.server_side);
  Reap reap(lab.client, {"--interface", "wg7"});
  ASSERT_TRUE(reap.out->wait_for("watching interfaces wg7", 10000)) << reap.out->text;
  EXPECT_NE(reap.out->text.find("no interface wg7 here now"), std::string::npos);
  int64_t before = 0, after = 0;
  remove_tunnel_address(lab, &before, &after);
  EXPECT_TRUE(reap.out->wait_for("left alone: d0 is not one of the --interface names", 5000))
      << reap.out->text;
  EXPECT_EQ(reaplab::tcp_state_of(lab.client, kTunnelAddr), "ESTAB\n");
}

TEST(Reap, PeerPortLimitsItToTheConnectionsToThatPort) {
  REQUIRE_ROOT();
  reaplab::NsPair lab;
  ASSERT_TRUE(lab.ok) << lab.error;
  Conn named = connection_from(lab, kTunnelAddr);
  Conn other = connection_from(lab, kTunnelAddr);
  ASSERT_TRUE(named.server_side && other.server_side);
  Reap reap(lab.client, {"--peer-port", std::to_string(named.port), "--json"});
  ASSERT_TRUE(reap.out->wait_for("\"kind\":\"ready\"", 10000)) << reap.out->text;
  EXPECT_NE(reap.out->text.find("peer ports " + std::to_string(named.port) + " only"),
            std::string::npos)
      << reap.out->text;
  auto named_ended = blocked_recv(named.client.get(), 3000);
  auto other_ended = blocked_recv(other.client.get(), 1500);
  int64_t before = 0, after = 0;
  remove_tunnel_address(lab, &before, &after);
  EXPECT_EQ(named_ended.get().error, ECONNABORTED);
  EXPECT_EQ(other_ended.get().error, EAGAIN);  // left to the kernel: it hangs
  ASSERT_TRUE(reap.out->wait_for("\"kind\":\"reaped\"", 5000)) << reap.out->text;
  EXPECT_NE(reap.out->text.find("\"tcp\":1"), std::string::npos) << reap.out->text;
  EXPECT_EQ(reaplab::tcp_state_of(lab.client, kTunnelAddr), "ESTAB\n");
}

TEST(Reap, BadInputExitsTwoAndChangesNothing) {
  REQUIRE_ROOT();
  const std::string before = labtest::host_state();
  auto bad_if = labtest::sh(labtest::bin() + " reap --interface 'a/b'");
  EXPECT_EQ(bad_if.status, 2) << bad_if.err;
  EXPECT_NE(bad_if.err.find("--interface a/b"), std::string::npos) << bad_if.err;
  auto bad_ns = labtest::sh(labtest::bin() + " reap --netns ssrp-no-such-namespace");
  EXPECT_EQ(bad_ns.status, 2) << bad_ns.err;
  EXPECT_NE(bad_ns.err.find("no such network namespace"), std::string::npos) << bad_ns.err;
  auto bad_port = labtest::sh(labtest::bin() + " reap --peer-port 70000");
  EXPECT_EQ(bad_port.status, 2) << bad_port.err;
  EXPECT_NE(bad_port.err.find("--peer-port 70000"), std::string::npos) << bad_port.err;
  EXPECT_EQ(labtest::host_state(), before);
}

}  // namespace
