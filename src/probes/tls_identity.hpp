#pragma once
// A per-run TLS identity for probe servers: a fresh self-signed certificate and its key.
#include <stdexcept>
#include <string>
#include <vector>

namespace ss::probes {

struct TlsIdentity {
  std::string cert_pem;
  std::string key_pem;
};

// A gnutls call that failed, with the call's name and gnutls's own error text.
class TlsError : public std::runtime_error {
 public:
  TlsError(const std::string& call, int rc);
  int code() const { return rc_; }

 private:
  int rc_;
};

// A fresh self-signed certificate (ECDSA P-256), valid from a minute ago for 1 day, with the
// given common name and the IP addresses / DNS names as subjectAltNames (an entry that parses
// as an IPv4 or IPv6 address becomes an IP SAN, anything else a DNS SAN). Uses gnutls.
TlsIdentity make_self_signed(const std::string& common_name, const std::vector<std::string>& sans);

}  // namespace ss::probes
