#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ss {
// The nameserver lines of a resolv.conf, in order (what glibc would use).
std::vector<std::string> parse_nameservers(std::string_view resolv_conf);
}  // namespace ss
