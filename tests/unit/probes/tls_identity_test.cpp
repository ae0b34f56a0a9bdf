#include "probes/tls_identity.hpp"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gtest/gtest.h>

#include <array>
#include <ctime>
#include <string>
#include <vector>

#include "model/errors.hpp"

namespace {

using ss::probes::make_self_signed;

// RAII for the parsed certificate, so a failing assertion does not leak it.
struct ParsedCert {
  gnutls_x509_crt_t crt = nullptr;
  explicit ParsedCert(const std::string& pem) {
    gnutls_x509_crt_init(&crt);
    gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                     static_cast<unsigned>(pem.size())};
    rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
  }
  ~ParsedCert() { gnutls_x509_crt_deinit(crt); }
  int rc = 0;
};

struct San {
  int type;
  std::string value;
};

std::vector<San> sans_of(gnutls_x509_crt_t crt) {
  std::vector<San> out;
  for (unsigned i = 0; i < 16; ++i) {
    std::array<char, 256> buf{};
    size_t size = buf.size();
    int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf.data(), &size, nullptr);
    if (type < 0) break;
    out.push_back({type, std::string(buf.data(), size)});
  }
  return out;
}

std::string ip_bytes(int af, const char* text) {
  std::array<unsigned char, 16> b{};
  inet_pton(af, text, b.data());
  return std::string(reinterpret_cast<char*>(b.data()), af == AF_INET ? 4 : 16);
}

TEST(TlsIdentity, CertificateParsesBackWithCommonNameAndSans) {
  auto id = make_self_signed("quic-server", {"127.0.0.1", "::1", "server.lab"});
  ParsedCert cert(id.cert_pem);
  ASSERT_EQ(cert.rc, 0) << gnutls_strerror(cert.rc);

  std::array<char, 128> cn{};
  size_t cn_size = cn.size();
  ASSERT_EQ(gnutls_x509_crt_get_dn_by_oid(cert.crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn.data(),
                                          &cn_size),
            0);
  EXPECT_EQ(std::string(cn.data(), cn_size), "quic-server");

  auto sans = sans_of(cert.crt);
  ASSERT_EQ(sans.size(), 3u);
  EXPECT_EQ(sans[0].type, GNUTLS_SAN_IPADDRESS);
  EXPECT_EQ(sans[0].value, ip_bytes(AF_INET, "127.0.0.1"));
  EXPECT_EQ(sans[1].type, GNUTLS_SAN_IPADDRESS);
  EXPECT_EQ(sans[1].value, ip_bytes(AF_INET6, "::1"));
  EXPECT_EQ(sans[2].type, GNUTLS_SAN_DNSNAME);
  EXPECT_EQ(sans[2].value, "server.lab");
}

TEST(TlsIdentity, ValidNowForOneDayAndSelfSigned) {
  auto id = make_self_signed("x", {"127.0.0.1"});
  ParsedCert cert(id.cert_pem);
  ASSERT_EQ(cert.rc, 0);
  time_t now = time(nullptr);
  time_t start = gnutls_x509_crt_get_activation_time(cert.crt);
  time_t end = gnutls_x509_crt_get_expiration_time(cert.crt);
  EXPECT_LE(start, now);
  EXPECT_GT(end, now + 23 * 3600);
  EXPECT_LE(end, now + 24 * 3600 + 5);

  unsigned status = 0;
  ASSERT_EQ(gnutls_x509_crt_verify(cert.crt, &cert.crt, 1, 0, &status), 0);
  EXPECT_EQ(status, 0u) << "a self-signed certificate verifies against itself";
}

TEST(TlsIdentity, KeyMatchesCertificate) {
  auto id = make_self_signed("x", {"10.0.0.1"});
  gnutls_certificate_credentials_t cred = nullptr;
  ASSERT_EQ(gnutls_certificate_allocate_credentials(&cred), 0);
  gnutls_datum_t c{reinterpret_cast<unsigned char*>(id.cert_pem.data()),
                   static_cast<unsigned>(id.cert_pem.size())};
  gnutls_datum_t k{reinterpret_cast<unsigned char*>(id.key_pem.data()),
                   static_cast<unsigned>(id.key_pem.size())};
  // gnutls refuses a key that does not belong to the certificate.
  EXPECT_EQ(gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM), 0);
  gnutls_certificate_free_credentials(cred);
}

TEST(TlsIdentity, EachCallIsAFreshIdentity) {
  auto a = make_self_signed("x", {"127.0.0.1"});
  auto b = make_self_signed("x", {"127.0.0.1"});
  EXPECT_NE(a.key_pem, b.key_pem);
  EXPECT_NE(a.cert_pem, b.cert_pem);
}

TEST(TlsIdentity, EmptyNamesAreUsageErrors) {
  EXPECT_THROW(make_self_signed("", {"127.0.0.1"}), ss::UsageError);
  EXPECT_THROW(make_self_signed("x", {""}), ss::UsageError);
}

}  // namespace
