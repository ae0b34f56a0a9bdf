#include "probes/doh_wire.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fmt/format.h>
#include <resolv.h>

#include "model/errors.hpp"

namespace ss::probes {

std::vector<uint8_t> make_dns_query(const std::string& name) {
  std::vector<uint8_t> buf(NS_PACKETSZ);
  int n = name.empty() ? -1
                       : ::res_mkquery(ns_o_query, name.c_str(), ns_c_in, ns_t_a, nullptr, 0,
                                       nullptr, buf.data(), static_cast<int>(buf.size()));
  if (n < 0) throw UsageError(fmt::format("--name: '{}' is not a domain name", name));
  buf.resize(static_cast<size_t>(n));
  buf[0] = buf[1] = 0;  // ID 0: the same question gives the same HTTP body (RFC 8484 4.1)
  HEADER* header = reinterpret_cast<HEADER*>(buf.data());
  header->rd = 1;
  return buf;
}

std::optional<DnsAnswer> parse_dns_answer(const std::vector<uint8_t>& message) {
  ns_msg handle;
  if (::ns_initparse(message.data(), static_cast<int>(message.size()), &handle) < 0)
    return std::nullopt;
  DnsAnswer answer;
  answer.rcode = ns_msg_getflag(handle, ns_f_rcode);
  for (int i = 0; i < ns_msg_count(handle, ns_s_an); ++i) {
    ns_rr rr;
    if (::ns_parserr(&handle, ns_s_an, i, &rr) < 0) return std::nullopt;
    char text[INET6_ADDRSTRLEN] = {};
    if (ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4) {
      ::inet_ntop(AF_INET, ns_rr_rdata(rr), text, sizeof text);
      answer.addresses.emplace_back(text);
    } else if (ns_rr_type(rr) == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
      ::inet_ntop(AF_INET6, ns_rr_rdata(rr), text, sizeof text);
      answer.addresses.emplace_back(text);
    }
  }
  return answer;
}

std::string rcode_name(int rcode) {
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  if (rcode >= 0 && rcode < 6) return names[rcode];
  return fmt::format("RCODE{}", rcode);
}

}  // namespace ss::probes
