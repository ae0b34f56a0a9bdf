#include "sys/syserror.hpp"

#include <fmt/format.h>
#include <cstring>

namespace ss::sys {

SysError::SysError(std::string call, std::string what, int err)
    : std::runtime_error(fmt::format("{}({}): {}", call, what, std::strerror(err))),
      call_(std::move(call)),
      err_(err) {}

long check(long rc, const char* call, const std::string& what) {
  if (rc < 0) throw SysError(call, what, errno);
  return rc;
}

std::string errno_name(int err) {
  // strerrorname_np is glibc >= 2.32; Debian 12 has 2.36.
  const char* name = strerrorname_np(err);
  return name ? std::string(name) : fmt::format("E{}", err);
}

}  // namespace ss::sys
