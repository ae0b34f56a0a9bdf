#include "lab/tls_ca.hpp"

#include <fmt/format.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <array>
#include <ctime>
#include <memory>
#include <type_traits>

#include "model/errors.hpp"

namespace ss::lab {
namespace {

void check(int rc, const char* call) {
  if (rc < 0)
    throw EnvironmentError(
        fmt::format("making the run's certificates: {}: {}; check that "
                    "gnutls is installed and has ECDSA P-256",
                    call, gnutls_strerror(rc)));
}

struct KeyDeleter {
  void operator()(std::remove_pointer_t<gnutls_x509_privkey_t>* k) const {
    gnutls_x509_privkey_deinit(k);
  }
};
struct CrtDeleter {
  void operator()(std::remove_pointer_t<gnutls_x509_crt_t>* c) const { gnutls_x509_crt_deinit(c); }
};
using Key = std::unique_ptr<std::remove_pointer_t<gnutls_x509_privkey_t>, KeyDeleter>;
using Crt = std::unique_ptr<std::remove_pointer_t<gnutls_x509_crt_t>, CrtDeleter>;

Key new_key() {
  gnutls_x509_privkey_t raw = nullptr;
  check(gnutls_x509_privkey_init(&raw), "gnutls_x509_privkey_init");
  Key key(raw);
  check(gnutls_x509_privkey_generate(raw, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
        "gnutls_x509_privkey_generate");
  return key;
}

enum class Role { ca, server, client };

// A certificate for `key` with `cn`, its fields set for `role`; not yet signed.
Crt new_cert(gnutls_x509_privkey_t key, const std::string& cn, Role role) {
  gnutls_x509_crt_t raw = nullptr;
  check(gnutls_x509_crt_init(&raw), "gnutls_x509_crt_init");
  Crt crt(raw);
  check(gnutls_x509_crt_set_version(raw, 3), "gnutls_x509_crt_set_version");
  std::array<unsigned char, 16> serial{};
  check(gnutls_rnd(GNUTLS_RND_NONCE, serial.data(), serial.size()), "gnutls_rnd");
  serial[0] &= 0x7f;  // a positive INTEGER
  check(gnutls_x509_crt_set_serial(raw, serial.data(), serial.size()), "set_serial");
  const time_t now = time(nullptr);
  check(gnutls_x509_crt_set_activation_time(raw, now - 60), "set_activation_time");
  check(gnutls_x509_crt_set_expiration_time(raw, now + 24 * 3600), "set_expiration_time");
  check(gnutls_x509_crt_set_dn_by_oid(raw, GNUTLS_OID_X520_COMMON_NAME, 0, cn.data(), cn.size()),
        "set_dn_by_oid");
  check(gnutls_x509_crt_set_key(raw, key), "gnutls_x509_crt_set_key");
  if (role == Role::ca) {
    check(gnutls_x509_crt_set_basic_constraints(raw, 1, 0), "set_basic_constraints");
    check(gnutls_x509_crt_set_key_usage(raw, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN),
          "set_key_usage");
  } else {
    check(gnutls_x509_crt_set_basic_constraints(raw, 0, -1), "set_basic_constraints");
    check(
        gnutls_x509_crt_set_key_usage(raw, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_AGREEMENT),
        "set_key_usage");
    check(gnutls_x509_crt_set_key_purpose_oid(
              raw, role == Role::server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT, 0),
          "set_key_purpose_oid");
  }
  return crt;
}

std::string take(gnutls_datum_t d) {
  std::string s(reinterpret_cast<const char*>(d.data), d.size);
  gnutls_free(d.data);
  return s;
}

CertAndKey export_pem(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key) {
  gnutls_datum_t c{}, k{};
  check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c), "gnutls_x509_crt_export2");
  CertAndKey out{take(c), {}};
  check(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k), "gnutls_x509_privkey_export2");
  out.key_pem = take(k);
  return out;
}

Crt import_pem(const std::string& pem) {
  gnutls_x509_crt_t raw = nullptr;
  check(gnutls_x509_crt_init(&raw), "gnutls_x509_crt_init");
  Crt crt(raw);
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                   static_cast<unsigned>(pem.size())};
  if (gnutls_x509_crt_import(raw, &d, GNUTLS_X509_FMT_PEM) < 0) return nullptr;
  return crt;
}

}  // namespace

RunPki make_run_pki(const std::string& server_cn, const std::string& client_cn) {
  Key ca_key = new_key();
  Crt ca = new_cert(ca_key.get(), "splitsecond run CA", Role::ca);
  check(gnutls_x509_crt_sign2(ca.get(), ca.get(), ca_key.get(), GNUTLS_DIG_SHA256, 0),
        "gnutls_x509_crt_sign2 (CA)");
  RunPki pki;
  pki.ca = export_pem(ca.get(), ca_key.get());
  auto leaf = [&](const std::string& cn, Role role) {
    Key key = new_key();
    Crt crt = new_cert(key.get(), cn, role);
    check(gnutls_x509_crt_sign2(crt.get(), ca.get(), ca_key.get(), GNUTLS_DIG_SHA256, 0),
          "gnutls_x509_crt_sign2");
    return export_pem(crt.get(), key.get());
  };
  pki.server = leaf(server_cn, Role::server);
  pki.client = leaf(client_cn, Role::client);
  return pki;
}

bool verifies_against(const std::string& cert_pem, const std::string& ca_pem) {
  Crt cert = import_pem(cert_pem), ca = import_pem(ca_pem);
  if (!cert || !ca) return false;
  gnutls_x509_crt_t cas[] = {ca.get()};
  unsigned status = 0;
  if (gnutls_x509_crt_verify(cert.get(), cas, 1, 0, &status) < 0) return false;
  return status == 0;
}

}  // namespace ss::lab
