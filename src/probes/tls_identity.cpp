#include "probes/tls_identity.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <array>
#include <ctime>
#include <memory>
#include <type_traits>

#include "model/errors.hpp"

namespace ss::probes {

TlsError::TlsError(const std::string& call, int rc)
    : std::runtime_error(fmt::format("{}: {}", call, gnutls_strerror(rc))), rc_(rc) {}

namespace {

void check_tls(int rc, const char* call) {
  if (rc < 0) throw TlsError(call, rc);
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

Key generate_p256_key() {
  gnutls_x509_privkey_t raw = nullptr;
  check_tls(gnutls_x509_privkey_init(&raw), "gnutls_x509_privkey_init");
  Key key(raw);
  unsigned bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
  check_tls(gnutls_x509_privkey_generate(raw, GNUTLS_PK_ECDSA, bits, 0),
            "gnutls_x509_privkey_generate");
  return key;
}

void add_san(gnutls_x509_crt_t crt, const std::string& san) {
  if (san.empty()) throw UsageError("subjectAltName: an empty name was given");
  std::array<unsigned char, 16> ip{};
  unsigned len = 0;
  if (inet_pton(AF_INET, san.c_str(), ip.data()) == 1) {
    len = 4;
  } else if (inet_pton(AF_INET6, san.c_str(), ip.data()) == 1) {
    len = 16;
  }
  int rc = len ? gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip.data(), len,
                                                      GNUTLS_FSAN_APPEND)
               : gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, san.data(),
                                                      san.size(), GNUTLS_FSAN_APPEND);
  check_tls(rc, "gnutls_x509_crt_set_subject_alt_name");
}

void set_serial(gnutls_x509_crt_t crt) {
  std::array<unsigned char, 16> serial{};
  check_tls(gnutls_rnd(GNUTLS_RND_NONCE, serial.data(), serial.size()), "gnutls_rnd");
  serial[0] &= 0x7f;  // a positive INTEGER
  check_tls(gnutls_x509_crt_set_serial(crt, serial.data(), serial.size()),
            "gnutls_x509_crt_set_serial");
}

void set_identity_fields(gnutls_x509_crt_t crt, const std::string& common_name) {
  check_tls(gnutls_x509_crt_set_version(crt, 3), "gnutls_x509_crt_set_version");
  set_serial(crt);
  time_t now = time(nullptr);
  // A minute of slack so a peer whose clock is slightly behind still accepts it.
  check_tls(gnutls_x509_crt_set_activation_time(crt, now - 60), "set_activation_time");
  check_tls(gnutls_x509_crt_set_expiration_time(crt, now + 24 * 3600), "set_expiration_time");
  check_tls(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, common_name.data(),
                                          common_name.size()),
            "gnutls_x509_crt_set_dn_by_oid");
  check_tls(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), "set_basic_constraints");
  check_tls(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE), "set_key_usage");
  check_tls(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0),
            "set_key_purpose_oid");
}

std::string to_pem(gnutls_datum_t d) {
  std::string s(reinterpret_cast<const char*>(d.data), d.size);
  gnutls_free(d.data);
  return s;
}

}  // namespace

TlsIdentity make_self_signed(const std::string& common_name, const std::vector<std::string>& sans) {
  if (common_name.empty()) throw UsageError("certificate common name is empty");
  Key key = generate_p256_key();
  gnutls_x509_crt_t raw = nullptr;
  check_tls(gnutls_x509_crt_init(&raw), "gnutls_x509_crt_init");
  Crt crt(raw);
  set_identity_fields(raw, common_name);
  for (const auto& san : sans) add_san(raw, san);
  check_tls(gnutls_x509_crt_set_key(raw, key.get()), "gnutls_x509_crt_set_key");
  check_tls(gnutls_x509_crt_sign2(raw, raw, key.get(), GNUTLS_DIG_SHA256, 0),
            "gnutls_x509_crt_sign2");
  gnutls_datum_t cert{}, pkey{};
  check_tls(gnutls_x509_crt_export2(raw, GNUTLS_X509_FMT_PEM, &cert), "gnutls_x509_crt_export2");
  TlsIdentity id{to_pem(cert), {}};
  check_tls(gnutls_x509_privkey_export2(key.get(), GNUTLS_X509_FMT_PEM, &pkey),
            "gnutls_x509_privkey_export2");
  id.key_pem = to_pem(pkey);
  return id;
}

}  // namespace ss::probes
