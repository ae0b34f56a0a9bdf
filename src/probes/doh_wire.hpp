#pragma once
// DNS messages as DoH carries them (RFC 8484: wire format in the HTTP body), built and read
// with glibc's libresolv. Pure: bytes in, data out.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ss::probes {

// A recursive query for `name` (type A, class IN) with ID 0, as RFC 8484 recommends.
// Throws UsageError if the name is not a valid domain name.
std::vector<uint8_t> make_dns_query(const std::string& name);

struct DnsAnswer {
  int rcode = 0;
  std::vector<std::string> addresses;  // A and AAAA records of the answer section, in order
};

// nullopt if the bytes are not a DNS message.
std::optional<DnsAnswer> parse_dns_answer(const std::vector<uint8_t>& message);

// "NOERROR", "SERVFAIL", "NXDOMAIN", "REFUSED", ... or "RCODE<n>".
std::string rcode_name(int rcode);

}  // namespace ss::probes
