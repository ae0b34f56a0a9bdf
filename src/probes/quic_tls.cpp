#include "probes/quic_tls.hpp"

#include <fmt/format.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "model/errors.hpp"
#include "probes/quic_options.hpp"

namespace ss::probes::quic {

namespace {

// TLS 1.3 only, the AEADs QUIC defines, and no middlebox compatibility mode (RFC 9001 8.4).
constexpr const char* kPriority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "%DISABLE_TLS13_COMPAT_MODE";

void check_tls(int rc, const char* call) {
  if (rc < 0) throw TlsError(call, rc);
}

gnutls_datum_t datum(const std::string& s) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
          static_cast<unsigned>(s.size())};
}

}  // namespace

TlsCredentials TlsCredentials::for_server(const TlsIdentity& identity) {
  TlsCredentials c = for_client();
  gnutls_datum_t cert = datum(identity.cert_pem);
  gnutls_datum_t key = datum(identity.key_pem);
  check_tls(gnutls_certificate_set_x509_key_mem(c.get(), &cert, &key, GNUTLS_X509_FMT_PEM),
            "gnutls_certificate_set_x509_key_mem");
  return c;
}

TlsCredentials TlsCredentials::for_client() {
  gnutls_certificate_credentials_t raw = nullptr;
  check_tls(gnutls_certificate_allocate_credentials(&raw),
            "gnutls_certificate_allocate_credentials");
  TlsCredentials c;
  c.cred_.reset(raw);
  return c;
}

TlsSession TlsSession::make(unsigned flags, const TlsCredentials& cred,
                            ngtcp2_crypto_conn_ref* conn_ref) {
  gnutls_session_t raw = nullptr;
  check_tls(gnutls_init(&raw, flags), "gnutls_init");
  TlsSession s;
  s.session_.reset(raw);
  check_tls(gnutls_priority_set_direct(raw, kPriority, nullptr), "gnutls_priority_set_direct");
  check_tls(gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, cred.get()),
            "gnutls_credentials_set");
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>(kAlpn)),
                      static_cast<unsigned>(std::char_traits<char>::length(kAlpn))};
  check_tls(gnutls_alpn_set_protocols(raw, &alpn, 1, GNUTLS_ALPN_MANDATORY),
            "gnutls_alpn_set_protocols");
  gnutls_session_set_ptr(raw, conn_ref);
  return s;
}

TlsSession TlsSession::server(const TlsCredentials& cred, ngtcp2_crypto_conn_ref* conn_ref) {
  TlsSession s = make(GNUTLS_SERVER | GNUTLS_NO_END_OF_EARLY_DATA, cred, conn_ref);
  if (ngtcp2_crypto_gnutls_configure_server_session(s.get()) != 0) {
    throw std::runtime_error("ngtcp2_crypto_gnutls_configure_server_session failed");
  }
  return s;
}

TlsSession TlsSession::client(const TlsCredentials& cred, ngtcp2_crypto_conn_ref* conn_ref) {
  TlsSession s = make(GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA, cred, conn_ref);
  if (ngtcp2_crypto_gnutls_configure_client_session(s.get()) != 0) {
    throw std::runtime_error("ngtcp2_crypto_gnutls_configure_client_session failed");
  }
  return s;
}

std::string TlsSession::peer_certificate_der() const {
  unsigned n = 0;
  const gnutls_datum_t* certs = gnutls_certificate_get_peers(get(), &n);
  if (!certs || n == 0) return {};
  return std::string(reinterpret_cast<const char*>(certs[0].data), certs[0].size);
}

std::string TlsSession::negotiated_alpn() const {
  gnutls_datum_t proto{};
  if (gnutls_alpn_get_selected_protocol(get(), &proto) != 0) return {};
  return std::string(reinterpret_cast<const char*>(proto.data), proto.size);
}

std::string pem_certificate_to_der(const std::string& pem, const std::string& where) {
  gnutls_x509_crt_t crt = nullptr;
  check_tls(gnutls_x509_crt_init(&crt), "gnutls_x509_crt_init");
  gnutls_datum_t in = datum(pem);
  int rc = gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM);
  gnutls_datum_t der{};
  if (rc == 0) rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);
  gnutls_x509_crt_deinit(crt);
  if (rc < 0) {
    throw UsageError(fmt::format("{}: not a PEM certificate ({})", where, gnutls_strerror(rc)));
  }
  std::string out(reinterpret_cast<const char*>(der.data), der.size);
  gnutls_free(der.data);
  return out;
}

}  // namespace ss::probes::quic
