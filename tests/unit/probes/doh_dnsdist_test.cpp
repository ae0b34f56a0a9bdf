#include "probes/doh_dnsdist.hpp"

#include <gtest/gtest.h>

#include "model/errors.hpp"

namespace ss::probes {
namespace {

DnsdistConfig lab_config() {
  DnsdistConfig c;
  c.listen = "10.99.0.1:443";
  c.cert_file = "/run/splitsecond/doh/cert.pem";
  c.key_file = "/run/splitsecond/doh/key.pem";
  c.backend = "127.0.0.1:5353";
  c.check_name = "probe.splitsecond.test.";
  c.acl = {"10.0.0.0/8", "127.0.0.0/8"};
  return c;
}

TEST(DnsdistConfig, OneDohListenerOneBackendNothingElse) {
  EXPECT_EQ(dnsdist_config(lab_config()),
            "-- written by splitsecond: one DoH listener, one backend, nothing else\n"
            "setSecurityPollSuffix(\"\")\n"
            "setACL({\"10.0.0.0/8\", \"127.0.0.0/8\"})\n"
            "addDOHLocal(\"10.99.0.1:443\", \"/run/splitsecond/doh/cert.pem\", "
            "\"/run/splitsecond/doh/key.pem\", "
            "\"/dns-query\")\n"
            "newServer({address=\"127.0.0.1:5353\", checkName=\"probe.splitsecond.test.\"})\n");
}

TEST(DnsdistConfig, NoConsoleNoCarbonNoWebServerNoPlainListener) {
  auto text = dnsdist_config(lab_config());
  for (const char* absent :
       {"controlSocket", "carbonServer", "webserver", "addLocal", "setLocal", "addDOTLocal"})
    EXPECT_EQ(text.find(absent), std::string::npos) << absent;
}

TEST(DnsdistConfig, WithoutCheckNameKeepsDnsdistsHealthCheck) {
  auto c = lab_config();
  c.check_name.clear();
  EXPECT_NE(dnsdist_config(c).find("newServer({address=\"127.0.0.1:5353\"})\n"), std::string::npos);
}

TEST(DnsdistConfig, FileNamesAreLuaEscaped) {
  auto c = lab_config();
  c.cert_file = "/tmp/a\"b\\c.pem";
  EXPECT_NE(dnsdist_config(c).find("\"/tmp/a\\\"b\\\\c.pem\""), std::string::npos);
}

TEST(DnsdistConfig, Ipv6Listener) {
  auto c = lab_config();
  c.listen = "[::1]:8443";
  EXPECT_NE(dnsdist_config(c).find("addDOHLocal(\"[::1]:8443\""), std::string::npos);
}

TEST(DnsdistConfig, BadInputIsAUsageError) {
  auto bad_listen = lab_config();
  bad_listen.listen = "resolver:443";
  EXPECT_THROW(dnsdist_config(bad_listen), UsageError);
  auto bad_backend = lab_config();
  bad_backend.backend = "127.0.0.1";
  EXPECT_THROW(dnsdist_config(bad_backend), UsageError);
  auto bad_path = lab_config();
  bad_path.path = "dns-query";
  EXPECT_THROW(dnsdist_config(bad_path), UsageError);
  auto no_key = lab_config();
  no_key.key_file.clear();
  EXPECT_THROW(dnsdist_config(no_key), UsageError);
  auto no_acl = lab_config();
  no_acl.acl.clear();
  EXPECT_THROW(dnsdist_config(no_acl), UsageError);
}

}  // namespace
}  // namespace ss::probes
