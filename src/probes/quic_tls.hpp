#pragma once
// gnutls sessions configured for QUIC through ngtcp2_crypto_gnutls: TLS 1.3 only, our ALPN.
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <memory>
#include <string>
#include <type_traits>

#include "probes/tls_identity.hpp"

namespace ss::probes::quic {

class TlsCredentials {
 public:
  static TlsCredentials for_server(const TlsIdentity& identity);
  // The client does not check the chain against a CA: the server's identity is per run. It may
  // pin the exact certificate instead (QuicClient compares it once the handshake completes).
  static TlsCredentials for_client();
  gnutls_certificate_credentials_t get() const { return cred_.get(); }

 private:
  struct Free {
    void operator()(std::remove_pointer_t<gnutls_certificate_credentials_t>* c) const {
      gnutls_certificate_free_credentials(c);
    }
  };
  std::unique_ptr<std::remove_pointer_t<gnutls_certificate_credentials_t>, Free> cred_;
};

class TlsSession {
 public:
  // conn_ref must outlive the session: ngtcp2's gnutls glue finds the connection through it.
  static TlsSession server(const TlsCredentials& cred, ngtcp2_crypto_conn_ref* conn_ref);
  static TlsSession client(const TlsCredentials& cred, ngtcp2_crypto_conn_ref* conn_ref);
  gnutls_session_t get() const { return session_.get(); }

  // The peer's certificate (DER), empty if it sent none.
  std::string peer_certificate_der() const;
  std::string negotiated_alpn() const;

 private:
  struct Free {
    void operator()(std::remove_pointer_t<gnutls_session_t>* s) const { gnutls_deinit(s); }
  };
  static TlsSession make(unsigned flags, const TlsCredentials& cred,
                         ngtcp2_crypto_conn_ref* conn_ref);
  std::unique_ptr<std::remove_pointer_t<gnutls_session_t>, Free> session_;
};

// The DER bytes of the first certificate in a PEM text; throws UsageError if there is none.
std::string pem_certificate_to_der(const std::string& pem, const std::string& where);

}  // namespace ss::probes::quic
