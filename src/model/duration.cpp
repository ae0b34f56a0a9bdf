#include "model/duration.hpp"

#include <fmt/format.h>
#include <charconv>
#include <cmath>

namespace ss {

std::optional<Micros> parse_duration(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr == text.data() || value < 0 || !std::isfinite(value)) {
    return std::nullopt;
  }
  std::string_view unit(ptr, static_cast<size_t>(end - ptr));
  double scale = 0;  // microseconds per unit
  if (unit == "ns")
    scale = 1e-3;
  else if (unit == "us")
    scale = 1;
  else if (unit == "ms")
    scale = 1e3;
  else if (unit == "s")
    scale = 1e6;
  else if (unit == "m")
    scale = 60e6;
  else
    return std::nullopt;
  double us = value * scale;
  if (us > 1e15) return std::nullopt;
  return Micros(static_cast<int64_t>(std::llround(us)));
}

std::string format_duration(Micros d) {
  auto us = d.count();
  if (us % 1'000'000 == 0) return fmt::format("{}s", us / 1'000'000);
  if (us % 1'000 == 0) return fmt::format("{}ms", us / 1'000);
  return fmt::format("{}us", us);
}

}  // namespace ss
