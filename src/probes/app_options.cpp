#include "probes/app_options.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "model/errors.hpp"
#include "sys/syserror.hpp"

namespace ss::probes {

ReconnectPolicy::Kind parse_reconnect_kind(const std::string& text, const std::string& option) {
  if (text == "none") return ReconnectPolicy::Kind::none;
  if (text == "backoff") return ReconnectPolicy::Kind::backoff;
  throw UsageError(
      fmt::format("{}: '{}' is not a reconnect policy (none or backoff)", option, text));
}

Micros backoff_ceiling(const ReconnectPolicy& p, int attempt) {
  if (attempt < 1) return Micros{0};
  Micros ceiling = p.base;
  for (int i = 1; i < attempt && ceiling < p.cap; ++i) ceiling *= 2;  // stops at cap: no overflow
  return std::min(ceiling, p.cap);
}

Micros backoff_delay(const ReconnectPolicy& p, int attempt, double unit) {
  unit = std::clamp(unit, 0.0, 1.0);
  return Micros{
      static_cast<int64_t>(static_cast<double>(backoff_ceiling(p, attempt).count()) * unit)};
}

std::string error_label(bool system_category, int value, std::string_view message) {
  if (system_category && value != 0) return sys::errno_name(value);
  return std::string(message);
}

}  // namespace ss::probes
