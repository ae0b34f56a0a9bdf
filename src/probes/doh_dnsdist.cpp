#include "probes/doh_dnsdist.hpp"

#include <fmt/format.h>

#include "model/errors.hpp"
#include "probes/tcp_probe.hpp"

namespace ss::probes {
namespace {

// A Lua string literal: backslash, quote and control characters escaped.
std::string lua_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '\\' || ch == '"') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      out += fmt::format("\\{:03d}", static_cast<int>(ch));
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

void require(bool ok, const std::string& field, const std::string& why) {
  if (!ok) throw UsageError(fmt::format("dnsdist configuration: {} {}", field, why));
}

}  // namespace

std::string dnsdist_config(const DnsdistConfig& c) {
  Endpoint::parse(c.listen, "dnsdist listen address");
  Endpoint::parse(c.backend, "dnsdist backend address");
  require(!c.cert_file.empty(), "cert_file", "is empty");
  require(!c.key_file.empty(), "key_file", "is empty");
  require(!c.path.empty() && c.path.front() == '/', "path",
          fmt::format("'{}' does not start with '/'", c.path));
  require(!c.acl.empty(), "acl", "is empty: no client could query");

  std::string acl;
  for (const auto& netmask : c.acl) acl += (acl.empty() ? "" : ", ") + lua_string(netmask);
  std::string server = "address=" + lua_string(c.backend);
  if (!c.check_name.empty()) server += ", checkName=" + lua_string(c.check_name);

  std::string out = "-- written by splitsecond: one DoH listener, one backend, nothing else\n";
  out += "setSecurityPollSuffix(\"\")\n";
  out += fmt::format("setACL({{{}}})\n", acl);
  out += fmt::format("addDOHLocal({}, {}, {}, {})\n", lua_string(c.listen), lua_string(c.cert_file),
                     lua_string(c.key_file), lua_string(c.path));
  out += fmt::format("newServer({{{}}})\n", server);
  return out;
}

}  // namespace ss::probes
