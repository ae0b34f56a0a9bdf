#pragma once
// A per-run certificate authority for the VPNs that authenticate with TLS (OpenVPN): a CA, a
// server and a client certificate signed by it, with fresh keys, generated with gnutls.
#include <string>

namespace ss::lab {

struct CertAndKey {
  std::string cert_pem, key_pem;
};

struct RunPki {
  CertAndKey ca, server, client;
};

// ECDSA P-256 keys; certificates valid from a minute ago for a day. The CA may only sign
// certificates; the server's is for TLS server authentication (what OpenVPN's
// `remote-cert-tls server` checks), the client's for client authentication. Throws
// EnvironmentError naming the gnutls call that failed.
RunPki make_run_pki(const std::string& server_cn, const std::string& client_cn);

// Whether `cert_pem` is signed by `ca_pem` (gnutls's own chain check, times included).
bool verifies_against(const std::string& cert_pem, const std::string& ca_pem);

}  // namespace ss::lab
