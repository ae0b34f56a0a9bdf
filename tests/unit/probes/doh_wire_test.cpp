#include "probes/doh_wire.hpp"

#include <gtest/gtest.h>

#include "model/errors.hpp"

namespace ss::probes {
namespace {

const std::vector<uint8_t> kQname = {5, 'p', 'r', 'o', 'b', 'e', 4, 't', 'e', 's', 't', 0};

// A response to "probe.test A" with the given rcode and answers (each an A or AAAA rdata).
std::vector<uint8_t> response(int rcode, const std::vector<std::vector<uint8_t>>& rdatas) {
  std::vector<uint8_t> m = {0, 0, 0x81, static_cast<uint8_t>(0x80 | rcode),
                            0, 1, 0,    static_cast<uint8_t>(rdatas.size()),
                            0, 0, 0,    0};
  m.insert(m.end(), kQname.begin(), kQname.end());
  m.insert(m.end(), {0, 1, 0, 1});
  for (const auto& rdata : rdatas) {
    uint8_t type = rdata.size() == 4 ? 1 : 28;
    m.insert(m.end(),
             {0xc0, 12, 0, type, 0, 1, 0, 0, 0, 60, 0, static_cast<uint8_t>(rdata.size())});
    m.insert(m.end(), rdata.begin(), rdata.end());
  }
  return m;
}

TEST(DnsQuery, IsARecursiveAQueryWithIdZero) {
  auto q = make_dns_query("probe.test");
  ASSERT_EQ(q.size(), 12 + kQname.size() + 4);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[1], 0);
  EXPECT_EQ(q[2] & 0x01, 0x01);  // RD
  EXPECT_EQ(q[2] & 0x80, 0);     // a query, not a response
  EXPECT_EQ(q[5], 1);            // one question
  EXPECT_TRUE(std::equal(kQname.begin(), kQname.end(), q.begin() + 12));
  EXPECT_EQ(q[q.size() - 3], 1);  // type A
  EXPECT_EQ(q[q.size() - 1], 1);  // class IN
}

TEST(DnsQuery, SameNameSameBytes) {
  EXPECT_EQ(make_dns_query("probe.test"), make_dns_query("probe.test"));
}

TEST(DnsQuery, RejectsWhatIsNotADomainName) {
  EXPECT_THROW(make_dns_query(""), UsageError);
  EXPECT_THROW(make_dns_query(std::string(64, 'a') + ".test"), UsageError);  // label over 63 octets
}

TEST(DnsAnswer, ReadsAddressesInOrder) {
  auto a = parse_dns_answer(response(
      0, {{198, 51, 100, 10}, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->rcode, 0);
  EXPECT_EQ(a->addresses, (std::vector<std::string>{"198.51.100.10", "2001:db8::1"}));
}

TEST(DnsAnswer, KeepsTheRcode) {
  auto a = parse_dns_answer(response(3, {}));
  ASSERT_TRUE(a);
  EXPECT_EQ(rcode_name(a->rcode), "NXDOMAIN");
  EXPECT_TRUE(a->addresses.empty());
}

TEST(DnsAnswer, RejectsTruncatedOrGarbage) {
  auto m = response(0, {{198, 51, 100, 10}});
  m.resize(m.size() - 2);
  EXPECT_FALSE(parse_dns_answer(m));
  EXPECT_FALSE(parse_dns_answer({1, 2, 3}));
  EXPECT_FALSE(parse_dns_answer({}));
}

TEST(DnsAnswer, RcodeNames) {
  EXPECT_EQ(rcode_name(0), "NOERROR");
  EXPECT_EQ(rcode_name(2), "SERVFAIL");
  EXPECT_EQ(rcode_name(5), "REFUSED");
  EXPECT_EQ(rcode_name(9), "RCODE9");
}

}  // namespace
}  // namespace ss::probes
