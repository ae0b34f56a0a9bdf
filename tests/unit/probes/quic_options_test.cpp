#include "probes/quic_options.hpp"

#include <gtest/gtest.h>

#include "model/errors.hpp"

namespace {

using namespace ss::probes::quic;
using namespace std::chrono_literals;

std::string usage_message(const ClientArgs& args) {
  try {
    parse_client_options(args);
  } catch (const ss::UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(QuicOptions, ClientDefaults) {
  ClientArgs args;
  args.server = "10.0.0.1:4433";
  auto o = parse_client_options(args);
  EXPECT_EQ(format_endpoint(o.server), "10.0.0.1:4433");
  EXPECT_EQ(o.interval, 100ms);
  EXPECT_EQ(o.duration, 30s);
  EXPECT_EQ(o.idle_timeout, 30s);
  EXPECT_FALSE(o.rebind_after);
  EXPECT_FALSE(o.rebind_to);
}

TEST(QuicOptions, BadValuesNameTheOption) {
  ClientArgs args;
  args.server = "10.0.0.1";
  EXPECT_NE(usage_message(args).find("--server '10.0.0.1'"), std::string::npos);
  args.server = "10.0.0.1:0";
  EXPECT_NE(usage_message(args).find("--server"), std::string::npos);
  args.server = "10.0.0.1:4433";
  args.interval = "0ms";
  EXPECT_NE(usage_message(args).find("--interval '0ms'"), std::string::npos);
  args.interval = "100";
  EXPECT_NE(usage_message(args).find("--interval '100'"), std::string::npos);
  args.interval = "100ms";
  args.duration = "2h";
  EXPECT_NE(usage_message(args).find("--duration"), std::string::npos);
}

TEST(QuicOptions, RebindNeedsBothOptionsAndTheServersFamily) {
  ClientArgs args;
  args.server = "127.0.0.1:4433";
  args.rebind_to = "127.0.0.2";
  EXPECT_NE(usage_message(args).find("go together"), std::string::npos);
  args.rebind_after = "1s";
  auto o = parse_client_options(args);
  EXPECT_EQ(o.rebind_after, 1s);
  EXPECT_EQ(format_ip(o.rebind_to->get()), "127.0.0.2");
  args.rebind_to = "::1";
  EXPECT_NE(usage_message(args).find("address family"), std::string::npos);
  args.rebind_to = "127.0.0.2";
  args.rebind_after = "31s";  // after the end of the run
  EXPECT_NE(usage_message(args).find("--rebind-after"), std::string::npos);
}

TEST(QuicOptions, Server) {
  ServerArgs args;
  args.listen = "[::1]:4433";
  args.disable_migration = true;
  auto o = parse_server_options(args);
  EXPECT_EQ(format_endpoint(o.listen), "[::1]:4433");
  EXPECT_TRUE(o.disable_migration);
  args.listen = "::1:4433";
  EXPECT_THROW(parse_server_options(args), ss::UsageError);
  args.listen = "0.0.0.0:4433";
  args.idle_timeout = "0s";
  EXPECT_THROW(parse_server_options(args), ss::UsageError);
}

TEST(QuicAddr, ParsesAndPrintsEndpoints) {
  EXPECT_EQ(format_endpoint(*parse_endpoint("192.0.2.7:53")), "192.0.2.7:53");
  EXPECT_EQ(format_endpoint(*parse_endpoint("[2001:db8::1]:443")), "[2001:db8::1]:443");
  EXPECT_EQ(parse_endpoint("192.0.2.7:53")->port(), 53u);
  EXPECT_FALSE(parse_endpoint("192.0.2.7:65536"));
  EXPECT_FALSE(parse_endpoint("192.0.2.7:"));
  EXPECT_FALSE(parse_endpoint("[192.0.2.7]:53"));
  EXPECT_FALSE(parse_endpoint("host:53"));
  EXPECT_FALSE(parse_endpoint("192.0.2.7:5x"));
}

TEST(QuicAddr, SameEndpointComparesAddressAndPort) {
  auto a = *parse_endpoint("127.0.0.1:1000");
  auto b = *parse_endpoint("127.0.0.1:1000");
  auto c = *parse_endpoint("127.0.0.2:1000");
  auto d = *parse_endpoint("127.0.0.1:1001");
  EXPECT_TRUE(same_endpoint(a.get(), b.get()));
  EXPECT_FALSE(same_endpoint(a.get(), c.get()));
  EXPECT_FALSE(same_endpoint(a.get(), d.get()));
  EXPECT_EQ(format_endpoint(wildcard(AF_INET6)), "[::]:0");
}

}  // namespace
