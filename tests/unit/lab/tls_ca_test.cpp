// The per-run CA: leaf certificates chain to their own CA and to no other.
#include <gtest/gtest.h>

#include "lab/tls_ca.hpp"

using namespace ss::lab;

TEST(RunPki, LeafCertificatesVerifyAgainstTheirCaOnly) {
  const RunPki a = make_run_pki("server-a", "client-a");
  const RunPki b = make_run_pki("server-b", "client-b");
  EXPECT_NE(a.ca.cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(a.server.key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(verifies_against(a.server.cert_pem, a.ca.cert_pem));
  EXPECT_TRUE(verifies_against(a.client.cert_pem, a.ca.cert_pem));
  EXPECT_FALSE(verifies_against(a.server.cert_pem, b.ca.cert_pem));
  EXPECT_FALSE(verifies_against(b.client.cert_pem, a.ca.cert_pem));
  EXPECT_FALSE(verifies_against("not a certificate", a.ca.cert_pem));
  EXPECT_NE(a.server.key_pem, b.server.key_pem);
}
