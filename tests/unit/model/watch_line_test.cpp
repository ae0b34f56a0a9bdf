// The watch's lines (terminal and NDJSON) and the sock_diag destroy message parser.
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <cstring>
#include <vector>

#include "model/watch_line.hpp"
#include "watch_events.hpp"

using namespace watchtest;

TEST(WatchLine, AnEventKeepsItsOwnFieldsApartFromTheLines) {
  auto l = ss::event_line(1500, route("removed", "0.0.0.0/1", "tun0"));
  auto j = ss::ndjson(l);
  EXPECT_EQ(j["type"], "event");
  EXPECT_EQ(j["t_us"], 1500);
  EXPECT_EQ(j["layer"], "route");
  EXPECT_EQ(j["kind"], "removed");
  EXPECT_EQ(j["detail"]["type"], "unicast") << "the route's type is not the line's";
  EXPECT_NE(ss::terminal_text(l).find("route   0.0.0.0/1 dev tun0 (table main, unicast) removed"),
            std::string::npos)
      << ss::terminal_text(l);
  auto r = ss::event_line(0, rule("rule-added", 51820, 51820, true, nullptr));
  EXPECT_NE(ss::terminal_text(r).find("rule not fwmark 51820 table 51820 (inet) added"),
            std::string::npos)
      << ss::terminal_text(r);
}

TEST(WatchLine, MarksAlarmsAndTheSummary) {
  auto m = ss::mark_line(2'000'000, {"disconnect", "tun0", "tun0 gone or down", 1});
  EXPECT_NE(ss::terminal_text(m).find("MARK    DISCONNECT #1 tun0: tun0 gone or down"),
            std::string::npos)
      << ss::terminal_text(m);
  EXPECT_EQ(ss::ndjson(m)["n"], 1);
  ss::PacketInfo p;
  p.src = "192.168.1.100";
  p.dst = "192.168.1.1";
  p.proto = 17;
  p.sport = 4000;
  p.dport = 53;
  p.dns = ss::DnsQuestion{"a.test", 1, false, 1};
  auto a = ss::alarm_line(5, {"dns", "while tun0 carries everything"}, "en0", p);
  EXPECT_EQ(ss::ndjson(a)["qname"], "a.test");
  EXPECT_NE(ss::terminal_text(a).find("ALARM   dns leak on en0: UDP 192.168.1.100:4000 -> "
                                      "192.168.1.1:53 query a.test while tun0 carries everything"),
            std::string::npos)
      << ss::terminal_text(a);
  ss::WatchSummary s;
  s.disconnects = 2;
  s.netlink_lost = 3;
  auto j = ss::ndjson(ss::summary_line(9, s));
  EXPECT_EQ(j["disconnects"], 2);
  EXPECT_EQ(j["netlink_lost"], 3);
  EXPECT_EQ(j["leaks"]["dns"], 0);
}

namespace {

std::vector<uint8_t> destroy_msg(uint8_t family, uint8_t proto, bool with_proto_attr) {
  inet_diag_msg m{};
  m.idiag_family = family;
  m.idiag_state = 1;  // ESTABLISHED
  m.id.idiag_sport = htons(49070);
  m.id.idiag_dport = htons(7001);
  m.id.idiag_src[0] = htonl(0x0a08002a);  // 10.8.0.42
  m.id.idiag_dst[0] = htonl(0xc633640a);  // 198.51.100.10
  m.idiag_wqueue = 120;
  std::vector<uint8_t> out(NLMSG_ALIGN(sizeof m));
  std::memcpy(out.data(), &m, sizeof m);
  if (with_proto_attr) {
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + 1), INET_DIAG_PROTOCOL};
    std::vector<uint8_t> attr(NLA_ALIGN(a.nla_len));
    std::memcpy(attr.data(), &a, sizeof a);
    attr[NLA_HDRLEN] = proto;
    out.insert(out.end(), attr.begin(), attr.end());
  }
  return out;
}

}  // namespace

TEST(WatchDestroyed, ParsesTheInetDiagMessage) {
  auto s = ss::parse_destroyed(destroy_msg(AF_INET, IPPROTO_TCP, true));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->family, "inet");
  EXPECT_EQ(s->proto, "tcp");
  EXPECT_EQ(s->state, "ESTABLISHED");
  EXPECT_EQ(s->src, "10.8.0.42");
  EXPECT_EQ(s->sport, 49070);
  EXPECT_EQ(s->dst, "198.51.100.10");
  EXPECT_EQ(s->dport, 7001);
  EXPECT_EQ(s->wqueue, 120u);
  EXPECT_EQ(ss::parse_destroyed(destroy_msg(AF_INET, IPPROTO_UDP, true))->proto, "udp");
  EXPECT_EQ(ss::parse_destroyed(destroy_msg(AF_INET, 0, false))->proto, "") << "no attribute";
}

TEST(WatchDestroyed, RejectsShortOrForeignMessages) {
  auto m = destroy_msg(AF_INET, IPPROTO_TCP, true);
  EXPECT_FALSE(ss::parse_destroyed(std::span(m.data(), 10)));
  EXPECT_FALSE(ss::parse_destroyed(destroy_msg(AF_UNIX, 0, false)));
  auto bad = destroy_msg(AF_INET, IPPROTO_TCP, true);
  bad[bad.size() - 8] = 0xff;  // an attribute length past the end
  auto s = ss::parse_destroyed(bad);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->proto, "");
}
