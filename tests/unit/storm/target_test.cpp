// Where a real storm may go: URL parsing and the target rule, both ways.
#include "storm/target.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "model/errors.hpp"

namespace ss::storm {
namespace {

uint32_t ip(const char* text) {
  in_addr a{};
  ::inet_pton(AF_INET, text, &a);
  return ntohl(a.s_addr);
}

TEST(WsUrl, HostPortPath) {
  WsUrl u = parse_ws_url("ws://127.0.0.1:8080/chat?x=1");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.path, "/chat?x=1");
  EXPECT_EQ(ntohs(u.address.sin_port), 8080);
  WsUrl d = parse_ws_url("ws://localhost");
  EXPECT_EQ(d.port, 80);
  EXPECT_EQ(d.path, "/");
  EXPECT_EQ(ntohl(d.address.sin_addr.s_addr), ip("127.0.0.1"));
}

TEST(WsUrl, MalformedUrlsAreUsageErrors) {
  for (const char* bad :
       {"http://127.0.0.1:80/", "wss://127.0.0.1:443/", "ws://", "ws://:80/", "ws://127.0.0.1:0/",
        "ws://127.0.0.1:70000/", "ws://127.0.0.1:x/", "ws://example.com/", "127.0.0.1:8080"}) {
    EXPECT_THROW(parse_ws_url(bad), UsageError) << bad;
  }
  try {
    parse_ws_url("wss://127.0.0.1/");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--ws"), std::string::npos);
  }
}

TEST(Target, LoopbackAndOwnAddressesAreAllowed) {
  EXPECT_EQ(target_refusal(ip("127.0.0.1"), {}, {}), "");
  EXPECT_EQ(target_refusal(ip("127.3.2.1"), {}, {}), "");
  EXPECT_EQ(target_refusal(ip("10.0.0.5"), {ip("10.0.0.5")}, {}), "");
}

TEST(Target, OtherAddressesNeedTheirNetworkNamed) {
  std::string why = target_refusal(ip("192.0.2.10"), {ip("10.0.0.5")}, {});
  EXPECT_NE(why.find("192.0.2.10"), std::string::npos) << why;
  EXPECT_NE(why.find("--allow-network"), std::string::npos) << why;
  EXPECT_EQ(target_refusal(ip("192.0.2.10"), {}, {parse_network("192.0.2.0/24")}), "");
  EXPECT_NE(target_refusal(ip("192.0.3.10"), {}, {parse_network("192.0.2.0/24")}), "");
  EXPECT_EQ(target_refusal(ip("198.51.100.1"), {}, {parse_network("0.0.0.0/0")}), "");
}

TEST(Target, MalformedNetworksAreUsageErrors) {
  for (const char* bad : {"192.0.2.0", "192.0.2.0/33", "192.0.2/24", "x/8", "192.0.2.0/"})
    EXPECT_THROW(parse_network(bad), UsageError) << bad;
  Network n = parse_network("192.0.2.128/25");
  EXPECT_TRUE(n.contains(ip("192.0.2.200")));
  EXPECT_FALSE(n.contains(ip("192.0.2.100")));
}

}  // namespace
}  // namespace ss::storm
