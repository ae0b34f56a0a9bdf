#include "report/progress.hpp"

#include <fmt/format.h>

#include <cmath>

namespace ss::report {
namespace {

std::string about(double s) {
  if (s < 60) return fmt::format("{:.0f} s", std::ceil(s));
  const auto m = static_cast<long>(std::ceil(s / 60));
  return m < 120 ? fmt::format("{} min", m) : fmt::format("{:.1f} h", m / 60.0);
}

}  // namespace

std::string progress_line(size_t done, size_t total, const std::string& what, double elapsed_s) {
  std::string out = fmt::format("[{}/{}]", what.empty() ? done : done + 1, total);
  if (!what.empty()) out += " " + what;
  if (done >= total) return out + fmt::format("; done in {}", about(elapsed_s));
  if (done == 0 || elapsed_s <= 0) return out;
  const double left = elapsed_s / static_cast<double>(done) * static_cast<double>(total - done);
  return out + "; about " + about(left) + " left";
}

}  // namespace ss::report
